"""Command line of weekly counts: ``healthbridge import weekly-counts FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from healthbridge.errors import HealthBridgeError
from healthbridge.surveillance import weekly

#: How many of an import's errors the command prints.
SHOWN_ERRORS = 10
HELP = """Import weekly counts from a CSV file (atomic and idempotent).

The header is country,area,disease,week,cases,deaths (any order; area and deaths may be left
out). country: ISO 3166-1 alpha-3 (THA). area: ISO 3166-2 code of one of that country's
first-level subdivisions (TH-10), empty for the national total. disease: our code (dengue) or
ICD-10 (A97.9). week: ISO 8601 (2024-W07) or DHIS2 (2024W07). cases and deaths: whole numbers,
deaths may be empty. UTF-8, with or without a byte-order mark.

The whole file is stored or none of it; importing it again stores nothing twice, and changed
values are updated. A bad row is named with its row (the header is row 1) and column."""


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``import weekly-counts`` to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, err, fail, out

    @import_app.command("weekly-counts", help=HELP)
    @clean_errors
    def import_weekly_counts(
        file: Annotated[
            Path,
            typer.Argument(
                help="The weekly-counts CSV.", exists=True, dir_okay=False, readable=True
            ),
        ],
    ) -> None:
        console = err()
        size = file.stat().st_size
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(stage: str, done: int, total: int | None) -> None:
                # Reading reports bytes (of the file's size), storing reports rows.
                total = size if stage == "read" else total
                if stage not in tasks:
                    label = "Checking rows" if stage == "read" else "Storing counts"
                    tasks[stage] = bar.add_task(label, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            try:
                with _session() as session, file.open("rb") as stream:
                    report = weekly.import_weekly_csv(
                        session=session,
                        actor=_operator(),
                        data=stream,
                        filename=file.name,
                        progress=advance,
                    )
            except HealthBridgeError as refused:
                bar.stop()
                failure = fail(refused.detail)
                for error in refused.errors[:SHOWN_ERRORS]:
                    row = f"row {error.row}, " if error.row is not None else ""
                    console.print(f"  {row}{error.field}: {error.message}", highlight=False)
                if len(refused.errors) > SHOWN_ERRORS:
                    console.print(
                        f"  … and {len(refused.errors) - SHOWN_ERRORS} more", highlight=False
                    )
                raise failure from None
        weeks = f" ({report.first_week} to {report.last_week})" if report.first_week else ""
        out().print(
            f"Imported [bold]{report.filename}[/]: {report.rows} rows — "
            f"{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged{weeks}.",
            highlight=False,
        )
