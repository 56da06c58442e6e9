"""Trainees and their enrolments: personal data, kept in the trainee's country's scope.

Reading a trainee (one record or a list with names) needs ``TRAINEE_READ`` for the trainee's
country and is written to the audit log; writing one needs ``TRAINING_WRITE`` for that country,
so a focal point records the trainees of their own country and the regional editors everyone's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.cooperation.training.schemas import (
    EnrolmentComplete,
    EnrolmentCreate,
    EnrolmentStatus,
    EnrolmentWithdraw,
    TraineeCreate,
    TraineeUpdate,
)
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize, visible_countries

#: How often a certificate number is drawn again when a concurrent completion took it first.
_CERTIFICATE_ATTEMPTS = 5

_WITH_ENROLMENTS = (
    selectinload(Trainee.enrolments).selectinload(Enrolment.course).selectinload(Course.programme)
)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- trainees ---------------------------------------------------------------------------------


def find_trainee(*, session: Session, country: str, email: str) -> Trainee | None:
    """The trainee of ``country`` with this e-mail, whatever the actor (for demo data)."""
    return session.scalars(
        select(Trainee).where(
            Trainee.country_code == country.upper(), Trainee.email == email.strip().lower()
        )
    ).first()


def _check_email_free(
    session: Session, *, country: str, email: str, trainee_id: int | None = None
) -> None:
    existing = find_trainee(session=session, country=country, email=email)
    if existing is not None and existing.id != trainee_id:
        raise Conflict(
            f"a trainee of {country} with e-mail {email} exists already (id {existing.id})",
            errors=[FieldError("email", "taken in this country")],
        )


def create_trainee(*, session: Session, actor: Principal, trainee_in: TraineeCreate) -> Trainee:
    """Record a trainee. A focal point records the trainees of their own country only."""
    country = geography.require_country(session=session, code=trainee_in.country)
    assert country is not None
    authorize(actor, Action.TRAINING_WRITE, country=country, object_type="trainee")
    organisation = organisations.require_organisation(session=session, code=trainee_in.organisation)
    _check_email_free(session, country=country, email=trainee_in.email)
    trainee = Trainee(
        full_name=trainee_in.full_name.strip(),
        email=trainee_in.email,
        sex=trainee_in.sex.value if trainee_in.sex else None,
        country_code=country,
        organisation_code=organisation,
        position=trainee_in.position,
        source=trainee_in.source,
    )
    session.add(trainee)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="trainee.create",
        object_type="trainee",
        object_id=trainee.id,
        country=country,
    )
    return trainee


def list_trainees(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    country: str | None = None,
    programme: Programme | None = None,
    q: str | None = None,
) -> tuple[list[Trainee], int]:
    """Trainees the actor may see: of their own country, or of every country for the region.

    Asking for another country's trainees is refused (and audited), never silently emptied.
    The list is audited as a read of personal data.
    """
    allowed = visible_countries(actor, Action.TRAINEE_READ)
    query = select(Trainee).options(_WITH_ENROLMENTS)
    if country is not None:
        country = geography.require_country(session=session, code=country)
        authorize(actor, Action.TRAINEE_READ, country=country, object_type="trainee")
        query = query.where(Trainee.country_code == country)
    elif allowed is not None:
        query = query.where(Trainee.country_code.in_(allowed))
    if programme is not None:
        query = query.where(
            Trainee.enrolments.any(Enrolment.course.has(Course.programme_id == programme.id))
        )
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Trainee.full_name.ilike(pattern, escape="\\"),
                Trainee.email.ilike(pattern, escape="\\"),
                Trainee.position.ilike(pattern, escape="\\"),
            )
        )
    trainees, total = paginate(
        session,
        query,
        page,
        sortable={
            "name": Trainee.full_name,
            "country": Trainee.country_code,
            "created": Trainee.created_at,
            "id": Trainee.id,
        },
        default_sort="name",
    )
    audit.record(
        session=session,
        actor=actor,
        action="trainee.list",
        object_type="trainee",
        country=country,
        detail={
            "returned": len(trainees),
            "total": total,
            "programme": programme.code if programme else None,
        },
    )
    return trainees, total


def get_trainee(*, session: Session, actor: Principal, trainee_id: int) -> Trainee:
    """One trainee. Reading another country's trainee is refused, and the refusal audited."""
    trainee = session.get(Trainee, trainee_id, options=[_WITH_ENROLMENTS])
    if trainee is None:
        authorize(actor, Action.TRAINEE_READ, object_type="trainee", object_id=str(trainee_id))
        raise NotFound(f"no trainee with id {trainee_id}")
    authorize(
        actor,
        Action.TRAINEE_READ,
        country=trainee.country_code,
        object_type="trainee",
        object_id=str(trainee_id),
    )
    audit.record(
        session=session,
        actor=actor,
        action="trainee.read",
        object_type="trainee",
        object_id=trainee.id,
        country=trainee.country_code,
    )
    return trainee


def update_trainee(
    *, session: Session, actor: Principal, trainee_id: int, changes: TraineeUpdate
) -> Trainee:
    """Change a trainee's record; moving them to another country needs that country's scope too."""
    trainee = get_trainee(session=session, actor=actor, trainee_id=trainee_id)
    authorize(
        actor,
        Action.TRAINING_WRITE,
        country=trainee.country_code,
        object_type="trainee",
        object_id=str(trainee_id),
    )
    values: dict[str, Any] = changes.model_dump(exclude_unset=True)
    missing = [f for f in ("full_name", "email", "country") if f in values and values[f] is None]
    if missing:
        raise Invalid(
            f"{', '.join(missing)} cannot be removed",
            errors=[FieldError(f, "required; cannot be null") for f in missing],
        )
    if "country" in values:
        country = geography.require_country(session=session, code=values.pop("country"))
        assert country is not None
        authorize(
            actor,
            Action.TRAINING_WRITE,
            country=country,
            object_type="trainee",
            object_id=str(trainee_id),
        )
        values["country_code"] = country
    if "organisation" in values:
        values["organisation_code"] = organisations.require_organisation(
            session=session, code=values.pop("organisation")
        )
    if "sex" in values:
        values["sex"] = values["sex"].value if values["sex"] is not None else None
    if "full_name" in values:
        values["full_name"] = values["full_name"].strip()
    if "email" in values or "country_code" in values:
        _check_email_free(
            session,
            country=values.get("country_code", trainee.country_code),
            email=values.get("email", trainee.email),
            trainee_id=trainee.id,
        )
    moved_from = trainee.country_code
    for field, value in values.items():
        setattr(trainee, field, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="trainee.update",
        object_type="trainee",
        object_id=trainee.id,
        country=trainee.country_code,
        # Which fields changed, not their values: the log is read regionally.
        detail={"fields": sorted(values), "moved_from": moved_from}
        if moved_from != trainee.country_code
        else {"fields": sorted(values)},
    )
    return trainee


# --- enrolments -------------------------------------------------------------------------------


def _require_enrolment(session: Session, enrolment_id: int) -> Enrolment:
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(f"no enrolment with id {enrolment_id}")
    return enrolment


def find_enrolment(*, session: Session, course: Course, trainee: Trainee) -> Enrolment | None:
    """The enrolment of ``trainee`` on ``course``, if any (for demo data)."""
    return session.scalars(
        select(Enrolment).where(
            Enrolment.course_id == course.id, Enrolment.trainee_id == trainee.id
        )
    ).first()


def _places_taken(session: Session, course: Course) -> int:
    return len(
        session.scalars(
            select(Enrolment.id).where(
                Enrolment.course_id == course.id,
                Enrolment.status != EnrolmentStatus.WITHDRAWN.value,
            )
        ).all()
    )


def enrol(
    *, session: Session, actor: Principal, course: Course, enrolment_in: EnrolmentCreate
) -> Enrolment:
    """Enrol a trainee on a course; a withdrawn trainee may enrol again.

    Refused when the course is full (:class:`Conflict` naming ``course_id``) or the trainee is
    on it already (naming ``trainee_id``).
    """
    trainee = session.get(Trainee, enrolment_in.trainee_id)
    if trainee is None:
        authorize(actor, Action.TRAINING_WRITE, object_type="trainee")
        raise Invalid(
            f"unknown trainee {enrolment_in.trainee_id}",
            errors=[FieldError("trainee_id", "unknown trainee")],
        )
    authorize(
        actor,
        Action.TRAINING_WRITE,
        country=trainee.country_code,
        object_type="trainee",
        object_id=str(trainee.id),
    )
    existing = find_enrolment(session=session, course=course, trainee=trainee)
    if existing is not None and existing.status != EnrolmentStatus.WITHDRAWN.value:
        raise Conflict(
            f"trainee {trainee.id} is on this course already (enrolment {existing.id}, "
            f"{existing.status})",
            errors=[FieldError("trainee_id", "enrolled already")],
        )
    if course.capacity is not None and _places_taken(session, course) >= course.capacity:
        raise Conflict(
            f"the course is full ({course.capacity} places)",
            errors=[FieldError("course_id", f"full: {course.capacity} places taken")],
        )
    enrolled_on = enrolment_in.enrolled_on or _today()
    if existing is not None:
        enrolment = existing
        enrolment.status = EnrolmentStatus.ENROLLED.value
        enrolment.enrolled_on = enrolled_on
        enrolment.withdrawn_on = None
    else:
        enrolment = Enrolment(
            course_id=course.id,
            trainee_id=trainee.id,
            status=EnrolmentStatus.ENROLLED.value,
            enrolled_on=enrolled_on,
        )
        session.add(enrolment)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_enrolment.create" if existing is None else "training_enrolment.reenrol",
        object_type="training_enrolment",
        object_id=enrolment.id,
        country=trainee.country_code,
        detail={"course_id": course.id, "trainee_id": trainee.id},
    )
    return enrolment


def _authorize_enrolment_write(actor: Principal, enrolment: Enrolment) -> None:
    authorize(
        actor,
        Action.TRAINING_WRITE,
        country=enrolment.trainee.country_code,
        object_type="training_enrolment",
        object_id=str(enrolment.id),
    )


def _next_certificate_number(session: Session, programme: Programme, year: int) -> str:
    prefix = f"{programme.code}-{year}-"
    numbers = session.scalars(
        select(Enrolment.certificate_number)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Course.programme_id == programme.id,
            # Codes and years hold no LIKE wildcards ('-', letters and digits only).
            Enrolment.certificate_number.like(f"{prefix}%"),
        )
    ).all()
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers if n and n.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}{max(serials, default=0) + 1:04d}"


def complete_enrolment(
    *,
    session: Session,
    actor: Principal,
    enrolment_id: int,
    completion: EnrolmentComplete,
) -> Enrolment:
    """Record that a trainee completed a course, and issue the certificate.

    Idempotent: completing a completed enrolment changes nothing (except issuing the certificate
    an attendance-only completion did not get). A withdrawn enrolment cannot be completed.
    """
    enrolment = _require_enrolment(session, enrolment_id)
    _authorize_enrolment_write(actor, enrolment)
    course = enrolment.course
    if enrolment.status == EnrolmentStatus.WITHDRAWN.value:
        raise Conflict(
            f"enrolment {enrolment.id} was withdrawn on {enrolment.withdrawn_on}: enrol the "
            "trainee again first",
            errors=[FieldError("status", "withdrawn")],
        )
    if enrolment.status == EnrolmentStatus.COMPLETED.value:
        if enrolment.certificate_number is None and completion.issue_certificate:
            _issue_certificate(session, actor, enrolment, issued_on=_today())
        return enrolment
    completed_on = completion.completed_on or _today()
    if completed_on < course.starts_on:
        raise Invalid(
            "a course cannot be completed before it starts",
            errors=[FieldError("completed_on", f"on or after {course.starts_on}")],
        )
    if completed_on > _today():
        raise Invalid(
            "a completion cannot be recorded in advance",
            errors=[FieldError("completed_on", "not in the future")],
        )
    enrolment.status = EnrolmentStatus.COMPLETED.value
    enrolment.completed_on = completed_on
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_enrolment.complete",
        object_type="training_enrolment",
        object_id=enrolment.id,
        country=enrolment.trainee.country_code,
        detail={"course_id": course.id, "completed_on": str(completed_on)},
    )
    if completion.issue_certificate:
        _issue_certificate(session, actor, enrolment, issued_on=completed_on)
    return enrolment


def _issue_certificate(
    session: Session, actor: Principal, enrolment: Enrolment, *, issued_on: dt.date
) -> None:
    assert enrolment.completed_on is not None
    programme, year = enrolment.course.programme, enrolment.completed_on.year
    for _attempt in range(_CERTIFICATE_ATTEMPTS):
        number = _next_certificate_number(session, programme, year)
        try:
            # The unique number is the arbiter: a concurrent completion that drew the same
            # number first makes this savepoint fail, and the next number is drawn.
            with session.begin_nested():
                enrolment.certificate_number = number
                enrolment.certificate_issued_on = issued_on
                session.flush()
            break
        except IntegrityError:
            continue
    else:
        raise Conflict(
            "certificate numbers are being issued concurrently; try again",
            errors=[FieldError("certificate_number", "could not be drawn")],
        )
    audit.record(
        session=session,
        actor=actor,
        action="training_enrolment.certify",
        object_type="training_enrolment",
        object_id=enrolment.id,
        country=enrolment.trainee.country_code,
        detail={"certificate_number": number, "issued_on": str(issued_on)},
    )


def withdraw_enrolment(
    *,
    session: Session,
    actor: Principal,
    enrolment_id: int,
    withdrawal: EnrolmentWithdraw,
) -> Enrolment:
    """Withdraw a trainee from a course. Idempotent; a completed enrolment cannot be withdrawn."""
    enrolment = _require_enrolment(session, enrolment_id)
    _authorize_enrolment_write(actor, enrolment)
    if enrolment.status == EnrolmentStatus.COMPLETED.value:
        raise Conflict(
            f"enrolment {enrolment.id} was completed on {enrolment.completed_on}"
            + (
                f" (certificate {enrolment.certificate_number})"
                if enrolment.certificate_number
                else ""
            )
            + ": a completion is not withdrawn",
            errors=[FieldError("status", "completed")],
        )
    if enrolment.status == EnrolmentStatus.WITHDRAWN.value:
        return enrolment
    withdrawn_on = withdrawal.withdrawn_on or _today()
    if withdrawn_on < enrolment.enrolled_on:
        raise Invalid(
            "a withdrawal cannot come before the enrolment",
            errors=[FieldError("withdrawn_on", f"on or after {enrolment.enrolled_on}")],
        )
    enrolment.status = EnrolmentStatus.WITHDRAWN.value
    enrolment.withdrawn_on = withdrawn_on
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_enrolment.withdraw",
        object_type="training_enrolment",
        object_id=enrolment.id,
        country=enrolment.trainee.country_code,
        detail={"course_id": enrolment.course_id, "withdrawn_on": str(withdrawn_on)},
    )
    return enrolment


def list_enrolments(
    *,
    session: Session,
    actor: Principal,
    course: Course,
    page: PageRequest,
    status: EnrolmentStatus | None = None,
) -> tuple[list[Enrolment], int]:
    """The enrolments of a course with the trainees' names: only the trainees of the countries
    the actor may see. Audited as a read of personal data."""
    allowed = visible_countries(actor, Action.TRAINEE_READ)
    query = (
        select(Enrolment)
        .join(Trainee, Trainee.id == Enrolment.trainee_id)
        .where(Enrolment.course_id == course.id)
        .options(selectinload(Enrolment.trainee))
    )
    if allowed is not None:
        query = query.where(Trainee.country_code.in_(allowed))
    if status is not None:
        query = query.where(Enrolment.status == status.value)
    enrolments, total = paginate(
        session,
        query,
        page,
        sortable={
            "name": Trainee.full_name,
            "country": Trainee.country_code,
            "status": Enrolment.status,
            "id": Enrolment.id,
        },
        default_sort="name",
    )
    audit.record(
        session=session,
        actor=actor,
        action="training_enrolment.list",
        object_type="training_enrolment",
        object_id=course.id,
        detail={"course_id": course.id, "returned": len(enrolments), "total": total},
    )
    return enrolments, total
