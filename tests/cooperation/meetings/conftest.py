"""Fixtures of the meetings tests: principals, a unit of work, and meetings built by the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.meetings.builders import meeting_body

from healthbridge.cooperation.meetings import demo, series, service
from healthbridge.cooperation.meetings.schemas import MeetingCreate
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

Arrange = Callable[[Callable[[Session], Any]], Any]


@pytest.fixture
def arrange(session_factory: sessionmaker[Session]) -> Arrange:
    """Run a function in a committed unit of work and return what it returns."""

    def run(build: Callable[[Session], Any]) -> Any:
        with unit_of_work(session_factory) as session:
            return build(session)

    return run


@pytest.fixture
def secretariat() -> Principal:
    return Principal(email="secretariat@example.org", role=Role.SECRETARIAT, country=None)


@pytest.fixture
def viewer() -> Principal:
    return Principal(email="viewer@example.org", role=Role.VIEWER, country="THA")


@pytest.fixture
def make_meeting(arrange: Arrange, secretariat: Principal) -> Callable[..., int]:
    """Create (and commit) a meeting through the service; returns its id."""

    def build(**overrides: Any) -> int:
        meeting_in = MeetingCreate.model_validate(meeting_body(**overrides))

        def create(session: Session) -> int:
            return service.create_meeting(
                session=session, actor=secretariat, meeting_in=meeting_in
            ).id

        return int(arrange(create))

    return build


@pytest.fixture
def rok_series(arrange: Arrange, secretariat: Principal) -> str:
    """The ASEAN–ROK HMM series with its 1st (Indonesia) and 2nd (Lao PDR) meetings."""

    def build(session: Session) -> str:
        series.create_series(session=session, actor=secretariat, series_in=demo.SERIES[0])
        for number, (day, country) in enumerate(
            ((dt.date(2022, 5, 15), "IDN"), (dt.date(2024, 8, 29), "LAO")), 1
        ):
            service.create_meeting(
                session=session,
                actor=secretariat,
                meeting_in=MeetingCreate.model_validate(
                    {
                        "title": f"Meeting {number}",
                        "meeting_type": "asean_rok_hmm",
                        "series": demo.ROK_HMM,
                        "status": "held",
                        "starts_on": day,
                        "country_code": country,
                        "co_chairs": [{"country_code": "KOR"}, {"country_code": country}],
                    }
                ),
            )
        return demo.ROK_HMM

    return str(arrange(build))
