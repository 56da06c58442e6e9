"""``healthbridge allocate``: the optimal allocation of a problem file, written as a plan file.

Works on files alone (no database): ``--input problem.json`` is checked whole by
:func:`healthbridge.analytics.allocation.parse_problem`; an invalid file exits with code 2 and
lists every error (field path and message) on stderr, and nothing is written. The plan is
written atomically (a temporary file renamed over ``--output``), or to stdout with ``--output -``
or no ``--output``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from healthbridge.analytics.allocation import (
    ProblemError,
    SolverError,
    fcfs,
    parse_problem,
    plan_to_dict,
    solve,
)

#: Exit code of an unreadable or invalid problem file.
INVALID = 2
#: Problems with more items than this show a progress line on stderr.
PROGRESS_ITEMS = 50


def _write_atomically(path: Path, text: str) -> None:
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``healthbridge allocate`` to the command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import err

    del import_app, export_app

    def refuse(lines: list[str], code: int) -> typer.Exit:
        console = err()
        for line in lines:
            console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
        return typer.Exit(code)

    @app.command()
    def allocate(
        input_path: Annotated[
            Path,
            typer.Option(
                "--input",
                help="The problem: today, items, lots, requests, transit_days (and optionally "
                "priority_weights, teams, team_requests), as JSON.",
                dir_okay=False,
            ),
        ],
        output_path: Annotated[
            str,
            typer.Option(
                "--output",
                help="Where to write the plan (JSON); '-' for stdout.",
                show_default="stdout",
            ),
        ] = "-",
        compare_fcfs: Annotated[
            bool,
            typer.Option(
                "--compare-fcfs",
                help="Add the first-come-first-served plan and its objective values to the "
                "summary (summary.fcfs).",
            ),
        ] = False,
    ) -> None:
        """Allocate lots to requests (and teams to team requests) optimally, with HiGHS.

        Lexicographic objectives, each held at its optimum while the next is optimised: the
        priority-weighted quantity delivered; equity (the fill rates of each item's requests,
        lowest first); lateness past needed_by, then the earliest-expiring lots first.
        See docs/methods-allocation.md.
        """
        try:
            raw = input_path.read_bytes()
        except OSError as exc:
            raise refuse([f"cannot read {input_path}: {exc.strerror}"], INVALID) from None
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise refuse([f"{input_path} is not valid JSON: {exc}"], INVALID) from None
        try:
            problem = parse_problem(data)
        except ProblemError as exc:
            count = len(exc.errors)
            lines = [f"{input_path}: {count} error{'s' if count != 1 else ''}"]
            lines += [f"{path}: {message}" for path, message in exc.errors]
            raise refuse(lines, INVALID) from None

        console = err()
        try:
            if len(problem.items) > PROGRESS_ITEMS:
                with console.status("Solving…") as status:

                    def progress(done: int, total: int) -> None:
                        status.update(f"Solving item {done} of {total}…")

                    plan = solve(problem, progress=progress)
            else:
                plan = solve(problem)
        except SolverError as exc:
            raise refuse([f"the solver failed: {exc}"], 1) from None
        baseline = fcfs(problem) if compare_fcfs else None
        text = json.dumps(plan_to_dict(problem, plan, compare=baseline), indent=2) + "\n"
        if output_path == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                _write_atomically(Path(output_path), text)
            except OSError as exc:
                raise refuse([f"cannot write {output_path}: {exc.strerror}"], 1) from None
        seconds = sum(plan.stage_seconds.values())
        console.print(
            escape(
                f"{len(plan.allocations)} allocation(s), {len(plan.deployments)} deployment(s) "
                f"for {len(problem.requests)} request(s) in {seconds:.2f} s"
                + ("" if output_path == "-" else f" → {output_path}")
            ),
            highlight=False,
            soft_wrap=True,
        )
