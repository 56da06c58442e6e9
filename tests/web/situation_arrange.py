"""Records for the situation room's tests, stored directly (no import, no detection): events of
several countries and sharings, signals, case reports, resource requests and commitments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.db import unit_of_work, utcnow
from healthbridge.eoc.assessment_models import EventTimeliness
from healthbridge.eoc.models import Event, EventShare
from healthbridge.interop.isoweek import week_of
from healthbridge.resources.models import ResourceRequest
from healthbridge.surveillance.models import CaseReport, Signal
from healthbridge.web import situation as room

TODAY = utcnow().date()


def _event(
    session: Session,
    country: str,
    title: str,
    *,
    risk: str | None,
    shared: bool = False,
    status: str = "responding",
    shared_with: str | None = None,
) -> Event:
    now = utcnow()
    event = Event(
        country_code=country,
        title=title,
        disease_code="dengue",
        status=status,
        risk_level=risk,
        shared_with_region=shared,
        opened_at=now,
        created_by="test",
        updated_at=now,
    )
    session.add(event)
    session.flush()
    if shared_with:
        session.add(
            EventShare(event_id=event.id, country_code=shared_with, shared_at=now, shared_by="t")
        )
    return event


def _signal(session: Session, country: str, day: dt.date, status: str = "new") -> None:
    now = utcnow()
    week = week_of(day)
    session.add(
        Signal(
            country_code=country,
            area_code=None,
            disease_code="dengue",
            source="aggregate",
            week=str(week),
            week_start=week.monday,
            method="noufaily",
            observed=50,
            expected=10.0,
            upperbound=20.0,
            score=3.0,
            status=status,
            first_detected_at=now,
            last_detected_at=now,
        )
    )


def _case(session: Session, country: str, case_id: str, day: dt.date) -> None:
    now = utcnow()
    week = week_of(day)
    session.add(
        CaseReport(
            country_code=country,
            case_id=case_id,
            disease_code="dengue",
            classification="confirmed",
            report_date=day,
            week=str(week),
            week_start=week.monday,
            source_format="api",
            content_hash="0" * 32,
            created_at=now,
            updated_at=now,
        )
    )


def _request(session: Session, country: str, priority: str, status: str) -> int:
    now = utcnow()
    request = ResourceRequest(
        country_code=country,
        kind="team",
        team_type="emt_type_2",
        quantity=1,
        priority=priority,
        needed_by=TODAY + dt.timedelta(days=5),
        delivery_point="Capital",
        status=status,
        requested_at=now,
        requested_by="test",
        updated_at=now,
    )
    session.add(request)
    session.flush()
    return request.id


def _commitment(session: Session, text: str, due: dt.date, status: str = "agreed") -> None:
    session.add(
        Commitment(
            text=text,
            kind="pledge",
            owed_by_country="KOR",
            due_on=due,
            status=status,
            created_by="test",
        )
    )


@dataclass
class Arranged:
    thai_events: list[int]
    hidden_vnm: int
    shared_khm: int
    critical_request: int


def arrange(session_factory: sessionmaker[Session]) -> Arranged:
    """Events (Thai private, Viet Nam private, Cambodia shared, Lao shared with Thailand by
    name), signals, Thai and Vietnamese cases, requests and commitments."""
    last_quarter_day = room.previous_quarter(TODAY)[2] - dt.timedelta(days=3)
    with unit_of_work(session_factory) as session:
        tha_high = _event(session, "THA", "Thai dengue surge", risk="high")
        tha_low = _event(session, "THA", "Thai measles", risk="low")
        _event(session, "THA", "Closed Thai event", risk="very_high", status="closed")
        hidden = _event(session, "VNM", "Unshared Vietnamese event", risk="very_high")
        shared = _event(session, "KHM", "Cambodian cholera", risk="moderate", shared=True)
        _event(session, "LAO", "Lao outbreak for Thailand", risk=None, shared_with="THA")
        session.add(
            EventTimeliness(
                event_id=shared.id,
                emergence_date=last_quarter_day - dt.timedelta(days=2),
                detection_date=last_quarter_day,
                notification_date=last_quarter_day,
                updated_at=utcnow(),
                updated_by="test",
            )
        )
        _signal(session, "VNM", TODAY)
        _signal(session, "VNM", TODAY - dt.timedelta(weeks=1), status="monitor")
        _signal(session, "THA", TODAY)
        _signal(session, "THA", TODAY - dt.timedelta(weeks=2), status="discarded")
        _signal(session, "THA", TODAY - dt.timedelta(weeks=8))
        _case(session, "THA", "T-1", TODAY)
        _case(session, "THA", "T-2", TODAY - dt.timedelta(weeks=2))
        _case(session, "THA", "T-3", TODAY - dt.timedelta(weeks=10))
        _case(session, "VNM", "V-1", TODAY)
        critical = _request(session, "PHL", "critical", "approved")
        _request(session, "PHL", "critical", "submitted")
        _request(session, "PHL", "high", "approved")
        _commitment(session, "Send the lab experts", TODAY - dt.timedelta(days=4))
        _commitment(session, "Share the vaccine plan", TODAY + dt.timedelta(days=10))
        _commitment(session, "Far away", TODAY + dt.timedelta(days=200))
        _commitment(session, "Done late", TODAY - dt.timedelta(days=9), status="delivered")
        return Arranged([tha_high.id, tha_low.id], hidden.id, shared.id, critical)
