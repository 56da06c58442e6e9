"""Viet Nam training records for the authorisation matrix's cross-country probes.

``tests/test_authorization_matrix.py`` aims its probes of the trainee routes at the records made
here, through ``World.arrange`` (a committed unit of work), so the world fixture stays as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from healthbridge.cooperation.training import service, trainees
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CourseMode,
    EnrolmentCreate,
    ProgrammeCreate,
    TraineeCreate,
)
from healthbridge.policy import Principal

T = TypeVar("T")

#: Text found only in the Viet Nam trainee's record: a leak shows it.
TRAINEE_MARKER = "Vnm Probe-Trainee Marker"


class Arranges(Protocol):
    operator: Principal

    def arrange(self, build: Callable[[Session], T]) -> T: ...


@dataclass(frozen=True)
class VietNamTrainee:
    trainee_id: int
    course_id: int
    enrolment_id: int
    marker: str = TRAINEE_MARKER


def viet_nam_trainee(world: Arranges) -> VietNamTrainee:
    """A programme, a course, and a Viet Nam trainee (named :data:`TRAINEE_MARKER`) on it."""

    def build(session: Session) -> VietNamTrainee:
        actor = world.operator
        programme = service.create_programme(
            session=session,
            actor=actor,
            programme_in=ProgrammeCreate(
                code="PROBE",
                name="Probe programme",
                organiser="WHO",
                host_country="KOR",
                starts_on=dt.date(2024, 1, 1),
            ),
        )
        course = service.create_course(
            session=session,
            actor=actor,
            programme=programme,
            course_in=CourseCreate(
                title="Probe course",
                starts_on=dt.date(2024, 3, 1),
                ends_on=dt.date(2024, 3, 5),
                mode=CourseMode.ONLINE,
            ),
        )
        trainee = trainees.create_trainee(
            session=session,
            actor=actor,
            trainee_in=TraineeCreate(
                full_name=TRAINEE_MARKER,
                email="vnm.probe.trainee@example.org",
                country="VNM",
                organisation="VNM-MOH",
            ),
        )
        enrolment = trainees.enrol(
            session=session,
            actor=actor,
            course=course,
            enrolment_in=EnrolmentCreate(trainee_id=trainee.id),
        )
        return VietNamTrainee(trainee.id, course.id, enrolment.id)

    return world.arrange(build)
