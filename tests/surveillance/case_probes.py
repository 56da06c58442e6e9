"""A Viet Nam case report with a lab result for the authorisation matrix's cross-country probes.

``tests/test_authorization_matrix.py`` aims its probes of the case routes at the records made
here, through ``World.arrange`` (a committed unit of work), imported as any country's file is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.interop.cases_csv import write_cases_csv
from healthbridge.policy import Principal
from healthbridge.surveillance import cases
from healthbridge.surveillance.models import CaseReport

T = TypeVar("T")

#: Text found only in the Viet Nam case (its id) and its lab result (the laboratory).
CASE_MARKER = "VNM-PROBE-MARKER-CASE"
LAB_MARKER = "Vnm Probe Marker Laboratory"


class Arranges(Protocol):
    operator: Principal

    def arrange(self, build: Callable[[Session], T]) -> T: ...


@dataclass(frozen=True)
class VietNamCase:
    case_report_id: int
    marker: str = CASE_MARKER
    lab_marker: str = LAB_MARKER


def viet_nam_case(world: Arranges) -> VietNamCase:
    """A Viet Nam dengue case (id :data:`CASE_MARKER`) with a PCR result of :data:`LAB_MARKER`."""

    def build(session: Session) -> VietNamCase:
        data = write_cases_csv(
            [
                CaseRecord(
                    row=0,
                    country="VNM",
                    case_id=CASE_MARKER,
                    disease="dengue",
                    classification="confirmed",
                    report_date=dt.date(2024, 3, 4),
                    area="VN-HN",
                )
            ],
            [
                LabRecord(
                    row=0,
                    country="VNM",
                    case_id=CASE_MARKER,
                    sample_id="VNM-PROBE-S1",
                    test_type="pcr",
                    pathogen="DENV",
                    result="positive",
                    sample_date=dt.date(2024, 3, 4),
                    result_date=dt.date(2024, 3, 6),
                    laboratory=LAB_MARKER,
                )
            ],
        ).encode()
        cases.import_case_file(
            session=session, actor=world.operator, data=data, filename="probe.csv"
        )
        case_id = session.scalars(
            select(CaseReport.id).where(CaseReport.case_id == CASE_MARKER)
        ).one()
        return VietNamCase(case_id)

    return world.arrange(build)
