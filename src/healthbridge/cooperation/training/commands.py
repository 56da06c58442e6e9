"""Command-line commands of the training part.

- ``healthbridge import training-roster ROSTER.csv [--course ID]``: trainees (and their outcome
  on a course) from a training hub's roster; atomic and idempotent.
- ``healthbridge export training-summary CODE [--by country|course]``: a programme's counts as
  CSV (no names: aggregates are regional).
"""

from __future__ import annotations

import csv
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from healthbridge.cooperation.training import roster, service, summaries
from healthbridge.cooperation.training.schemas import ProgrammeSummary
from healthbridge.errors import FieldError, Invalid


class SummaryBy(StrEnum):
    COUNTRY = "country"
    COURSE = "course"


def _read_roster(path: Path) -> tuple[list[str], list[dict[str, str | None]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(
            f"cannot read {path}: {exc}", errors=[FieldError("file", "unreadable UTF-8 CSV")]
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    if not header:
        raise Invalid(f"{path} is empty", errors=[FieldError("file", "no header row", row=0)])
    records: list[dict[str, str | None]] = []
    for row, record in enumerate(reader, start=1):
        if None in record:  # more cells than the header names
            raise Invalid(
                f"row {row} has more cells than the header",
                errors=[FieldError("row", "extra cells", row=row)],
            )
        records.append({k.strip(): v for k, v in record.items() if k is not None})
    return header, records


def summary_rows(summary: ProgrammeSummary, by: SummaryBy) -> list[list[str]]:
    """The CSV rows (header first) of a programme summary, by country or by course."""
    if by is SummaryBy.COUNTRY:
        rows = [
            ["country", "country_name", "trainees", "enrolments", "completions", "certificates"]
        ]
        rows += [
            [
                c.country_code,
                c.country_name,
                str(c.trainees),
                str(c.enrolments),
                str(c.completions),
                str(c.certificates),
            ]
            for c in summary.by_country
        ]
        return rows
    rows = [
        [
            "course_id",
            "title",
            "starts_on",
            "ends_on",
            "mode",
            "enrolled",
            "completed",
            "withdrawn",
            "certificates",
        ]
    ]
    rows += [
        [
            str(c.course_id),
            c.title,
            c.starts_on.isoformat(),
            c.ends_on.isoformat(),
            c.mode.value,
            str(c.enrolled),
            str(c.completed),
            str(c.withdrawn),
            str(c.certificates),
        ]
        for c in summary.by_course
    ]
    return rows


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # Imported here: the CLI module imports this one while it is being built.
    from healthbridge import cli

    @import_app.command("training-roster")
    @cli.clean_errors
    def import_training_roster(
        file: Annotated[
            Path,
            typer.Argument(
                help="CSV with the columns " + ", ".join(roster.COLUMNS) + " (the first three "
                "required)."
            ),
        ],
        course: Annotated[
            int | None,
            typer.Option(help="Enrol the trainees on this course id and record their status."),
        ] = None,
    ) -> None:
        """Import trainees from a roster (atomic: any bad row refuses the whole file)."""
        header, records = _read_roster(file)
        with cli._session() as session:
            actor = cli._operator()
            found = (
                service.get_course(session=session, actor=actor, course_id=course)
                if course
                else None
            )
            report = roster.import_roster(
                session=session, actor=actor, header=header, records=records, course=found
            )
        cli.out().print(
            f"Imported {report.rows} row(s): {report.trainees_created} new trainee(s), "
            f"{report.enrolments_created} new enrolment(s), {report.completions} completion(s), "
            f"{report.withdrawals} withdrawal(s); {report.unchanged} row(s) already up to date."
        )
        for number in report.certificates:
            cli.out().print(f"Certificate issued: {number}", highlight=False)

    @export_app.command("training-summary")
    @cli.clean_errors
    def export_training_summary(
        code: Annotated[str, typer.Argument(help="Programme code, e.g. BIOHUB.")],
        by: Annotated[SummaryBy, typer.Option(help="Rows by country or by course.")] = (
            SummaryBy.COUNTRY
        ),
        output: Annotated[
            Path | None, typer.Option(help="Write to this file instead of standard output.")
        ] = None,
    ) -> None:
        """A programme's trainees, completions and certificates as CSV (counts only)."""
        with cli._session() as session:
            actor = cli._operator()
            programme = service.get_programme(session=session, actor=actor, code=code)
            summary = summaries.programme_summary(session=session, actor=actor, programme=programme)
        rows = summary_rows(summary, by)
        if output is None:
            csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
            return
        with output.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        cli.err().print(f"Wrote {len(rows) - 1} row(s) to {output}.")
