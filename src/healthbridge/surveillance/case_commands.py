"""Command line of case reports: ``healthbridge import cases FILE [--format csv|fhir]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from healthbridge.surveillance import cases, import_progress

HELP = """Import case reports and their lab results (atomic and idempotent).

--format csv (the default, except for .json and .ndjson files, which are read as fhir): one
row per case, or per lab test of a case. Header (any order): country, case_id, disease,
classification, report_date (required); onset_date, notification_date, area, age_group, sex,
outcome, hospitalised, travelled, travel_countries; and for a lab test sample_id, test_type,
pathogen, result, sample_date (required for a test), specimen, subtype, result_date,
laboratory. country: ISO 3166-1 alpha-3 (THA). disease: our code (dengue) or ICD-10 (A97.9).
classification: suspected, probable or confirmed. Dates: ISO 8601 (2024-02-15). area: ISO
3166-2 of that country (TH-10). age_group: 0-4, 65+. sex: female, male, other, unknown (F, M).
outcome: alive, recovered, died, unknown. hospitalised, travelled: yes or no.
travel_countries: alpha-3 codes separated by spaces. test_type: pcr, rdt, culture, sequencing,
serology. result: positive, negative, indeterminate, pending. A case with several tests takes
several rows, repeating its values or leaving them empty. See docs/import-formats.md.

--format fhir: a FHIR R4 Bundle (JSON) or NDJSON of case reports and lab results.

The whole file is stored or none of it; importing it again stores nothing twice, and changed
cases are updated (their weekly rollup too). A bad row is named with its row (the header is
row 1) and column."""


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``import cases`` to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, out

    @import_app.command("cases", help=HELP)
    @clean_errors
    def import_cases(
        file: Annotated[
            Path,
            typer.Argument(
                help="The case-reports file.", exists=True, dir_okay=False, readable=True
            ),
        ],
        format: Annotated[
            str | None,
            typer.Option(
                "--format", help="csv or fhir (default: fhir for .json/.ndjson, else csv)."
            ),
        ] = None,
    ) -> None:
        kind = format or ("fhir" if file.suffix.lower() in {".json", ".ndjson"} else "csv")

        def run(progress: import_progress.ImportProgress) -> cases.CaseImportReport:
            with _session() as session, file.open("rb") as stream:
                return cases.import_case_file(
                    session=session,
                    actor=_operator(),
                    data=stream,
                    filename=file.name,
                    format=kind,
                    progress=progress,
                )

        report = import_progress.run_with_progress(
            file.stat().st_size, run, storing="Storing records"
        )
        weeks = f" ({report.first_week} to {report.last_week})" if report.first_week else ""
        again = (
            f" The same file was imported before (batch {report.same_file_as})."
            if report.same_file_as
            else ""
        )
        out().print(
            f"Imported [bold]{escape(report.filename)}[/] ({report.format}): {report.rows} rows — "
            f"cases {report.cases_created} created, {report.cases_updated} updated, "
            f"{report.cases_unchanged} unchanged; lab results {report.labs_created} created, "
            f"{report.labs_updated} updated, {report.labs_unchanged} unchanged{weeks}; "
            f"{len(report.rollup_keys)} weekly series rolled up.{again}",
            highlight=False,
        )
        if report.signals_created or report.signals_updated:
            out().print(
                f"Detection on the rolled-up series: {report.signals_created} new signals, "
                f"{report.signals_updated} refreshed (the triage queue: /surveillance/signals).",
                highlight=False,
            )
