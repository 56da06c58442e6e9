"""Capacity building: programmes and their courses (regional cooperation records).

Trainees and enrolments, which are personal data, live in :mod:`.trainees`; the counts everyone
may see in :mod:`.summaries`.

Who writes programmes and courses: ``TRAINING_WRITE`` is scoped "own country or regional", and
``policy.is_allowed`` lets any role of the rule through when no country is given. A programme
belongs to no single country (trainees come from the whole region), so checking it with
``country=None`` would let a focal point create one. Programmes and courses are therefore kept
by regional editors only (the Secretariat and the administrators): :func:`authorize_regional_write`
asks the policy for the role, then refuses — and has the border audit — a principal with a
country. Focal points write the records of their own country's trainees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.cooperation.commitments import service as commitments
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.training.models import Course, Programme
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CourseUpdate,
    ProgrammeCreate,
    ProgrammeUpdate,
)
from healthbridge.errors import Conflict, DenialContext, FieldError, Forbidden, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize


def authorize_regional_write(
    actor: Principal, *, object_type: str, object_id: str | None = None
) -> None:
    """Refuse unless ``actor`` may write training records for the whole region.

    Raises :class:`Forbidden` (with a context, so the border audits the refusal) for roles that
    may not write training records at all and for principals who act for one country.
    """
    authorize(actor, Action.TRAINING_WRITE, object_type=object_type, object_id=object_id)
    if not actor.is_regional:
        raise Forbidden(
            "programmes and courses are kept by regional editors (the Secretariat and the "
            f"administrators); a focal point of {actor.country} records its trainees",
            context=DenialContext(
                action=str(Action.TRAINING_WRITE),
                object_type=object_type,
                object_id=object_id,
                country=actor.country,
            ),
        )


def require_commitment(
    *, session: Session, commitment_id: int | None, field: str = "commitment_id"
) -> int | None:
    """The id of an existing commitment, for input that refers to one; :class:`Invalid` if not."""
    found = commitments.require_commitment(
        session=session, commitment_id=commitment_id, field=field
    )
    return found.id if found else None


def commitment_text(*, session: Session, commitment_id: int) -> str | None:
    """What the commitment with this id says (to name a programme's link), if it exists."""
    try:
        found = commitments.require_commitment(session=session, commitment_id=commitment_id)
    except Invalid:
        return None
    return found.text if found else None


def find_commitment_id(*, session: Session, meeting_id: int, text: str) -> int | None:
    """The id of the commitment of this meeting with exactly this text (for demo data)."""
    found = commitments.find_commitment(session=session, meeting_id=meeting_id, text=text)
    return found.id if found else None


def _check_dates(starts_on: Any, ends_on: Any) -> None:
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        raise Invalid(
            "the end date is before the start date",
            errors=[FieldError("ends_on", f"must be on or after starts_on ({starts_on})")],
        )


def _required(values: dict[str, Any], *fields: str) -> None:
    missing = [f for f in fields if f in values and values[f] is None]
    if missing:
        raise Invalid(
            f"{', '.join(missing)} cannot be removed",
            errors=[FieldError(f, "required; cannot be null") for f in missing],
        )


# --- programmes -------------------------------------------------------------------------------


def list_programmes(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    q: str | None = None,
    host_country: str | None = None,
    organiser: str | None = None,
) -> tuple[list[Programme], int]:
    """Programmes, filtered by text (code, name), host country or organiser."""
    authorize(actor, Action.COOPERATION_READ)
    query = select(Programme)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Programme.code.ilike(pattern, escape="\\"),
                Programme.name.ilike(pattern, escape="\\"),
            )
        )
    if host_country:
        code = geography.require_country(session=session, code=host_country, field="host_country")
        query = query.where(Programme.host_country_code == code)
    if organiser:
        query = query.where(Programme.organiser_code == organiser.strip().upper())
    return paginate(
        session,
        query,
        page,
        sortable={
            "code": Programme.code,
            "name": Programme.name,
            "starts_on": Programme.starts_on,
            "id": Programme.id,
        },
        default_sort="code",
    )


def find_programme(*, session: Session, code: str) -> Programme | None:
    """The programme with this code, whatever the actor (demo data and imports find it so)."""
    return session.scalars(select(Programme).where(Programme.code == code.strip().upper())).first()


def get_programme(*, session: Session, actor: Principal, code: str) -> Programme:
    """One programme by code (case-insensitive)."""
    authorize(actor, Action.COOPERATION_READ)
    programme = find_programme(session=session, code=code)
    if programme is None:
        raise NotFound(f"no training programme with code '{code}'")
    return programme


def create_programme(
    *, session: Session, actor: Principal, programme_in: ProgrammeCreate
) -> Programme:
    """Create a programme (regional editors only); its code must be new."""
    authorize_regional_write(actor, object_type="training_programme")
    if find_programme(session=session, code=programme_in.code) is not None:
        raise Conflict(
            f"a training programme with code {programme_in.code} exists already",
            errors=[FieldError("code", "taken")],
        )
    _check_dates(programme_in.starts_on, programme_in.ends_on)
    organiser = organisations.require_organisation(
        session=session, code=programme_in.organiser, field="organiser"
    )
    host = geography.require_country(
        session=session, code=programme_in.host_country, field="host_country"
    )
    project = projects.require_project(session=session, project_id=programme_in.project_id)
    commitment_id = require_commitment(session=session, commitment_id=programme_in.commitment_id)
    assert organiser is not None and host is not None
    programme = Programme(
        code=programme_in.code,
        name=programme_in.name.strip(),
        organiser_code=organiser,
        host_country_code=host,
        description=programme_in.description,
        starts_on=programme_in.starts_on,
        ends_on=programme_in.ends_on,
        project_id=project.id if project else None,
        commitment_id=commitment_id,
        source=programme_in.source,
    )
    session.add(programme)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_programme.create",
        object_type="training_programme",
        object_id=programme.code,
        country=host,
        detail={"name": programme.name, "organiser": organiser},
    )
    return programme


def update_programme(
    *, session: Session, actor: Principal, code: str, changes: ProgrammeUpdate
) -> Programme:
    """Change a programme's description, dates, organiser, host or links (regional editors)."""
    programme = get_programme(session=session, actor=actor, code=code)
    authorize_regional_write(actor, object_type="training_programme", object_id=programme.code)
    values = changes.model_dump(exclude_unset=True)
    _required(values, "name", "organiser", "host_country", "starts_on")
    _check_dates(
        values.get("starts_on", programme.starts_on), values.get("ends_on", programme.ends_on)
    )
    if "organiser" in values:
        values["organiser_code"] = organisations.require_organisation(
            session=session, code=values.pop("organiser"), field="organiser"
        )
    if "host_country" in values:
        values["host_country_code"] = geography.require_country(
            session=session, code=values.pop("host_country"), field="host_country"
        )
    if "project_id" in values:
        projects.require_project(session=session, project_id=values["project_id"])
    if "commitment_id" in values:
        require_commitment(session=session, commitment_id=values["commitment_id"])
    for field, value in values.items():
        setattr(programme, field, value.strip() if field == "name" else value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_programme.update",
        object_type="training_programme",
        object_id=programme.code,
        country=programme.host_country_code,
        detail={k: None if v is None else str(v) for k, v in values.items()},
    )
    return programme


# --- courses ----------------------------------------------------------------------------------


def list_courses(
    *, session: Session, actor: Principal, programme: Programme, page: PageRequest
) -> tuple[list[Course], int]:
    """The courses of a programme, by start date."""
    authorize(actor, Action.COOPERATION_READ)
    return paginate(
        session,
        select(Course).where(Course.programme_id == programme.id),
        page,
        sortable={"starts_on": Course.starts_on, "title": Course.title, "id": Course.id},
        default_sort="starts_on",
    )


def get_course(*, session: Session, actor: Principal, course_id: int) -> Course:
    """One course by id."""
    authorize(actor, Action.COOPERATION_READ)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"no course with id {course_id}")
    return course


def find_course(
    *, session: Session, programme: Programme, title: str, starts_on: Any
) -> Course | None:
    """The course of ``programme`` with this title and start date (its natural key)."""
    return session.scalars(
        select(Course).where(
            Course.programme_id == programme.id,
            Course.title == title,
            Course.starts_on == starts_on,
        )
    ).first()


def create_course(
    *, session: Session, actor: Principal, programme: Programme, course_in: CourseCreate
) -> Course:
    """Add a course to a programme (regional editors only)."""
    authorize_regional_write(actor, object_type="training_course")
    _check_dates(course_in.starts_on, course_in.ends_on)
    title = course_in.title.strip()
    if find_course(
        session=session, programme=programme, title=title, starts_on=course_in.starts_on
    ):
        raise Conflict(
            f"{programme.code} has a course '{title}' starting {course_in.starts_on} already",
            errors=[FieldError("title", "taken for this start date")],
        )
    course = Course(
        programme_id=programme.id,
        title=title,
        starts_on=course_in.starts_on,
        ends_on=course_in.ends_on,
        mode=course_in.mode.value,
        location=course_in.location,
        capacity=course_in.capacity,
        language=course_in.language,
    )
    session.add(course)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_course.create",
        object_type="training_course",
        object_id=course.id,
        country=programme.host_country_code,
        detail={"programme": programme.code, "title": title, "starts_on": str(course.starts_on)},
    )
    return course


def update_course(
    *, session: Session, actor: Principal, course_id: int, changes: CourseUpdate
) -> Course:
    """Change a course (regional editors only); a capacity below today's enrolments is refused."""
    course = get_course(session=session, actor=actor, course_id=course_id)
    authorize_regional_write(actor, object_type="training_course", object_id=str(course_id))
    values = changes.model_dump(exclude_unset=True)
    _required(values, "title", "starts_on", "ends_on", "mode", "language")
    _check_dates(values.get("starts_on", course.starts_on), values.get("ends_on", course.ends_on))
    if values.get("capacity") is not None:
        taken = sum(1 for e in course.enrolments if e.status != "withdrawn")
        if values["capacity"] < taken:
            raise Conflict(
                f"the course has {taken} trainees already",
                errors=[FieldError("capacity", f"at least {taken}")],
            )
    if "title" in values or "starts_on" in values:
        title = values.get("title", course.title).strip()
        starts_on = values.get("starts_on", course.starts_on)
        other = find_course(
            session=session, programme=course.programme, title=title, starts_on=starts_on
        )
        if other is not None and other.id != course.id:
            raise Conflict(
                f"{course.programme.code} has a course '{title}' starting {starts_on} already",
                errors=[FieldError("title", "taken for this start date")],
            )
        values["title"] = title
    if "mode" in values:
        values["mode"] = values["mode"].value
    for field, value in values.items():
        setattr(course, field, value)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="training_course.update",
        object_type="training_course",
        object_id=course.id,
        country=course.programme.host_country_code,
        detail={k: None if v is None else str(v) for k, v in values.items()},
    )
    return course
