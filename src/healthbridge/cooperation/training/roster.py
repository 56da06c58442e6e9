"""Importing a course roster: trainees, and optionally their enrolment and outcome on a course.

A roster is what a training hub sends after a course: one row per person. The import is atomic
(every row is checked and any error refuses the whole batch, naming row and field) and
idempotent (trainees are found by country and e-mail, enrolments by course and trainee, and an
outcome already recorded is left as it is), so sending the same roster twice stores it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthbridge.cooperation.training import trainees
from healthbridge.cooperation.training.models import Course, Enrolment
from healthbridge.cooperation.training.schemas import (
    EnrolmentComplete,
    EnrolmentCreate,
    EnrolmentStatus,
    EnrolmentWithdraw,
    TraineeCreate,
)
from healthbridge.errors import FieldError, HealthBridgeError, Invalid
from healthbridge.policy import Principal

#: Columns of a roster; ``status`` and ``completed_on`` only matter with a course.
COLUMNS = (
    "full_name",
    "email",
    "sex",
    "country",
    "organisation",
    "position",
    "status",
    "completed_on",
)
REQUIRED = ("full_name", "email", "country")


@dataclass
class RosterReport:
    """What an import did: rows read, trainees created, enrolments made, outcomes recorded."""

    rows: int = 0
    trainees_created: int = 0
    enrolments_created: int = 0
    completions: int = 0
    withdrawals: int = 0
    unchanged: int = 0
    certificates: list[str] = field(default_factory=list)


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _check_header(header: Iterable[str]) -> None:
    columns = [c.strip() for c in header]
    unknown = [c for c in columns if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in columns]
    if unknown or missing:
        raise Invalid(
            "the roster's header is not right",
            errors=[FieldError(c, "unknown column", row=0) for c in unknown]
            + [FieldError(c, "missing column", row=0) for c in missing],
        )


def _trainee_in(row: int, record: Mapping[str, str | None]) -> TraineeCreate:
    data = {k: _blank_to_none(record.get(k)) for k in COLUMNS[:6]}
    data["full_name"] = data["full_name"] or ""
    data["email"] = data["email"] or ""
    data["country"] = data["country"] or ""
    try:
        return TraineeCreate(**{k: v for k, v in data.items() if v is not None or k in REQUIRED})
    except ValidationError as exc:
        raise Invalid(
            f"row {row} is not a valid trainee",
            errors=[
                FieldError(".".join(str(p) for p in e["loc"]) or "row", e["msg"], row=row)
                for e in exc.errors()
            ],
        ) from None


def _outcome(row: int, record: Mapping[str, str | None]) -> tuple[str | None, dt.date | None]:
    status = _blank_to_none(record.get("status"))
    completed = _blank_to_none(record.get("completed_on"))
    if status is not None and status not in {s.value for s in EnrolmentStatus}:
        raise Invalid(
            f"row {row}: unknown status '{status}'",
            errors=[FieldError("status", "enrolled, completed or withdrawn", row=row)],
        )
    try:
        completed_on = dt.date.fromisoformat(completed) if completed else None
    except ValueError:
        raise Invalid(
            f"row {row}: completed_on is not a date",
            errors=[FieldError("completed_on", "a date as YYYY-MM-DD", row=row)],
        ) from None
    if completed_on is not None and status not in (None, EnrolmentStatus.COMPLETED.value):
        raise Invalid(
            f"row {row}: a completion date needs the status 'completed'",
            errors=[FieldError("completed_on", "only with status completed", row=row)],
        )
    return status, completed_on


def _record_outcome(
    session: Session,
    actor: Principal,
    enrolment: Enrolment,
    status: str | None,
    completed_on: dt.date | None,
    report: RosterReport,
) -> bool:
    """Bring the enrolment to the roster's status; whether anything changed."""
    if status == EnrolmentStatus.COMPLETED.value and enrolment.status != status:
        trainees.complete_enrolment(
            session=session,
            actor=actor,
            enrolment_id=enrolment.id,
            completion=EnrolmentComplete(completed_on=completed_on),
        )
        report.completions += 1
        if enrolment.certificate_number:
            report.certificates.append(enrolment.certificate_number)
        return True
    if status == EnrolmentStatus.WITHDRAWN.value and enrolment.status != status:
        trainees.withdraw_enrolment(
            session=session, actor=actor, enrolment_id=enrolment.id, withdrawal=EnrolmentWithdraw()
        )
        report.withdrawals += 1
        return True
    return False


def _import_row(
    session: Session,
    actor: Principal,
    row: int,
    record: Mapping[str, str | None],
    course: Course | None,
    report: RosterReport,
) -> bool:
    """Import one row; whether it changed anything."""
    trainee_in = _trainee_in(row, record)
    status, completed_on = _outcome(row, record)
    changed = False
    trainee = trainees.find_trainee(
        session=session, country=trainee_in.country, email=trainee_in.email
    )
    if trainee is None:
        trainee = trainees.create_trainee(session=session, actor=actor, trainee_in=trainee_in)
        report.trainees_created += 1
        changed = True
    if course is None:
        return changed
    enrolment = trainees.find_enrolment(session=session, course=course, trainee=trainee)
    if enrolment is None:
        enrolment = trainees.enrol(
            session=session,
            actor=actor,
            course=course,
            enrolment_in=EnrolmentCreate(trainee_id=trainee.id),
        )
        report.enrolments_created += 1
        changed = True
    return _record_outcome(session, actor, enrolment, status, completed_on, report) or changed


def import_roster(
    *,
    session: Session,
    actor: Principal,
    header: Iterable[str],
    records: Iterable[Mapping[str, str | None]],
    course: Course | None = None,
) -> RosterReport:
    """Import roster rows (dicts keyed by :data:`COLUMNS`; row 1 is the first after the header).

    Raises :class:`Invalid` listing every bad row and field; the caller's unit of work then rolls
    the whole batch back. Authorisation is each service's: a focal point imports only the
    trainees of their own country, and a refusal stops the import at once.
    """
    _check_header(header)
    report = RosterReport()
    errors: list[FieldError] = []
    for row, record in enumerate(records, start=1):
        report.rows += 1
        try:
            if not _import_row(session, actor, row, record, course, report):
                report.unchanged += 1
        except HealthBridgeError as bad:
            if bad.context is not None:  # a refusal, not bad data: it is audited and final
                raise
            if bad.errors:
                errors.extend(FieldError(e.field, e.message, row=row) for e in bad.errors)
            else:
                errors.append(FieldError("row", bad.detail, row=row))
    if errors:
        raise Invalid(
            f"the roster has {len({e.row for e in errors})} bad row(s); nothing was imported",
            errors=errors,
        )
    return report
