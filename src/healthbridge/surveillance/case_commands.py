"""Command line of case reports: ``healthbridge import cases FILE [--format csv|fhir]`` and
``healthbridge export cases --country THA [--output FILE]``."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy.orm import sessionmaker

from healthbridge.accounts import service as accounts
from healthbridge.surveillance import case_export, case_queries, cases, import_progress

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
    """Add ``import cases`` and ``export cases`` to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import _find_user, _operator, _session, clean_errors, err, fail, out

    @export_app.command("cases")
    @clean_errors
    def export_cases(
        user: Annotated[
            str,
            typer.Option(
                "--as",
                metavar="EMAIL",
                help="The account the export is made as: case reports are personal data, read "
                "by their own country's readers only; the export is audited as theirs.",
            ),
        ],
        country: Annotated[
            str | None,
            typer.Option("--country", help="ISO 3166-1 alpha-3 (default: the account's own)."),
        ] = None,
        disease: Annotated[
            str | None, typer.Option(help="Disease code (dengue) or ICD-10 (A97.9).")
        ] = None,
        from_week: Annotated[
            str | None, typer.Option("--from-week", help="First ISO week, e.g. 2024-W01.")
        ] = None,
        to_week: Annotated[
            str | None, typer.Option("--to-week", help="Last ISO week, e.g. 2024-W52.")
        ] = None,
        output: Annotated[
            Path | None,
            typer.Option(
                "--output", help="The CSV file to write (default: standard output).", dir_okay=False
            ),
        ] = None,
    ) -> None:
        """Export a country's case reports as CSV in the import's format, streamed (any size,
        constant memory). The export is audited. Lab results are not included."""
        with _session() as session:
            account = _find_user(session, user)
            if not account.is_active:
                raise fail(f"the account {account.email} is disabled")
            actor = accounts.principal_of(account, via="cli")
            where = case_queries.check_case_filter(
                session=session,
                country=country,
                disease=disease,
                from_week=from_week,
                to_week=to_week,
            )
            query = case_export.prepare_export(session=session, actor=actor, where=where)
        rows = 0
        with _session() as session:
            factory = sessionmaker(bind=session.get_bind())
            chunks = case_export.stream_csv(factory, query)
            if output is None:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
                return
            folder = output.resolve().parent
            if not folder.is_dir():
                raise fail(f"cannot write {output}: no such directory {folder}")
            handle, draft = tempfile.mkstemp(prefix=f".{output.name}.", dir=folder)
            try:
                with os.fdopen(handle, "wb") as stream:
                    for chunk in chunks:
                        stream.write(chunk)
                        rows += chunk.count(b"\n")
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(draft, output)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(draft)
                raise
        err().print(f"Exported {max(0, rows - 1)} case reports to {output}.", highlight=False)

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
