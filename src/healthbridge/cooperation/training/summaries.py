"""What the region sees of capacity building: counts of trainees, completions and certificates.

Counts reveal no one, so they are regional (``COOPERATION_READ``) and not audited: no name,
e-mail or id of a trainee leaves this module. A trainee counts once per group however many
courses they took; a withdrawn enrolment counts only in ``withdrawn``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.cooperation.training.schemas import (
    CountryCounts,
    CourseCounts,
    CourseMode,
    EnrolmentStatus,
    ProgrammeSummary,
    Totals,
)
from healthbridge.geography import service as geography
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, authorize

_ACTIVE = Enrolment.status != EnrolmentStatus.WITHDRAWN.value
_TRAINEES = func.count(distinct(case((_ACTIVE, Enrolment.trainee_id))))
_ENROLMENTS = func.sum(case((_ACTIVE, 1), else_=0))
_COMPLETIONS = func.sum(case((Enrolment.status == EnrolmentStatus.COMPLETED.value, 1), else_=0))
_CERTIFICATES = func.count(Enrolment.certificate_number)


def _country_names(session: Session, actor: Principal) -> dict[str, str]:
    countries, _total = geography.list_countries(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    return {c.code: c.name_en for c in countries}


def _int(value: Any) -> int:
    return int(value or 0)


def counts_by_country(
    *, session: Session, actor: Principal, programme: Programme | None = None
) -> list[CountryCounts]:
    """Trainees, enrolments, completions and certificates by the trainees' country, of one
    programme or of all; countries with no trainee are left out. Largest first."""
    authorize(actor, Action.COOPERATION_READ)
    query = (
        select(Trainee.country_code, _TRAINEES, _ENROLMENTS, _COMPLETIONS, _CERTIFICATES)
        .select_from(Enrolment)
        .join(Trainee, Trainee.id == Enrolment.trainee_id)
        .group_by(Trainee.country_code)
    )
    if programme is not None:
        query = query.join(Course, Course.id == Enrolment.course_id).where(
            Course.programme_id == programme.id
        )
    names = _country_names(session, actor)
    rows = [
        CountryCounts(
            country_code=code,
            country_name=names.get(code, code),
            trainees=_int(trainees),
            enrolments=_int(enrolments),
            completions=_int(completions),
            certificates=_int(certificates),
        )
        for code, trainees, enrolments, completions, certificates in session.execute(query)
    ]
    rows = [r for r in rows if r.trainees or r.completions]
    return sorted(rows, key=lambda r: (-r.trainees, r.country_code))


def _course_counts(session: Session, programme: Programme) -> list[CourseCounts]:
    by_status: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for course_id, status, number, certificates in session.execute(
        select(
            Enrolment.course_id,
            Enrolment.status,
            func.count(Enrolment.id),
            func.count(Enrolment.certificate_number),
        )
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.programme_id == programme.id)
        .group_by(Enrolment.course_id, Enrolment.status)
    ):
        by_status[course_id][status] += _int(number)
        by_status[course_id]["certificates"] += _int(certificates)
    by_country: dict[int, dict[str, int]] = defaultdict(dict)
    for course_id, country, number in session.execute(
        select(Enrolment.course_id, Trainee.country_code, func.count(Enrolment.id))
        .join(Trainee, Trainee.id == Enrolment.trainee_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.programme_id == programme.id, _ACTIVE)
        .group_by(Enrolment.course_id, Trainee.country_code)
        .order_by(Trainee.country_code)
    ):
        by_country[course_id][country] = _int(number)
    courses = session.scalars(
        select(Course)
        .where(Course.programme_id == programme.id)
        .order_by(Course.starts_on, Course.id)
    )
    return [
        CourseCounts(
            course_id=course.id,
            title=course.title,
            starts_on=course.starts_on,
            ends_on=course.ends_on,
            mode=CourseMode(course.mode),
            capacity=course.capacity,
            enrolled=by_status[course.id][EnrolmentStatus.ENROLLED.value],
            completed=by_status[course.id][EnrolmentStatus.COMPLETED.value],
            withdrawn=by_status[course.id][EnrolmentStatus.WITHDRAWN.value],
            certificates=by_status[course.id]["certificates"],
            trainees_by_country=by_country[course.id],
        )
        for course in courses
    ]


def programme_totals(
    *, session: Session, actor: Principal, programmes: list[Programme] | None = None
) -> dict[int, Totals]:
    """Totals of each programme (all, or those given), keyed by programme id."""
    authorize(actor, Action.COOPERATION_READ)
    course_query = select(Course.programme_id, func.count(Course.id)).group_by(Course.programme_id)
    enrolment_query = (
        select(
            Course.programme_id,
            _TRAINEES,
            _ENROLMENTS,
            _COMPLETIONS,
            _CERTIFICATES,
            func.count(distinct(case((_ACTIVE, Trainee.country_code)))),
        )
        .select_from(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Trainee, Trainee.id == Enrolment.trainee_id)
        .group_by(Course.programme_id)
    )
    if programmes is not None:
        ids = [p.id for p in programmes]
        course_query = course_query.where(Course.programme_id.in_(ids))
        enrolment_query = enrolment_query.where(Course.programme_id.in_(ids))
    courses = {pid: _int(n) for pid, n in session.execute(course_query)}
    totals: dict[int, Totals] = {
        pid: Totals(courses=n, trainees=0, enrolments=0, completions=0, certificates=0, countries=0)
        for pid, n in courses.items()
    }
    for pid, trainees, enrolments, completions, certificates, countries in session.execute(
        enrolment_query
    ):
        totals[pid] = Totals(
            courses=courses.get(pid, 0),
            trainees=_int(trainees),
            enrolments=_int(enrolments),
            completions=_int(completions),
            certificates=_int(certificates),
            countries=_int(countries),
        )
    return totals


def empty_totals() -> Totals:
    """The totals of a programme with no course yet."""
    return Totals(courses=0, trainees=0, enrolments=0, completions=0, certificates=0, countries=0)


def programme_summary(
    *, session: Session, actor: Principal, programme: Programme
) -> ProgrammeSummary:
    """A programme's reach, in counts only: totals, by country of the trainees and by course."""
    authorize(actor, Action.COOPERATION_READ)
    totals = programme_totals(session=session, actor=actor, programmes=[programme]).get(
        programme.id, empty_totals()
    )
    return ProgrammeSummary(
        code=programme.code,
        name=programme.name,
        totals=totals,
        by_country=counts_by_country(session=session, actor=actor, programme=programme),
        by_course=_course_counts(session, programme),
    )
