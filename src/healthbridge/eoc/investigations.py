"""Field investigations of an event: the team, the samples sent to laboratories, the tasks, and
e-mail reminders of overdue tasks.

An investigation belongs to an event and follows it: reading needs the event to be visible to the
actor (:func:`~healthbridge.eoc.sharing.visible_event`, 404 otherwise), changing it needs the
event to be managed by them (:func:`~healthbridge.eoc.sharing.managed_event`, 403 when only
seen). The team's names and e-mails are personal data: they are shown to whoever sees the event,
to nobody else, and never written to the audit log. Every change is audited.

A task moves ``open`` → ``in_progress`` → ``done``, or to ``cancelled`` from either of the first
two; ``in_progress`` may go back to ``open``; ``done`` and ``cancelled`` are final. Marking a task
done records the day (``completed_on``). A task still open or in progress after its due date is
overdue; :func:`queue_task_reminders` e-mails each assignee of overdue tasks once a day.
:func:`my_tasks` lists the tasks assigned to the actor's own e-mail address.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import sharing
from healthbridge.eoc.investigation_models import (
    PENDING_TASK_STATUSES,
    TASK_STATUSES,
    FieldInvestigation,
    InvestigationMember,
    InvestigationTask,
    SampleShipment,
)
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography.models import Country
from healthbridge.notifications import service as outbox
from healthbridge.organisations.models import Organisation
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize

MAX_TITLE = 200
MAX_NAME = 200
MAX_ROLE = 120
MAX_SPECIMEN = 120
MAX_LABORATORY = 200
MAX_URL = 2000
MAX_EMAIL = 320
MAX_TEXT = 20_000
MAX_SAMPLES = 100_000

#: status → the statuses a task may move to from it.
TASK_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "done", "cancelled"),
    "in_progress": ("open", "done", "cancelled"),
    "done": (),
    "cancelled": (),
}
INVESTIGATION_FIELDS = (
    "title",
    "started_on",
    "ended_on",
    "case_definition",
    "line_list_url",
    "findings",
    "recommendations",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def today() -> dt.date:
    """Today's date in UTC: the calendar of due dates."""
    return utcnow().date()


@dataclass(frozen=True)
class MemberInput:
    """A person to add to an investigation's team."""

    name: str
    role: str
    country: str
    organisation: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SampleInput:
    """Samples sent to a laboratory."""

    samples: int
    specimen: str
    laboratory: str
    sent_on: dt.date
    result_summary: str | None = None


@dataclass(frozen=True)
class TaskInput:
    """A new task of an investigation."""

    title: str
    assignee_email: str
    due_on: dt.date | None = None


# -- checks ---------------------------------------------------------------------------------


def _text(errors: list[FieldError], field: str, value: str | None, limit: int) -> str | None:
    """``value`` stripped (``None`` when blank), with an error if it is too long."""
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        errors.append(FieldError(field, f"at most {limit} characters"))
    return value or None


def _required(errors: list[FieldError], field: str, value: str | None, limit: int) -> str:
    checked = _text(errors, field, value, limit)
    if checked is None:
        errors.append(FieldError(field, "required"))
        return ""
    return checked


def web_address_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) address, or ``None`` when it is one."""
    if any(c.isspace() for c in url):
        return "no spaces in an address"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a web address"
    if parts.scheme.lower() not in ("http", "https"):
        return "only http and https addresses"
    if not host:
        return "an address needs a host, e.g. https://example.org/line-list"
    return None


def _email(errors: list[FieldError], field: str, value: str | None) -> str | None:
    checked = _text(errors, field, value, MAX_EMAIL)
    if checked is None:
        return None
    if not _EMAIL.match(checked):
        errors.append(FieldError(field, f"'{checked}' is not an e-mail address"))
    return checked.lower()


def _fail(message: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(message, errors=errors)


def _checked_investigation(values: dict[str, Any], *, on: dt.date) -> dict[str, Any]:
    """The investigation's fields cleaned, or :class:`Invalid` naming each bad one."""
    errors: list[FieldError] = []
    unknown = sorted(set(values) - set(INVESTIGATION_FIELDS))
    for name in unknown:
        errors.append(FieldError(name, "not a field of an investigation"))
    cleaned: dict[str, Any] = {}
    if "title" in values:
        cleaned["title"] = _required(errors, "title", values["title"], MAX_TITLE)
    for name in ("case_definition", "findings", "recommendations"):
        if name in values:
            cleaned[name] = _text(errors, name, values[name], MAX_TEXT)
    if "line_list_url" in values:
        url = _text(errors, "line_list_url", values["line_list_url"], MAX_URL)
        problem = web_address_problem(url) if url else None
        if problem:
            errors.append(FieldError("line_list_url", problem))
        cleaned["line_list_url"] = url
    for name in ("started_on", "ended_on"):
        if name in values:
            value = values[name]
            if value is not None and not isinstance(value, dt.date):
                errors.append(FieldError(name, "a date, e.g. 2024-07-25"))
                value = None
            cleaned[name] = value
    if "started_on" in values:
        if cleaned["started_on"] is None and not any(e.field == "started_on" for e in errors):
            errors.append(FieldError("started_on", "required"))
        elif cleaned["started_on"] is not None and cleaned["started_on"] > on:
            errors.append(
                FieldError("started_on", f"cannot start in the future (today is {on.isoformat()})")
            )
    _fail("invalid investigation", errors)
    return cleaned


# -- reading --------------------------------------------------------------------------------


def _investigation_of(session: Session, event: Event, investigation_id: int) -> FieldInvestigation:
    investigation = session.get(FieldInvestigation, investigation_id)
    if investigation is None or investigation.event_id != event.id:
        raise NotFound(f"no investigation {investigation_id} of event {event.id}")
    return investigation


def list_investigations(
    *, session: Session, actor: Principal, event_id: int
) -> list[FieldInvestigation]:
    """The event's investigations, newest start first (404 for an event the actor does not see)."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    return list(
        session.scalars(
            select(FieldInvestigation)
            .where(FieldInvestigation.event_id == event.id)
            .order_by(FieldInvestigation.started_on.desc(), FieldInvestigation.id.desc())
        )
    )


def get_investigation(
    *, session: Session, actor: Principal, event_id: int, investigation_id: int
) -> FieldInvestigation:
    """One investigation of an event the actor sees, with its team, samples and tasks."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    return _investigation_of(session, event, investigation_id)


def _managed(
    session: Session, actor: Principal, event_id: int, investigation_id: int
) -> tuple[Event, FieldInvestigation]:
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    return event, _investigation_of(session, event, investigation_id)


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    event: Event,
    investigation_id: int,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"investigation.{action}",
        object_type="field_investigation",
        object_id=investigation_id,
        country=event.country_code,
        detail={"event_id": event.id, **(detail or {})},
    )


# -- writing --------------------------------------------------------------------------------


def create_investigation(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    values: dict[str, Any],
    on: dt.date | None = None,
) -> FieldInvestigation:
    """Start an investigation of the event. ``values``: the fields of
    :data:`INVESTIGATION_FIELDS` (``title`` and ``started_on`` required). Raises
    :class:`Invalid` naming each bad field (a start in the future, an end before the start, a line
    list that is not an http(s) address)."""
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    given = {"title": None, "started_on": None, **values}
    cleaned = _checked_investigation(given, on=on or today())
    ended = cleaned.get("ended_on")
    if ended is not None and ended < cleaned["started_on"]:
        raise Invalid(
            "invalid investigation",
            errors=[FieldError("ended_on", "cannot end before it started")],
        )
    now = utcnow()
    investigation = FieldInvestigation(
        event_id=event.id, created_at=now, created_by=actor.actor_label, updated_at=now, **cleaned
    )
    session.add(investigation)
    session.flush()
    _audit(session, actor, "create", event, investigation.id)
    return investigation


def update_investigation(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    values: dict[str, Any],
    on: dt.date | None = None,
) -> FieldInvestigation:
    """Change the given fields of an investigation (the same rules as creating one)."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    cleaned = _checked_investigation(values, on=on or today())
    started = cleaned.get("started_on", investigation.started_on)
    ended = cleaned.get("ended_on", investigation.ended_on)
    if ended is not None and ended < started:
        field = "ended_on" if "ended_on" in cleaned else "started_on"
        raise Invalid(
            "invalid investigation",
            errors=[FieldError(field, "the investigation cannot end before it started")],
        )
    changed = sorted(k for k, v in cleaned.items() if getattr(investigation, k) != v)
    for name in changed:
        setattr(investigation, name, cleaned[name])
    if changed:
        investigation.updated_at = utcnow()
        session.flush()
        _audit(session, actor, "update", event, investigation.id, {"fields": changed})
    return investigation


def add_member(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    member: MemberInput,
) -> InvestigationMember:
    """Add a person to the team. Their country may differ from the event's (a cross-border
    deployment); it and the organisation, when given, must be known."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    errors: list[FieldError] = []
    name = _required(errors, "name", member.name, MAX_NAME)
    role = _required(errors, "role", member.role, MAX_ROLE)
    country = (member.country or "").strip().upper()
    if not country:
        errors.append(FieldError("country", "required"))
    elif session.get(Country, country) is None:
        errors.append(FieldError("country", f"unknown country '{country}'"))
    organisation = _text(errors, "organisation", member.organisation, 40)
    if organisation is not None and session.get(Organisation, organisation) is None:
        errors.append(FieldError("organisation", f"unknown organisation '{organisation}'"))
    email = _email(errors, "email", member.email)
    _fail("invalid team member", errors)
    row = InvestigationMember(
        name=name, role=role, country_code=country, organisation_code=organisation, email=email
    )
    investigation.members.append(row)
    investigation.updated_at = utcnow()
    session.flush()
    _audit(
        session,
        actor,
        "member.add",
        event,
        investigation.id,
        {"member_id": row.id, "country": country, "cross_border": country != event.country_code},
    )
    return row


def remove_member(
    *, session: Session, actor: Principal, event_id: int, investigation_id: int, member_id: int
) -> None:
    """Remove a person from the team (:class:`NotFound` if not of this investigation)."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    row = session.get(InvestigationMember, member_id)
    if row is None or row.investigation_id != investigation.id:
        raise NotFound(f"no team member {member_id} in investigation {investigation.id}")
    investigation.members.remove(row)
    investigation.updated_at = utcnow()
    session.flush()
    _audit(session, actor, "member.remove", event, investigation.id, {"member_id": member_id})


def record_samples(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    shipment: SampleInput,
    on: dt.date | None = None,
) -> SampleShipment:
    """Record samples sent to a laboratory: a positive count, not sent in the future."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    errors: list[FieldError] = []
    if not 1 <= shipment.samples <= MAX_SAMPLES:
        errors.append(FieldError("samples", f"between 1 and {MAX_SAMPLES}"))
    specimen = _required(errors, "specimen", shipment.specimen, MAX_SPECIMEN)
    laboratory = _required(errors, "laboratory", shipment.laboratory, MAX_LABORATORY)
    result = _text(errors, "result_summary", shipment.result_summary, MAX_TEXT)
    day = on or today()
    if shipment.sent_on > day:
        errors.append(FieldError("sent_on", f"cannot be in the future (today is {day})"))
    _fail("invalid sample shipment", errors)
    row = SampleShipment(
        samples=shipment.samples,
        specimen=specimen,
        laboratory=laboratory,
        sent_on=shipment.sent_on,
        result_summary=result,
    )
    investigation.samples.append(row)
    investigation.updated_at = utcnow()
    session.flush()
    _audit(
        session,
        actor,
        "samples.record",
        event,
        investigation.id,
        {"shipment_id": row.id, "samples": row.samples, "laboratory": laboratory},
    )
    return row


def add_task(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    task: TaskInput,
) -> InvestigationTask:
    """Add an open task with an assignee (an e-mail address) and an optional due date."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    errors: list[FieldError] = []
    title = _required(errors, "title", task.title, MAX_TITLE)
    email = _email(errors, "assignee_email", task.assignee_email)
    if email is None and not any(e.field == "assignee_email" for e in errors):
        errors.append(FieldError("assignee_email", "required"))
    _fail("invalid task", errors)
    assert email is not None
    row = InvestigationTask(
        title=title,
        assignee_email=email,
        due_on=task.due_on,
        status="open",
        created_at=utcnow(),
        created_by=actor.actor_label,
    )
    investigation.tasks.append(row)
    session.flush()
    _audit(session, actor, "task.add", event, investigation.id, {"task_id": row.id})
    return row


def update_task(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    task_id: int,
    status: str | None = None,
    title: str | None = None,
    assignee_email: str | None = None,
    due_on: dt.date | None = None,
    on: dt.date | None = None,
) -> InvestigationTask:
    """Change a task: its status along :data:`TASK_TRANSITIONS` (:class:`Conflict` otherwise;
    ``done`` records the day), its title, assignee or due date (not once it is done or
    cancelled)."""
    event, investigation = _managed(session, actor, event_id, investigation_id)
    task = session.get(InvestigationTask, task_id)
    if task is None or task.investigation_id != investigation.id:
        raise NotFound(f"no task {task_id} in investigation {investigation.id}")
    errors: list[FieldError] = []
    new_title = _required(errors, "title", title, MAX_TITLE) if title is not None else None
    email = _email(errors, "assignee_email", assignee_email) if assignee_email is not None else None
    if assignee_email is not None and email is None and not errors:
        errors.append(FieldError("assignee_email", "required"))
    if status is not None and status not in TASK_STATUSES:
        errors.append(FieldError("status", f"one of {', '.join(TASK_STATUSES)}"))
    _fail("invalid task", errors)
    edits = new_title is not None or email is not None or due_on is not None
    if task.status not in PENDING_TASK_STATUSES and (edits or status is not None):
        raise Conflict(f"task {task.id} is {task.status}: it cannot change any more")
    changed: list[str] = []
    if status is not None and status != task.status:
        if status not in TASK_TRANSITIONS[task.status]:
            raise Conflict(f"a task that is {task.status} cannot become {status}")
        task.status = status
        task.completed_on = (on or today()) if status == "done" else None
        changed.append("status")
    for name, value in (("title", new_title), ("assignee_email", email), ("due_on", due_on)):
        if value is not None and getattr(task, name) != value:
            setattr(task, name, value)
            changed.append(name)
    if changed:
        session.flush()
        _audit(
            session,
            actor,
            "task.update",
            event,
            investigation.id,
            {"task_id": task.id, "fields": changed, "status": task.status},
        )
    return task


# -- tasks across events --------------------------------------------------------------------


def _pending_tasks(actor: Principal) -> Select[InvestigationTask]:
    return (
        select(InvestigationTask)
        .join(FieldInvestigation, FieldInvestigation.id == InvestigationTask.investigation_id)
        .join(Event, Event.id == FieldInvestigation.event_id)
        .where(
            InvestigationTask.status.in_(PENDING_TASK_STATUSES),
            sharing.visible_clause(actor),
        )
    )


def open_tasks(
    *, session: Session, actor: Principal, on: dt.date | None = None
) -> list[InvestigationTask]:
    """The open and in-progress tasks of the events the actor sees: overdue ones first (oldest
    due date first), then by due date, undated ones last."""
    authorize(actor, Action.EVENT_READ)
    day = on or today()
    tasks = list(session.scalars(_pending_tasks(actor)))
    return sorted(
        tasks,
        key=lambda t: (not is_overdue(t, day), t.due_on is None, t.due_on or day, t.id),
    )


def is_overdue(task: InvestigationTask, on: dt.date) -> bool:
    """Whether ``task`` is still to do after its due date."""
    return task.status in PENDING_TASK_STATUSES and task.due_on is not None and task.due_on < on


def overdue_tasks(*, session: Session, actor: Principal, today: dt.date) -> list[InvestigationTask]:
    """The tasks of the events the actor sees, still to do after their due date, oldest first."""
    authorize(actor, Action.EVENT_READ)
    return list(
        session.scalars(
            _pending_tasks(actor)
            .where(InvestigationTask.due_on < today)
            .order_by(InvestigationTask.due_on, InvestigationTask.id)
        )
    )


#: The ``status`` filters of :func:`my_tasks`: a status, or ``pending`` (open or in progress).
MY_TASK_FILTERS = ("pending", *TASK_STATUSES)
#: The sort keys of :func:`my_tasks` (pending tasks always come first).
MY_TASK_SORTS = {
    "due_on": InvestigationTask.due_on,
    "created_at": InvestigationTask.created_at,
    "title": InvestigationTask.title,
}


def my_tasks(
    *, session: Session, actor: Principal, page: PageRequest, status: str | None = None
) -> tuple[list[InvestigationTask], int]:
    """The tasks assigned to the actor's e-mail in the investigations of the events they see,
    and how many there are: pending ones (open, in progress) first, then by ``page.sort``
    (default: due date; undated ones last either way). ``status`` keeps one status, or ``pending``;
    :class:`Invalid` naming ``status`` or ``sort`` otherwise."""
    authorize(actor, Action.EVENT_READ)
    if status is not None and status not in MY_TASK_FILTERS:
        raise Invalid(
            f"unknown task status '{status}'",
            errors=[FieldError("status", f"one of {', '.join(MY_TASK_FILTERS)}")],
        )
    pending = InvestigationTask.status.in_(PENDING_TASK_STATUSES)
    query = (
        select(InvestigationTask)
        .join(FieldInvestigation, FieldInvestigation.id == InvestigationTask.investigation_id)
        .join(Event, Event.id == FieldInvestigation.event_id)
        .where(
            InvestigationTask.assignee_email == actor.email.strip().lower(),
            sharing.visible_clause(actor),
        )
        .order_by(case((pending, 0), else_=1))
    )
    if (page.sort or "due_on").removeprefix("-") == "due_on":
        query = query.order_by(InvestigationTask.due_on.is_(None))
    if status == "pending":
        query = query.where(pending)
    elif status is not None:
        query = query.where(InvestigationTask.status == status)
    return paginate(session, query, page, sortable=MY_TASK_SORTS, default_sort="due_on")


@dataclass
class TaskReminderSummary:
    """What a reminder run found and queued."""

    on: dt.date
    overdue: int = 0
    queued: int = 0
    already_queued: int = 0


def reminder_key(recipient: str, on: dt.date) -> str:
    """The outbox key of a task reminder: one per assignee and day."""
    return f"investigation-task-reminder:{recipient.lower()}:{on.isoformat()}"


def _reminder_body(email: str, tasks: list[InvestigationTask], on: dt.date) -> str:
    lines = [
        "Hello,",
        "",
        f"In HealthBridge, these field investigation tasks assigned to {email} are past their "
        f"due date (as of {on.isoformat()}):",
        "",
    ]
    for task in tasks:
        assert task.due_on is not None
        days = (on - task.due_on).days
        investigation = task.investigation
        lines.append(f"- {task.title}")
        lines.append(
            f"  Investigation: {investigation.title}; due {task.due_on.isoformat()}, "
            f"{days} day{'s' * (days != 1)} overdue; status: {task.status}."
        )
        lines.append(
            f"  Open it at /eoc/events/{investigation.event_id}/investigations/{investigation.id}"
        )
        lines.append("")
    lines += [
        "Please mark each task in progress, done or cancelled on the investigation's page.",
        "",
        "HealthBridge — an automatic reminder: at most one a day.",
    ]
    return "\n".join(lines)


def queue_task_reminders(
    *, session: Session, actor: Principal, today: dt.date
) -> TaskReminderSummary:
    """Queue one e-mail per assignee of overdue tasks (of the events the actor manages), listing
    them all; once a day at most (the outbox key holds the day), so running it twice the same
    day queues nothing more. Marks the tasks reminded on ``today``."""
    authorize(actor, Action.EVENT_MANAGE)
    summary = TaskReminderSummary(on=today)
    by_assignee: dict[str, list[InvestigationTask]] = {}
    for task in overdue_tasks(session=session, actor=actor, today=today):
        if not sharing.can_manage(actor, task.investigation.event):
            continue
        summary.overdue += 1
        by_assignee.setdefault(task.assignee_email, []).append(task)
    for email, tasks in sorted(by_assignee.items()):
        plural = "s" if len(tasks) != 1 else ""
        queued = outbox.queue_email(
            session=session,
            actor=actor,
            to=email,
            subject=f"[HealthBridge] {len(tasks)} investigation task{plural} overdue",
            body=_reminder_body(email, tasks, today),
            dedupe_key=reminder_key(email, today),
        )
        if queued is None:
            summary.already_queued += 1
        else:
            summary.queued += 1
        for task in tasks:
            task.reminded_on = today
    if summary.queued:
        audit.record(
            session=session,
            actor=actor,
            action="investigation.task.remind",
            object_type="investigation_task",
            detail={"on": today.isoformat(), "overdue": summary.overdue, "queued": summary.queued},
        )
    session.flush()
    return summary
