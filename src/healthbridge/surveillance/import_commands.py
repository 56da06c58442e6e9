"""Command line of weekly counts: ``healthbridge import weekly-counts FILE`` and
``healthbridge import dhis2 FILE --mapping MAP``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from healthbridge.surveillance import import_progress, weekly_import

HELP = """Import weekly counts from a CSV file (atomic and idempotent).

The header is country,area,disease,week,cases,deaths (any order; area and deaths may be left
out). country: ISO 3166-1 alpha-3 (THA). area: ISO 3166-2 code of one of that country's
first-level subdivisions (TH-10), empty for the national total. disease: our code (dengue) or
ICD-10 (A97.9). week: ISO 8601 (2024-W07) or DHIS2 (2024W07). cases and deaths: whole numbers,
deaths may be empty. UTF-8, with or without a byte-order mark.

The whole file is stored or none of it; importing it again stores nothing twice, and changed
values are updated. A bad row is named with its row (the header is row 1) and column."""
DHIS2_HELP = """Import weekly counts from a DHIS2 dataValueSets JSON (atomic and idempotent).

FILE is a DHIS2 export ({"dataValues": [{"dataElement", "period", "orgUnit",
"categoryOptionCombo", "value"}, ...]}) of weekly periods (2024W07 or 2024W7); period, orgUnit
and attributeOptionCombo may be given once at the top. MAP is a JSON mapping:
{"dataElements": {"<id>": {"disease": "dengue", "measure": "cases" or "deaths"}},
"orgUnits": {"<id>": {"country": "THA", "area": "TH-10" or null}}}; an id mapped to null is
left out. The values of every category option combo (age, sex) of one data element, period and
org unit are added up. See docs/import-formats.md.

The whole file is stored or none of it; importing it again stores nothing twice. A bad data
value is named with its row (its place in dataValues, from 1) and field (dataValues[17].orgUnit,
counted from 0); a bad mapping entry with its key (orgUnits.<id>.area)."""

#: Runs an import with a progress callback.
RunImport = Callable[[weekly_import.ImportProgress], weekly_import.WeeklyImportReport]


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``import weekly-counts`` and ``import dhis2`` to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, out

    def run_with_progress(size: int, run: RunImport) -> None:
        """Run an import behind the progress bar and print its report."""
        report = import_progress.run_with_progress(size, run, storing="Storing counts")
        weeks = f" ({report.first_week} to {report.last_week})" if report.first_week else ""
        out().print(
            f"Imported [bold]{escape(report.filename)}[/]: {report.rows} rows — "
            f"{report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged{weeks}.",
            highlight=False,
        )
        if report.signals_created or report.signals_updated:
            out().print(
                f"Detection after the import: {report.signals_created} new signals, "
                f"{report.signals_updated} refreshed (the triage queue: /surveillance/"
                "signals).",
                highlight=False,
            )

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
        def run(progress: weekly_import.ImportProgress) -> weekly_import.WeeklyImportReport:
            with _session() as session, file.open("rb") as stream:
                return weekly_import.import_weekly_csv(
                    session=session,
                    actor=_operator(),
                    data=stream,
                    filename=file.name,
                    progress=progress,
                )

        run_with_progress(file.stat().st_size, run)

    @import_app.command("dhis2", help=DHIS2_HELP)
    @clean_errors
    def import_dhis2(
        file: Annotated[
            Path,
            typer.Argument(
                help="The DHIS2 dataValueSets JSON.",
                metavar="FILE",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
        mapping: Annotated[
            Path,
            typer.Option(
                "--mapping",
                help="The mapping JSON of the file's dataElement and orgUnit ids.",
                metavar="MAP",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
    ) -> None:
        def run(progress: weekly_import.ImportProgress) -> weekly_import.WeeklyImportReport:
            with (
                _session() as session,
                file.open("rb") as stream,
                mapping.open("rb") as mapping_stream,
            ):
                return weekly_import.import_dhis2(
                    session=session,
                    actor=_operator(),
                    data=stream,
                    filename=file.name,
                    mapping=mapping_stream,
                    mapping_filename=mapping.name,
                    progress=progress,
                )

        run_with_progress(file.stat().st_size, run)
