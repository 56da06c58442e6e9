"""Fixtures of the commitments tests: a meeting to record commitments of, and principals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.commitments.arrange import make_meeting

from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

T = TypeVar("T")
Arrange = Callable[[Callable[[Session], T]], T]


@pytest.fixture
def arrange(session_factory: sessionmaker[Session]) -> Callable[[Callable[[Session], Any]], Any]:
    """Run a function in a committed unit of work and return what it returns."""

    def run(build: Callable[[Session], Any]) -> Any:
        with unit_of_work(session_factory) as session:
            return build(session)

    return run


@pytest.fixture
def meeting_id(arrange: Callable[[Callable[[Session], Any]], Any]) -> int:
    """A committed meeting (the 2nd ASEAN–ROK Health Ministers' Meeting, minimally)."""
    return int(
        arrange(
            lambda s: make_meeting(s, "2nd ASEAN–Republic of Korea Health Ministers' Meeting").id
        )
    )


@pytest.fixture
def tha_focal() -> Principal:
    return Principal(email="focal.tha@example.org", role=Role.FOCAL_POINT, country="THA")


@pytest.fixture
def vnm_focal() -> Principal:
    return Principal(email="focal.vnm@example.org", role=Role.FOCAL_POINT, country="VNM")


@pytest.fixture
def secretariat() -> Principal:
    return Principal(email="secretariat@example.org", role=Role.SECRETARIAT, country=None)
