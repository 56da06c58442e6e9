"""Command line of UHC progress: ``healthbridge import uhc FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from healthbridge.cooperation.uhc import importing
from healthbridge.errors import HealthBridgeError

#: How many of an import's errors the command prints.
SHOWN_ERRORS = 10
_STAGES = {"check": "Checking rows", "store": "Storing values"}


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, err, fail, out

    @import_app.command("uhc")
    @clean_errors
    def import_uhc(
        file: Annotated[
            Path,
            typer.Argument(
                help="A CSV in the WHO Global Health Observatory export layout.",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
        source: Annotated[
            str | None,
            typer.Option(help=f"Where the values come from (default: {importing.GHO_SOURCE})."),
        ] = None,
    ) -> None:
        """Import UHC indicator values from a WHO GHO CSV export (atomic and idempotent)."""
        console = err()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            try:
                with _session() as session:
                    report = importing.import_gho_csv(
                        session=session,
                        actor=_operator(),
                        data=file.read_bytes(),
                        filename=file.name,
                        source=source,
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
        skipped = ", ".join(
            f"{why.replace('_', ' ')}: {n}" for why, n in report.skipped_by_reason.items()
        )
        out().print(
            f"Imported [bold]{report.filename}[/]: {report.rows} rows — "
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.skipped} skipped{f' ({skipped})' if skipped else ''}.",
            highlight=False,
        )
