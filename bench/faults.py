"""The fault tests at bench size: ``python bench/faults.py [--rows 200000] [--lines 10000]``.

Runs ``tests/test_faults.py`` (a real server killed with SIGKILL in the middle of a case-report
import and of an allocation approval, on SQLite and PostgreSQL, and a private PostgreSQL
restarted under traffic) with a larger import file and plan than ``make test`` uses, and prints
what each kill left (``Stored(...)`` / ``PlanState(...)``), how long the import and the approval
took, what the app answered during the PostgreSQL restart, and the tests' durations.
PostgreSQL comes from ``scripts/with-postgres`` when HEALTHBRIDGE_TEST_POSTGRES_URL is not set.
Prints figures only; the invariants are the tests' assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="case reports in the import")
    parser.add_argument("--lines", type=int, default=10_000, help="lines of the approved plan")
    args = parser.parse_args()
    env = {
        **os.environ,
        "HEALTHBRIDGE_FAULT_IMPORT_ROWS": str(args.rows),
        "HEALTHBRIDGE_FAULT_PLAN_LINES": str(args.lines),
    }
    pytest = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
    command = [*pytest, "--durations=0", "tests/test_faults.py"]
    if not env.get("HEALTHBRIDGE_TEST_POSTGRES_URL"):
        command = [str(ROOT / "scripts" / "with-postgres"), *command]
    return subprocess.call(command, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
