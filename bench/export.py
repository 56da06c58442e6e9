"""Case-report export: streamed, constant memory — ``python bench/export.py [--rows 1000000]``.

Imports ``--rows`` synthetic case reports of Thailand (``bench/ingest.py``'s generator) into a
fresh database — SQLite in a temporary directory, or the PostgreSQL of
``HEALTHBRIDGE_BENCH_DATABASE_URL`` (an empty database; it is migrated and seeded) — then streams
them out with :func:`healthbridge.surveillance.case_export.stream_csv` (what
``GET /api/v1/cases/export`` and ``healthbridge export cases`` send) into ``/dev/null``, and
prints the rows per second and the peak memory the export allocated (tracemalloc), beside the
size of what it wrote: the first must not grow with the second (issue #8: exports of 1,000,000
rows streamed, not held in memory).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import write_csv

from healthbridge import flows, migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.policy import Role, operator_principal
from healthbridge.surveillance import case_export, case_queries, cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("HEALTHBRIDGE_BENCH_DATABASE_URL") or f"sqlite:///{folder}/b.sqlite3"
        engine = make_engine(url)
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        operator = operator_principal("bench")
        with unit_of_work(factory) as session:
            flows.seed_reference_data(session=session)
            user = accounts.create_user(
                session=session,
                actor=operator,
                user_in=UserCreate(
                    email="reader@example.org",
                    full_name="Bench Reader",
                    role=Role.EPIDEMIOLOGIST,
                    country="THA",
                    password="streamed rows, constant memory",
                ),
            )
            reader = accounts.principal_of(user)
        source = Path(folder) / "cases.csv"
        write_csv(source, args.rows)
        started = time.perf_counter()
        with unit_of_work(factory) as session, source.open("rb") as stream:
            report = cases.import_case_file(
                session=session, actor=operator, data=stream, filename="bench.csv"
            )
        print(f"imported {report.cases_created:,} cases in {time.perf_counter() - started:.1f} s")
        with unit_of_work(factory) as session:
            where = case_queries.check_case_filter(session=session, country="THA")
            query = case_export.prepare_export(session=session, actor=reader, where=where)
        tracemalloc.start()
        started = time.perf_counter()
        written = rows = 0
        with open(os.devnull, "wb") as sink:
            for chunk in case_export.stream_csv(factory, query):
                sink.write(chunk)
                written += len(chunk)
                rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows -= 1  # the header
        print(
            f"exported {rows:,} rows ({written / 1e6:.0f} MB of CSV) in {seconds:.1f} s "
            f"= {rows / seconds:,.0f} rows/s; peak memory allocated by the export "
            f"{peak / 1e6:.1f} MB ({engine.dialect.name})"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
