"""Signals and case reports for the EOC tests, stored directly (no import, no detection)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.interop.isoweek import parse_week
from healthbridge.surveillance.models import CaseReport, LabResult, Signal


def make_signal(
    session: Session,
    *,
    country: str = "THA",
    area: str | None = "TH-10",
    disease: str = "dengue",
    week: str = "2024-W30",
    method: str = "noufaily",
) -> Signal:
    """A new (untriaged) signal of one series and week."""
    now = utcnow()
    signal = Signal(
        country_code=country,
        area_code=area,
        disease_code=disease,
        source="aggregate",
        week=week,
        week_start=parse_week(week).monday,
        method=method,
        observed=190,
        expected=60.0,
        upperbound=95.0,
        score=3.7,
        status="new",
        first_detected_at=now,
        last_detected_at=now,
    )
    session.add(signal)
    session.flush()
    return signal


def make_case(session: Session, *, country: str = "THA", case_id: str = "C-1") -> CaseReport:
    """A confirmed dengue case of ``country`` with one PCR result."""
    now = utcnow()
    case = CaseReport(
        country_code=country,
        case_id=case_id,
        disease_code="dengue",
        classification="confirmed",
        report_date=dt.date(2024, 7, 25),
        week="2024-W30",
        week_start=dt.date(2024, 7, 22),
        source_format="api",
        content_hash="0" * 32,
        created_at=now,
        updated_at=now,
    )
    case.lab_results = [
        LabResult(
            country_code=country,
            sample_id=f"S-{case_id}",
            test_type="pcr",
            pathogen="DENV",
            result="positive",
            sample_date=dt.date(2024, 7, 24),
            content_hash="0" * 32,
            created_at=now,
            updated_at=now,
        )
    ]
    session.add(case)
    session.flush()
    return case
