"""Streaming export of case reports as CSV, in the import's format (so an export imported again
changes nothing).

Rows are read from the database a partition at a time (``yield_per``: a server-side cursor on
PostgreSQL) and written out as they come, so a million cases never sit in memory: the export's
memory does not grow with its size (``bench/export.py`` measures it). The export reads one
snapshot (PostgreSQL: ``REPEATABLE READ``): cases changed while it runs are either all before or
all after. Lab results are not part of it (``GET /api/v1/lab-results`` lists them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit import service as audit
from healthbridge.interop.cases_csv import CASE_COLUMNS
from healthbridge.policy import Principal
from healthbridge.surveillance.case_queries import CaseFilter, case_scope, filter_cases
from healthbridge.surveillance.models import CaseReport

#: Rows fetched and written per step.
PARTITION_ROWS = 5_000
#: The export's columns, in the order of :data:`~healthbridge.interop.cases_csv.CASE_COLUMNS`.
_SOURCES = (
    CaseReport.country_code,
    CaseReport.case_id,
    CaseReport.disease_code,
    CaseReport.classification,
    CaseReport.onset_date,
    CaseReport.report_date,
    CaseReport.notification_date,
    CaseReport.area_code,
    CaseReport.age_group,
    CaseReport.sex,
    CaseReport.outcome,
    CaseReport.hospitalised,
    CaseReport.travelled,
    CaseReport.travel_countries,
)
assert len(_SOURCES) == len(CASE_COLUMNS)


def prepare_export(*, session: Session, actor: Principal, where: CaseFilter) -> Select[Any]:
    """The query of an export of the cases ``where`` selects, of the countries the actor reads
    (authorised as a list is: another country's cases are refused). The export is audited here,
    with its filters, in the caller's transaction."""
    countries = case_scope(actor, where, "case_report")
    audit.record(
        session=session,
        actor=actor,
        action="case_report.export",
        object_type="case_report",
        country=countries[0] if len(countries) == 1 else None,
        detail={"filters": where.as_detail(), "format": "csv"},
    )
    query = filter_cases(select(*_SOURCES), where, countries).order_by(CaseReport.id)
    return cast("Select[Any]", query)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value  # dates print as ISO 8601, text as itself


def stream_csv(factory: sessionmaker[Session], query: Select[Any]) -> Iterator[bytes]:
    """The CSV of ``query``'s rows (UTF-8), a partition of rows at a time, from a session of its
    own (the request's is gone by the time the body is sent)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CASE_COLUMNS)
    with factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(
                execution_options={
                    "isolation_level": "REPEATABLE READ",
                    "postgresql_readonly": True,
                }
            )
        result = session.execute(query.execution_options(yield_per=PARTITION_ROWS))
        for partition in result.partitions():
            writer.writerows([_cell(v) for v in row] for row in partition)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        session.rollback()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
