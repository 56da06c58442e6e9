"""Events on the board, one event, and what is linked to it (signals, cases, lab results,
documents, notes).

Every read goes through :mod:`healthbridge.eoc.sharing`: a list holds only the events the actor
sees; one event the actor does not see is :class:`NotFound`. Links to cases and lab results
are made by the event's own country's case readers, and only they see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc.lifecycle import MAX_TEXT
from healthbridge.eoc.models import (
    EVENT_STATUSES,
    LINK_KINDS,
    RISK_LEVELS,
    Event,
    EventLink,
)
from healthbridge.eoc.sharing import (
    PERSONAL_LINK_KINDS,
    managed_event,
    sees_case_links,
    visible_clause,
    visible_event,
)
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance import case_queries, signal_queue
from healthbridge.surveillance.models import LabResult


@dataclass(frozen=True)
class EventFilter:
    """Checked filters of the board."""

    status: str | None = None
    country: str | None = None
    disease: str | None = None
    risk: str | None = None
    open_only: bool = False


def check_filter(
    *,
    status: str | None = None,
    country: str | None = None,
    disease: str | None = None,
    risk: str | None = None,
    open_only: bool = False,
) -> EventFilter:
    """Normalise the board's filters; :class:`Invalid` naming every bad one."""
    errors: list[FieldError] = []
    if status and status not in EVENT_STATUSES:
        errors.append(FieldError("status", f"one of: {', '.join(EVENT_STATUSES)}"))
    if risk and risk not in RISK_LEVELS:
        errors.append(FieldError("risk", f"one of: {', '.join(RISK_LEVELS)}"))
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid event filter: {names}", errors=errors)
    return EventFilter(
        status=status or None,
        country=(country or "").strip().upper() or None,
        disease=(disease or "").strip().lower() or None,
        risk=risk or None,
        open_only=open_only,
    )


_RISK_RANK = case(
    {level: rank for rank, level in enumerate(RISK_LEVELS, start=1)},
    value=Event.risk_level,
    else_=0,
)
SORTABLE: dict[str, Any] = {
    "opened_at": Event.opened_at,
    "updated_at": Event.updated_at,
    "status": Event.status,
    "country": Event.country_code,
    "risk": _RISK_RANK,
    "title": Event.title,
}
DEFAULT_SORT = "-updated_at"


def _filtered(query: Select[Any], where: EventFilter) -> Select[Any]:
    if where.status:
        query = query.where(Event.status == where.status)
    if where.country:
        query = query.where(Event.country_code == where.country)
    if where.disease:
        query = query.where(Event.disease_code == where.disease)
    if where.risk:
        query = query.where(Event.risk_level == where.risk)
    if where.open_only:
        query = query.where(Event.status.not_in(("closed", "discarded")))
    return query


def list_events(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    where: EventFilter | None = None,
) -> tuple[list[Event], int]:
    """The events ``actor`` sees matching ``where``, last changed first by default; ``sort``
    by opened_at, updated_at, status, country, risk or title (``-`` for descending)."""
    authorize(actor, Action.EVENT_READ)
    query = _filtered(
        select(Event)
        .where(visible_clause(actor))
        .options(selectinload(Event.areas), selectinload(Event.shares)),
        where or EventFilter(),
    )
    return paginate(session, query, page, sortable=SORTABLE, default_sort=DEFAULT_SORT)


def count_by_status(*, session: Session, actor: Principal) -> dict[str, int]:
    """How many events ``actor`` sees in each status (every status present, zero or not)."""
    authorize(actor, Action.EVENT_READ)
    rows = session.execute(
        select(Event.status, func.count()).where(visible_clause(actor)).group_by(Event.status)
    )
    counts = dict.fromkeys(EVENT_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def get_event(*, session: Session, actor: Principal, event_id: int) -> Event:
    """One event with its areas, timeline, shares and links; :class:`NotFound` when there is
    none or it is not shared with ``actor``."""
    return visible_event(session=session, actor=actor, event_id=event_id)


def _same_or_null(column: Any, value: int | None) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def add_link(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    kind: str,
    target_id: int | None = None,
    text: str | None = None,
) -> EventLink:
    """Link a signal, case report or lab result (``target_id``), or a document or note
    (``text``) to the event. A case or lab result must be the event's country's and readable by
    ``actor``. Unknown references are :class:`Invalid` naming ``target_id``; linking the same
    record twice is :class:`Conflict`. Audited."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    cleaned = (text or "").strip() or None
    errors: list[FieldError] = []
    if kind not in LINK_KINDS:
        raise Invalid(
            f"unknown link kind '{kind}'",
            errors=[FieldError("kind", f"one of: {', '.join(LINK_KINDS)}")],
        )
    link = EventLink(kind=kind, created_at=utcnow(), created_by=actor.actor_label)
    if kind in ("document", "note"):
        if cleaned is None:
            errors.append(FieldError("text", f"required for a {kind}"))
        elif len(cleaned) > MAX_TEXT:
            errors.append(FieldError("text", f"at most {MAX_TEXT} characters"))
        if target_id is not None:
            errors.append(FieldError("target_id", f"not used by a {kind}"))
        link.text = cleaned
    else:
        if cleaned is not None:
            errors.append(FieldError("text", f"not used by a {kind} link"))
        if target_id is None:
            errors.append(FieldError("target_id", f"required: the {kind}'s id"))
        else:
            _resolve(session, actor, event, kind, target_id, link, errors)
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid link: {names}", errors=errors)
    # One query for the same record, rather than loading every link of a long-running event.
    duplicate = (
        None
        if kind in ("document", "note")
        else session.scalar(
            select(EventLink.id).where(
                EventLink.event_id == event.id,
                EventLink.kind == kind,
                _same_or_null(EventLink.signal_id, link.signal_id),
                _same_or_null(EventLink.case_report_id, link.case_report_id),
                _same_or_null(EventLink.lab_result_id, link.lab_result_id),
            )
        )
    )
    if duplicate is not None:
        raise Conflict(
            f"this {kind} is already linked to event {event.id}",
            errors=[FieldError("target_id", f"already linked (link {duplicate})")],
        )
    session.add(link)
    link.event = event
    event.updated_at = link.created_at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.link",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        # A note's text stays out of the log; its link id is enough.
        detail={"link_id": link.id, "kind": kind, "target_id": target_id},
    )
    return link


def _resolve(
    session: Session,
    actor: Principal,
    event: Event,
    kind: str,
    target_id: int,
    link: EventLink,
    errors: list[FieldError],
) -> None:
    if kind == "signal":
        try:
            signal_queue.get_signal(session=session, actor=actor, signal_id=target_id)
        except NotFound:
            errors.append(FieldError("target_id", f"no signal with id {target_id}"))
        link.signal_id = target_id
        return
    # Case-level links are the event's own country's case readers' (a regional user is refused,
    # and the refusal audited).
    authorize(
        actor,
        Action.CASE_READ,
        country=event.country_code,
        object_type="event",
        object_id=str(event.id),
    )
    if kind == "case":
        try:
            found = case_queries.get_case(session=session, actor=actor, case_report_id=target_id)
        except NotFound:
            errors.append(FieldError("target_id", f"no case report with id {target_id}"))
            return
        link.case_report_id = found.id
        link.case_country_code = found.country_code
        country = found.country_code
    else:
        lab = session.get(LabResult, target_id)
        if lab is None or lab.country_code != event.country_code:
            errors.append(FieldError("target_id", f"no lab result with id {target_id}"))
            return
        link.lab_result_id = lab.id
        audit.record(
            session=session,
            actor=actor,
            action="lab_result.read",
            object_type="lab_result",
            object_id=lab.id,
            country=lab.country_code,
            detail={"via": f"event {event.id}"},
        )
        country = lab.country_code
    if country != event.country_code:
        errors.append(FieldError("target_id", f"the {kind} is {country}'s, not the event's"))


def remove_link(*, session: Session, actor: Principal, event_id: int, link_id: int) -> Event:
    """Unlink one thing from the event (the opening signal's link included). Audited."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    link = session.get(EventLink, link_id)
    if (
        link is None
        or link.event_id != event.id
        or (link.kind in PERSONAL_LINK_KINDS and not sees_case_links(actor, event))
    ):
        raise NotFound(f"event {event.id} has no link with id {link_id}")
    session.delete(link)
    event.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.unlink",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"link_id": link_id, "kind": link.kind},
    )
    return event
