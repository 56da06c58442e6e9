"""What training programmes, courses, trainees and enrolments look like at the API."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from healthbridge.inputs import InputModel
from healthbridge.paging import Page

#: Programme codes: upper-case letters and digits, words joined by hyphens (e.g. ``BIOHUB``).
PROGRAMME_CODE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")


class CourseMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_STATED = "not_stated"


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


def _programme_code(value: str) -> str:
    value = value.strip().upper()
    if not PROGRAMME_CODE.match(value):
        raise ValueError("upper-case letters and digits, words joined by '-' (e.g. BIOHUB)")
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value or "@" in domain:
        raise ValueError("not an e-mail address")
    return value


def _language(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(r"[a-z]{2}", value):
        raise ValueError("an ISO 639-1 code of two letters, e.g. en")
    return value


# --- programmes -------------------------------------------------------------------------------


class ProgrammeCreate(InputModel):
    code: str = Field(min_length=2, max_length=20)
    name: str = Field(min_length=1, max_length=300)
    #: Organisation code, e.g. ``KOR-MOHW`` or ``WHO``.
    organiser: str = Field(min_length=1, max_length=40)
    #: ISO 3166-1 alpha-3 of the host country.
    host_country: str = Field(min_length=3, max_length=3)
    description: str | None = Field(default=None, max_length=10_000)
    starts_on: dt.date
    ends_on: dt.date | None = None
    project_id: int | None = Field(default=None, ge=1)
    commitment_id: int | None = Field(default=None, ge=1)
    source: str | None = Field(default=None, max_length=500)

    _check_code = field_validator("code")(_programme_code)


class ProgrammeUpdate(InputModel):
    """Changes to a programme; its code is its identity and does not change."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    organiser: str | None = Field(default=None, min_length=1, max_length=40)
    host_country: str | None = Field(default=None, min_length=3, max_length=3)
    description: str | None = Field(default=None, max_length=10_000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    project_id: int | None = Field(default=None, ge=1)
    commitment_id: int | None = Field(default=None, ge=1)
    source: str | None = Field(default=None, max_length=500)


class ProgrammeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    organiser_code: str
    host_country_code: str
    description: str | None
    starts_on: dt.date
    ends_on: dt.date | None
    project_id: int | None
    commitment_id: int | None
    source: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


ProgrammePage = Page[ProgrammeRead]


# --- courses ----------------------------------------------------------------------------------


class CourseCreate(InputModel):
    title: str = Field(min_length=1, max_length=300)
    starts_on: dt.date
    ends_on: dt.date
    mode: CourseMode
    location: str | None = Field(default=None, max_length=200)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    language: str = Field(default="en", min_length=2, max_length=3)

    _check_language = field_validator("language")(_language)


class CourseUpdate(InputModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    mode: CourseMode | None = None
    location: str | None = Field(default=None, max_length=200)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    language: str | None = Field(default=None, min_length=2, max_length=3)

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        return None if value is None else _language(value)


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    programme_id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    mode: CourseMode
    location: str | None
    capacity: int | None
    language: str


CoursePage = Page[CourseRead]


# --- trainees and enrolments (personal data) --------------------------------------------------


class TraineeCreate(InputModel):
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    sex: Sex | None = None
    #: ISO 3166-1 alpha-3 of the served country the trainee works for.
    country: str = Field(min_length=3, max_length=3)
    organisation: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=500)

    _check_email = field_validator("email")(_email)


class TraineeUpdate(InputModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    sex: Sex | None = None
    country: str | None = Field(default=None, min_length=3, max_length=3)
    organisation: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=500)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else _email(value)


class TraineeEnrolment(BaseModel):
    """One of a trainee's enrolments, as shown with the trainee."""

    id: int
    course_id: int
    course_title: str
    programme_code: str
    status: EnrolmentStatus
    completed_on: dt.date | None
    certificate_number: str | None


class TraineeRead(BaseModel):
    id: int
    full_name: str
    email: str
    sex: Sex | None
    country_code: str
    organisation_code: str | None
    position: str | None
    source: str | None
    created_at: dt.datetime
    enrolments: list[TraineeEnrolment]

    @classmethod
    def of(cls, trainee: Any) -> TraineeRead:
        """The API view of a trainee row, with its enrolments' courses and programmes."""
        return cls(
            id=trainee.id,
            full_name=trainee.full_name,
            email=trainee.email,
            sex=trainee.sex,
            country_code=trainee.country_code,
            organisation_code=trainee.organisation_code,
            position=trainee.position,
            source=trainee.source,
            created_at=trainee.created_at,
            enrolments=[
                TraineeEnrolment(
                    id=e.id,
                    course_id=e.course_id,
                    course_title=e.course.title,
                    programme_code=e.course.programme.code,
                    status=e.status,
                    completed_on=e.completed_on,
                    certificate_number=e.certificate_number,
                )
                for e in trainee.enrolments
            ],
        )


TraineePage = Page[TraineeRead]


class EnrolmentCreate(InputModel):
    trainee_id: int = Field(ge=1)
    #: Defaults to today.
    enrolled_on: dt.date | None = None


class EnrolmentComplete(InputModel):
    #: Defaults to today (UTC); never before the course starts.
    completed_on: dt.date | None = None
    #: Issue a certificate with the completion (the default); an attendance-only completion
    #: may be certified later by completing it again.
    issue_certificate: bool = True


class EnrolmentWithdraw(InputModel):
    #: Defaults to today (UTC).
    withdrawn_on: dt.date | None = None


class EnrolledTrainee(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    country_code: str
    organisation_code: str | None
    position: str | None


class EnrolmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    status: EnrolmentStatus
    enrolled_on: dt.date
    completed_on: dt.date | None
    withdrawn_on: dt.date | None
    certificate_number: str | None
    certificate_issued_on: dt.date | None
    trainee: EnrolledTrainee


EnrolmentPage = Page[EnrolmentRead]


# --- aggregates (counts only: no names) -------------------------------------------------------


class CountryCounts(BaseModel):
    country_code: str
    country_name: str
    trainees: int
    enrolments: int
    completions: int
    certificates: int


class CourseCounts(BaseModel):
    course_id: int
    title: str
    starts_on: dt.date
    ends_on: dt.date
    mode: CourseMode
    capacity: int | None
    enrolled: int
    completed: int
    withdrawn: int
    certificates: int
    #: Trainees of each country on this course (withdrawn ones excluded).
    trainees_by_country: dict[str, int]


class Totals(BaseModel):
    courses: int
    trainees: int
    enrolments: int
    completions: int
    certificates: int
    countries: int


class ProgrammeSummary(BaseModel):
    """A programme's reach in counts: by country of the trainees and by course."""

    code: str
    name: str
    totals: Totals
    by_country: list[CountryCounts]
    by_course: list[CourseCounts]
