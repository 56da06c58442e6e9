"""The training services for programmes and courses (regional editors only) and the counts
that everyone sees and that reveal no one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.training.conftest import Enrol, MakeTrainee, UnitOfWork
from tests.cooperation.training.support import (
    as_principal,
    audit_actions,
    count,
    field_of,
    programme_in,
)

from healthbridge.accounts.models import User
from healthbridge.cooperation.training import service, summaries, trainees
from healthbridge.cooperation.training.models import Course, Enrolment, Programme
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CourseMode,
    CourseUpdate,
    EnrolmentComplete,
    EnrolmentWithdraw,
    ProgrammeUpdate,
)
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
ALL = PageRequest(limit=500)


# --- programmes and courses: regional editors ---------------------------------------------------


def test_the_secretariat_creates_a_programme_and_it_is_audited(
    make_user: MakeUser, uow: UnitOfWork, session_factory: sessionmaker[Session]
) -> None:
    secretariat = as_principal(make_user(Role.SECRETARIAT, None))
    with uow() as session:
        created = service.create_programme(
            session=session,
            actor=secretariat,
            programme_in=programme_in(code="asean-lab", description="Labs", ends_on=None),
        )
    assert created.code == "ASEAN-LAB"
    assert created.organiser_code == "KOR-KDCA"
    assert created.host_country_code == "KOR"
    assert ("training_programme.create", "ok", "KOR") in audit_actions(session_factory)


@pytest.mark.parametrize("role", [Role.FOCAL_POINT, Role.VIEWER, Role.EPIDEMIOLOGIST])
def test_no_country_user_creates_a_programme(
    make_user: MakeUser,
    uow: UnitOfWork,
    session_factory: sessionmaker[Session],
    role: Role,
) -> None:
    # A Korean focal point may not create one either, even hosted in Korea: programmes are
    # regional records.
    actor = as_principal(make_user(role, "KOR"))
    with pytest.raises(Forbidden) as refused, uow() as session:
        service.create_programme(session=session, actor=actor, programme_in=programme_in())
    assert refused.value.context is not None
    assert refused.value.context.action == "training:write"
    assert count(session_factory, Programme) == 0


def test_a_focal_point_changes_no_programme_and_adds_no_course(
    make_user: MakeUser, uow: UnitOfWork, programme: Programme, course: Course
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    with pytest.raises(Forbidden), uow() as session:
        service.update_programme(
            session=session, actor=focal, code="BIOHUB", changes=ProgrammeUpdate(name="Mine")
        )
    with pytest.raises(Forbidden), uow() as session:
        service.create_course(
            session=session,
            actor=focal,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
            course_in=CourseCreate(
                title="Thai course",
                starts_on=dt.date(2025, 1, 1),
                ends_on=dt.date(2025, 1, 2),
                mode=CourseMode.ONLINE,
            ),
        )
    with pytest.raises(Forbidden), uow() as session:
        service.update_course(
            session=session, actor=focal, course_id=course.id, changes=CourseUpdate(capacity=99)
        )


def test_a_programme_code_is_taken_once(
    uow: UnitOfWork, operator: Principal, programme: Programme
) -> None:
    with pytest.raises(Conflict) as refused, uow() as session:
        service.create_programme(
            session=session, actor=operator, programme_in=programme_in(code="BioHub")
        )
    assert field_of(refused.value) == "code"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organiser": "NOBODY"}, "organiser"),
        ({"host_country": "XYZ"}, "host_country"),
        ({"project_id": 999_999}, "project_id"),
        ({"commitment_id": 999_999}, "commitment_id"),
        ({"ends_on": dt.date(2022, 12, 31)}, "ends_on"),
    ],
)
def test_bad_programme_input_names_its_field_and_stores_nothing(
    uow: UnitOfWork,
    operator: Principal,
    session_factory: sessionmaker[Session],
    changes: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(Invalid) as refused, uow() as session:
        service.create_programme(
            session=session, actor=operator, programme_in=programme_in(**changes)
        )
    assert field_of(refused.value) == field
    assert count(session_factory, Programme) == 0


def test_a_bad_programme_code_is_refused_by_the_schema() -> None:
    with pytest.raises(ValueError, match="upper-case letters"):
        programme_in(code="bio hub!")


def test_updating_a_programme_changes_it_and_refuses_removing_what_is_required(
    uow: UnitOfWork, operator: Principal, programme: Programme
) -> None:
    with uow() as session:
        changed = service.update_programme(
            session=session,
            actor=operator,
            code="biohub",
            changes=ProgrammeUpdate(
                organiser="WHO", ends_on=dt.date(2030, 12, 31), description="Hub"
            ),
        )
    assert (changed.organiser_code, changed.ends_on, changed.description) == (
        "WHO",
        dt.date(2030, 12, 31),
        "Hub",
    )
    with pytest.raises(Invalid) as refused, uow() as session:
        service.update_programme(
            session=session, actor=operator, code="BIOHUB", changes=ProgrammeUpdate(name=None)
        )
    assert field_of(refused.value) == "name"
    with pytest.raises(Invalid) as refused, uow() as session:
        service.update_programme(
            session=session,
            actor=operator,
            code="BIOHUB",
            changes=ProgrammeUpdate(ends_on=dt.date(2020, 1, 1)),
        )
    assert field_of(refused.value) == "ends_on"
    with pytest.raises(NotFound), uow() as session:
        service.get_programme(session=session, actor=operator, code="NOPE")


def test_a_course_that_ends_before_it_starts_is_invalid_naming_ends_on(
    uow: UnitOfWork, operator: Principal, programme: Programme, course: Course
) -> None:
    with pytest.raises(Invalid) as refused, uow() as session:
        service.create_course(
            session=session,
            actor=operator,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
            course_in=CourseCreate(
                title="Backwards",
                starts_on=dt.date(2025, 5, 2),
                ends_on=dt.date(2025, 5, 1),
                mode=CourseMode.ONLINE,
            ),
        )
    assert field_of(refused.value) == "ends_on"
    with pytest.raises(Invalid) as refused, uow() as session:
        service.update_course(
            session=session,
            actor=operator,
            course_id=course.id,
            changes=CourseUpdate(ends_on=dt.date(2024, 6, 1)),
        )
    assert field_of(refused.value) == "ends_on"


def test_a_course_is_unique_by_title_and_start(
    uow: UnitOfWork, operator: Principal, programme: Programme, course: Course
) -> None:
    with pytest.raises(Conflict) as refused, uow() as session:
        service.create_course(
            session=session,
            actor=operator,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
            course_in=CourseCreate(
                title=course.title,
                starts_on=course.starts_on,
                ends_on=course.ends_on,
                mode=CourseMode.ONLINE,
            ),
        )
    assert field_of(refused.value) == "title"


def test_a_course_capacity_cannot_drop_below_its_trainees(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
) -> None:
    enrol(course, make_trainee("THA"))
    enrol(course, make_trainee("VNM"))
    with pytest.raises(Conflict) as refused, uow() as session:
        service.update_course(
            session=session, actor=operator, course_id=course.id, changes=CourseUpdate(capacity=1)
        )
    assert field_of(refused.value) == "capacity"
    with uow() as session:
        changed = service.update_course(
            session=session,
            actor=operator,
            course_id=course.id,
            changes=CourseUpdate(capacity=None, mode=CourseMode.ONLINE, language="KO"),
        )
    assert (changed.capacity, changed.mode, changed.language) == (None, "online", "ko")


def complete(uow: UnitOfWork, actor: Principal, enrolment: Enrolment, **fields: Any) -> Enrolment:
    with uow() as session:
        return trainees.complete_enrolment(
            session=session,
            actor=actor,
            enrolment_id=enrolment.id,
            completion=EnrolmentComplete(**fields),
        )


# --- aggregates: counts for everyone, no names --------------------------------------------------


def test_counts_by_country_and_course_reveal_no_one(
    make_user: MakeUser,
    uow: UnitOfWork,
    operator: Principal,
    programme: Programme,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
) -> None:
    with uow() as session:
        other = service.create_course(
            session=session,
            actor=operator,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
            course_in=CourseCreate(
                title="mRNA process development",
                starts_on=dt.date(2025, 4, 7),
                ends_on=dt.date(2025, 4, 18),
                mode=CourseMode.IN_PERSON,
            ),
        )
    twice = make_trainee("THA", full_name="Secret Thai Name", email="secret.thai@example.org")
    viet = make_trainee("VNM", full_name="Secret Viet Name", email="secret.viet@example.org")
    left = make_trainee("VNM", full_name="Secret Leaver")
    complete(uow, operator, enrol(course, twice), completed_on=dt.date(2024, 6, 14))
    complete(uow, operator, enrol(other, twice), completed_on=dt.date(2025, 4, 18))
    complete(
        uow,
        operator,
        enrol(course, viet),
        completed_on=dt.date(2024, 6, 14),
        issue_certificate=False,
    )
    with uow() as session:
        trainees.withdraw_enrolment(
            session=session,
            actor=operator,
            enrolment_id=enrol(other, left).id,
            withdrawal=EnrolmentWithdraw(),
        )
    viewer = as_principal(make_user(Role.VIEWER, "IDN"))
    with uow() as session:
        summary = summaries.programme_summary(
            session=session,
            actor=viewer,
            programme=session.get(Programme, programme.id),  # type: ignore[arg-type]
        )
        everything = summaries.counts_by_country(session=session, actor=viewer)
    totals = summary.totals
    assert (totals.courses, totals.trainees, totals.enrolments) == (2, 2, 3)
    assert (totals.completions, totals.certificates, totals.countries) == (3, 2, 2)
    by_country = {c.country_code: c for c in summary.by_country}
    assert set(by_country) == {"THA", "VNM"}
    assert by_country["THA"].trainees == 1  # one person, two courses
    assert (by_country["THA"].completions, by_country["THA"].certificates) == (2, 2)
    assert (by_country["VNM"].trainees, by_country["VNM"].completions) == (1, 1)
    assert by_country["VNM"].certificates == 0
    assert by_country["THA"].country_name == "Thailand"
    by_course = {c.title: c for c in summary.by_course}
    gmp = by_course[course.title]
    assert (gmp.enrolled, gmp.completed, gmp.withdrawn, gmp.certificates) == (0, 2, 0, 1)
    assert gmp.trainees_by_country == {"THA": 1, "VNM": 1}
    mrna = by_course["mRNA process development"]
    assert (mrna.completed, mrna.withdrawn, mrna.trainees_by_country) == (1, 1, {"THA": 1})
    assert [c.country_code for c in everything] == ["THA", "VNM"]
    text = summary.model_dump_json() + str([c.model_dump() for c in everything])
    for secret in ("Secret", "secret.", "@example.org"):
        assert secret not in text
