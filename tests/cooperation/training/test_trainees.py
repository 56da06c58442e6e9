"""The trainee services: personal data in its country's scope, and the enrolment lifecycle
with its certificates."""

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
)

from healthbridge.accounts.models import User
from healthbridge.cooperation.training import trainees
from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.cooperation.training.schemas import (
    EnrolmentComplete,
    EnrolmentCreate,
    EnrolmentWithdraw,
    TraineeCreate,
    TraineeUpdate,
)
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
ALL = PageRequest(limit=500)


# --- trainees: personal data in their country's scope -------------------------------------------


def test_a_focal_point_records_the_trainees_of_their_own_country_only(
    make_user: MakeUser, uow: UnitOfWork, session_factory: sessionmaker[Session]
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    with uow() as session:
        thai = trainees.create_trainee(
            session=session,
            actor=focal,
            trainee_in=TraineeCreate(
                full_name="Kanya Demo",
                email="Kanya@Example.org",
                sex="female",
                country="tha",
                organisation="tha-moph",
                position="Analyst",
            ),
        )
    assert (thai.country_code, thai.email, thai.organisation_code, thai.sex) == (
        "THA",
        "kanya@example.org",
        "THA-MOPH",
        "female",
    )
    with pytest.raises(Forbidden) as refused, uow() as session:
        trainees.create_trainee(
            session=session,
            actor=focal,
            trainee_in=TraineeCreate(full_name="Minh", email="minh@example.org", country="VNM"),
        )
    assert refused.value.context is not None and refused.value.context.country == "VNM"
    assert count(session_factory, Trainee) == 1


def test_a_thai_focal_point_cannot_read_a_viet_nam_trainee(
    make_user: MakeUser, uow: UnitOfWork, make_trainee: MakeTrainee
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    thai = make_trainee("THA", full_name="Somchai Thai")
    vietnamese = make_trainee("VNM", full_name="Nguyen Viet")
    with uow() as session:
        assert trainees.get_trainee(session=session, actor=focal, trainee_id=thai.id).id == thai.id
    with pytest.raises(Forbidden), uow() as session:
        trainees.get_trainee(session=session, actor=focal, trainee_id=vietnamese.id)
    with pytest.raises(Forbidden), uow() as session:
        trainees.list_trainees(session=session, actor=focal, page=ALL, country="VNM")
    with uow() as session:
        rows, total = trainees.list_trainees(session=session, actor=focal, page=ALL)
    assert [t.full_name for t in rows] == ["Somchai Thai"]
    assert total == 1


def test_regional_editors_read_every_country_and_other_roles_none(
    make_user: MakeUser, uow: UnitOfWork, make_trainee: MakeTrainee
) -> None:
    make_trainee("THA")
    make_trainee("VNM")
    secretariat = as_principal(make_user(Role.SECRETARIAT, None))
    with uow() as session:
        _rows, total = trainees.list_trainees(session=session, actor=secretariat, page=ALL)
    assert total == 2
    for role in (Role.EPIDEMIOLOGIST, Role.VIEWER, Role.EOC_OFFICER):
        actor = as_principal(make_user(role, "THA"))
        with pytest.raises(Forbidden), uow() as session:
            trainees.list_trainees(session=session, actor=actor, page=ALL)


def test_reads_of_trainees_are_audited_with_their_country(
    make_user: MakeUser,
    uow: UnitOfWork,
    make_trainee: MakeTrainee,
    session_factory: sessionmaker[Session],
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "VNM"))
    trainee = make_trainee("VNM")
    with uow() as session:
        trainees.get_trainee(session=session, actor=focal, trainee_id=trainee.id)
        trainees.list_trainees(session=session, actor=focal, page=ALL, q="trainee")
    actions = audit_actions(session_factory)
    assert ("trainee.read", "ok", "VNM") in actions
    assert ("trainee.list", "ok", None) in actions


def test_an_unknown_trainee_is_not_found(operator: Principal, uow: UnitOfWork) -> None:
    with pytest.raises(NotFound), uow() as session:
        trainees.get_trainee(session=session, actor=operator, trainee_id=424242)


def test_an_email_is_unique_within_a_country_only(
    uow: UnitOfWork, operator: Principal, make_trainee: MakeTrainee
) -> None:
    make_trainee("THA", email="same@example.org")
    with pytest.raises(Conflict) as refused, uow() as session:
        trainees.create_trainee(
            session=session,
            actor=operator,
            trainee_in=TraineeCreate(full_name="Again", email="SAME@example.org", country="THA"),
        )
    assert field_of(refused.value) == "email"
    assert make_trainee("VNM", email="same@example.org").country_code == "VNM"


def test_moving_a_trainee_to_another_country_needs_both_scopes(
    make_user: MakeUser, uow: UnitOfWork, make_trainee: MakeTrainee, operator: Principal
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    trainee = make_trainee("THA")
    with uow() as session:
        changed = trainees.update_trainee(
            session=session,
            actor=focal,
            trainee_id=trainee.id,
            changes=TraineeUpdate(position="Head of QC", sex=None, organisation="THA-MOPH"),
        )
    assert (changed.position, changed.sex, changed.organisation_code) == (
        "Head of QC",
        None,
        "THA-MOPH",
    )
    with pytest.raises(Forbidden), uow() as session:
        trainees.update_trainee(
            session=session,
            actor=focal,
            trainee_id=trainee.id,
            changes=TraineeUpdate(country="VNM"),
        )
    with pytest.raises(Invalid) as refused, uow() as session:
        trainees.update_trainee(
            session=session, actor=focal, trainee_id=trainee.id, changes=TraineeUpdate(email=None)
        )
    assert field_of(refused.value) == "email"
    with uow() as session:
        moved = trainees.update_trainee(
            session=session,
            actor=operator,
            trainee_id=trainee.id,
            changes=TraineeUpdate(country="VNM"),
        )
    assert moved.country_code == "VNM"


# --- enrolments, completions and certificates ---------------------------------------------------


def test_a_thai_focal_point_cannot_enrol_a_viet_nam_trainee(
    make_user: MakeUser,
    uow: UnitOfWork,
    course: Course,
    make_trainee: MakeTrainee,
    session_factory: sessionmaker[Session],
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    thai, vietnamese = make_trainee("THA"), make_trainee("VNM")
    with uow() as session:
        enrolment = trainees.enrol(
            session=session,
            actor=focal,
            course=session.get(Course, course.id),  # type: ignore[arg-type]
            enrolment_in=EnrolmentCreate(trainee_id=thai.id),
        )
    assert enrolment.status == "enrolled"
    assert enrolment.enrolled_on == dt.datetime.now(dt.UTC).date()
    with pytest.raises(Forbidden), uow() as session:
        trainees.enrol(
            session=session,
            actor=focal,
            course=session.get(Course, course.id),  # type: ignore[arg-type]
            enrolment_in=EnrolmentCreate(trainee_id=vietnamese.id),
        )
    assert count(session_factory, Enrolment) == 1


def test_enrolling_twice_and_enrolling_an_unknown_trainee_are_refused(
    uow: UnitOfWork, operator: Principal, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    trainee = make_trainee("THA")
    enrol(course, trainee)
    with pytest.raises(Conflict) as refused:
        enrol(course, trainee)
    assert field_of(refused.value) == "trainee_id"
    with pytest.raises(Invalid) as refused, uow() as session:
        trainees.enrol(
            session=session,
            actor=operator,
            course=session.get(Course, course.id),  # type: ignore[arg-type]
            enrolment_in=EnrolmentCreate(trainee_id=999_999),
        )
    assert field_of(refused.value) == "trainee_id"


def test_a_full_course_refuses_enrolments_until_someone_withdraws(
    uow: UnitOfWork, operator: Principal, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    first = enrol(course, make_trainee("THA"))
    enrol(course, make_trainee("VNM"))
    enrol(course, make_trainee("IDN"))  # capacity 3
    late = make_trainee("PHL")
    with pytest.raises(Conflict) as refused:
        enrol(course, late)
    assert field_of(refused.value) == "course_id"
    with uow() as session:
        trainees.withdraw_enrolment(
            session=session, actor=operator, enrolment_id=first.id, withdrawal=EnrolmentWithdraw()
        )
    assert enrol(course, late).status == "enrolled"


def complete(uow: UnitOfWork, actor: Principal, enrolment: Enrolment, **fields: Any) -> Enrolment:
    with uow() as session:
        return trainees.complete_enrolment(
            session=session,
            actor=actor,
            enrolment_id=enrolment.id,
            completion=EnrolmentComplete(**fields),
        )


def test_completion_issues_certificates_numbered_by_programme_and_year(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
    session_factory: sessionmaker[Session],
) -> None:
    a, b, c = (enrol(course, make_trainee(country)) for country in ("THA", "VNM", "IDN"))
    first = complete(uow, operator, a, completed_on=dt.date(2024, 6, 14))
    second = complete(uow, operator, b, completed_on=dt.date(2024, 6, 14))
    next_year = complete(uow, operator, c, completed_on=dt.date(2025, 1, 10))
    assert (first.status, first.completed_on) == ("completed", dt.date(2024, 6, 14))
    assert first.certificate_number == "BIOHUB-2024-0001"
    assert first.certificate_issued_on == dt.date(2024, 6, 14)
    assert second.certificate_number == "BIOHUB-2024-0002"
    assert next_year.certificate_number == "BIOHUB-2025-0001"
    actions = [a for a, _o, _c in audit_actions(session_factory)]
    assert actions.count("training_enrolment.complete") == 3
    assert actions.count("training_enrolment.certify") == 3


def test_completing_twice_is_idempotent(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
    session_factory: sessionmaker[Session],
) -> None:
    enrolment = enrol(course, make_trainee("THA"))
    once = complete(uow, operator, enrolment, completed_on=dt.date(2024, 6, 14))
    entries = len(audit_actions(session_factory))
    twice = complete(uow, operator, enrolment, completed_on=dt.date(2024, 7, 1))
    assert (twice.certificate_number, twice.completed_on) == (
        once.certificate_number,
        dt.date(2024, 6, 14),
    )
    assert len(audit_actions(session_factory)) == entries


def test_an_attendance_only_completion_is_certified_by_completing_again(
    uow: UnitOfWork, operator: Principal, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    enrolment = enrol(course, make_trainee("THA"))
    attended = complete(
        uow, operator, enrolment, completed_on=dt.date(2024, 6, 14), issue_certificate=False
    )
    assert (attended.status, attended.certificate_number) == ("completed", None)
    certified = complete(uow, operator, enrolment)
    assert certified.certificate_number == "BIOHUB-2024-0001"
    assert certified.certificate_issued_on == dt.datetime.now(dt.UTC).date()


@pytest.mark.parametrize(
    "completed_on",
    [dt.date(2024, 6, 2), dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)],
    ids=["before the course", "in the future"],
)
def test_a_completion_date_outside_the_possible_is_invalid(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
    completed_on: dt.date,
) -> None:
    enrolment = enrol(course, make_trainee("THA"))
    with pytest.raises(Invalid) as refused:
        complete(uow, operator, enrolment, completed_on=completed_on)
    assert field_of(refused.value) == "completed_on"


def test_a_completed_enrolment_is_not_withdrawn_and_a_withdrawn_one_not_completed(
    uow: UnitOfWork, operator: Principal, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    done = enrol(course, make_trainee("THA"))
    complete(uow, operator, done, completed_on=dt.date(2024, 6, 14))
    with pytest.raises(Conflict) as refused, uow() as session:
        trainees.withdraw_enrolment(
            session=session, actor=operator, enrolment_id=done.id, withdrawal=EnrolmentWithdraw()
        )
    assert field_of(refused.value) == "status"
    assert "BIOHUB-2024-0001" in refused.value.detail

    trainee = make_trainee("VNM")
    left = enrol(course, trainee)
    for _ in range(2):  # withdrawing twice is idempotent
        with uow() as session:
            withdrawn = trainees.withdraw_enrolment(
                session=session,
                actor=operator,
                enrolment_id=left.id,
                withdrawal=EnrolmentWithdraw(withdrawn_on=dt.date(2024, 5, 20)),
            )
        assert (withdrawn.status, withdrawn.withdrawn_on) == ("withdrawn", dt.date(2024, 5, 20))
    with pytest.raises(Conflict):
        complete(uow, operator, left)
    again = enrol(course, trainee)
    assert (again.id, again.status, again.withdrawn_on) == (left.id, "enrolled", None)


def test_a_thai_focal_point_neither_completes_nor_withdraws_a_viet_nam_enrolment(
    make_user: MakeUser, uow: UnitOfWork, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    focal = as_principal(make_user(Role.FOCAL_POINT, "THA"))
    enrolment = enrol(course, make_trainee("VNM"))
    with pytest.raises(Forbidden):
        complete(uow, focal, enrolment, completed_on=dt.date(2024, 6, 14))
    with pytest.raises(Forbidden), uow() as session:
        trainees.withdraw_enrolment(
            session=session, actor=focal, enrolment_id=enrolment.id, withdrawal=EnrolmentWithdraw()
        )
    with pytest.raises(NotFound), uow() as session:
        trainees.withdraw_enrolment(
            session=session, actor=focal, enrolment_id=999_999, withdrawal=EnrolmentWithdraw()
        )


def test_the_names_on_a_course_are_those_of_the_readers_countries(
    make_user: MakeUser, uow: UnitOfWork, course: Course, make_trainee: MakeTrainee, enrol: Enrol
) -> None:
    enrol(course, make_trainee("THA", full_name="Thai Person"))
    enrol(course, make_trainee("VNM", full_name="Viet Person"))

    def names(actor: Principal) -> list[str]:
        with uow() as session:
            rows, _total = trainees.list_enrolments(
                session=session,
                actor=actor,
                course=session.get(Course, course.id),  # type: ignore[arg-type]
                page=ALL,
            )
            return [e.trainee.full_name for e in rows]

    assert names(as_principal(make_user(Role.FOCAL_POINT, "THA"))) == ["Thai Person"]
    assert names(as_principal(make_user(Role.FOCAL_POINT, "VNM"))) == ["Viet Person"]
    assert names(as_principal(make_user(Role.SECRETARIAT, None))) == ["Thai Person", "Viet Person"]
    with pytest.raises(Forbidden):
        names(as_principal(make_user(Role.VIEWER, "THA")))


def test_a_certificate_number_taken_meanwhile_is_drawn_again(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = complete(
        uow, operator, enrol(course, make_trainee("THA")), completed_on=dt.date(2024, 6, 14)
    )
    draw = trainees._next_certificate_number
    drawn: list[str] = []

    def stale_then_fresh(session: Session, programme: Programme, year: int) -> str:
        # The first draw answers as if the other completion had not committed yet.
        number = first.certificate_number if not drawn else draw(session, programme, year)
        assert number is not None
        drawn.append(number)
        return number

    monkeypatch.setattr(trainees, "_next_certificate_number", stale_then_fresh)
    second = complete(
        uow, operator, enrol(course, make_trainee("VNM")), completed_on=dt.date(2024, 6, 14)
    )
    assert drawn == ["BIOHUB-2024-0001", "BIOHUB-2024-0002"]
    assert (second.status, second.certificate_number) == ("completed", "BIOHUB-2024-0002")
    with uow() as session:
        stored = session.get(Enrolment, second.id)
        assert stored is not None
        assert (stored.status, stored.certificate_number) == ("completed", "BIOHUB-2024-0002")
