"""Records the training tests share: a programme, a course and trainees of any country."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.cooperation.training import service, trainees
from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CourseMode,
    EnrolmentCreate,
    ProgrammeCreate,
    TraineeCreate,
)
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal

UnitOfWork = Callable[[], AbstractContextManager[Session]]
MakeTrainee = Callable[..., Trainee]
Enrol = Callable[[Course, Trainee], Enrolment]


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> UnitOfWork:
    """A committed unit of work (commit before another session writes: PG's audit lock)."""
    return lambda: unit_of_work(session_factory)


@pytest.fixture
def programme(uow: UnitOfWork, operator: Principal) -> Programme:
    with uow() as session:
        return service.create_programme(
            session=session,
            actor=operator,
            programme_in=ProgrammeCreate(
                code="biohub",
                name="Global biomanufacturing workforce training hub",
                organiser="KOR-MOHW",
                host_country="KOR",
                starts_on=dt.date(2022, 2, 23),
            ),
        )


@pytest.fixture
def course(uow: UnitOfWork, operator: Principal, programme: Programme) -> Course:
    with uow() as session:
        return service.create_course(
            session=session,
            actor=operator,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
            course_in=CourseCreate(
                title="Good manufacturing practice for biologics",
                starts_on=dt.date(2024, 6, 3),
                ends_on=dt.date(2024, 6, 14),
                mode=CourseMode.HYBRID,
                location="Songdo, Incheon",
                capacity=3,
            ),
        )


@pytest.fixture
def make_trainee(uow: UnitOfWork, operator: Principal) -> MakeTrainee:
    """Create (and commit) a trainee: ``make_trainee("VNM", full_name="...")``."""
    serial = itertools.count(1)

    def factory(country: str = "THA", **fields: Any) -> Trainee:
        n = next(serial)
        data: dict[str, Any] = {
            "full_name": f"Trainee {country} {n}",
            "email": f"trainee.{country.lower()}.{n}@example.org",
            "country": country,
            **fields,
        }
        with uow() as session:
            return trainees.create_trainee(
                session=session, actor=operator, trainee_in=TraineeCreate(**data)
            )

    return factory


@pytest.fixture
def enrol(uow: UnitOfWork, operator: Principal) -> Enrol:
    """Enrol (and commit) a trainee on a course, as the operator."""

    def enrol_one(course: Course, trainee: Trainee) -> Enrolment:
        with uow() as session:
            return trainees.enrol(
                session=session,
                actor=operator,
                course=session.get(Course, course.id),  # type: ignore[arg-type]
                enrolment_in=EnrolmentCreate(
                    trainee_id=trainee.id, enrolled_on=dt.date(2024, 5, 1)
                ),
            )

    return enrol_one
