"""Assistance requests of shared events: asking the region for a field team, laboratory testing
or resources, and the offers made to meet them.

Rules:

- Only a *shared* event (with the region or with named countries) may ask: the request goes to
  those it is shared with. Its managers (:func:`~healthbridge.eoc.sharing.managed_event`) ask,
  accept or decline offers, and say when a request is fulfilled or withdrawn. Nothing is asked
  for a closed or discarded event.
- Whoever sees the event and responds for *another* country (``EVENT_MANAGE`` for their own
  country), or a regional responder, may offer. A country does not offer to itself.
- A request is ``open``; accepting an offer makes it ``in_progress``; ``fulfilled`` and
  ``withdrawn`` are final (a withdrawal says why). An offer is ``offered``, then ``accepted`` or
  ``declined`` by the asking country; the offering side may withdraw it while it is offered or
  accepted (an accepted offer withdrawn puts the request back to ``open`` when no other accepted
  offer remains).
- Reading follows the event (404 when unseen). Every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import sharing
from healthbridge.eoc.assistance_models import (
    ASSISTANCE_KINDS,
    ASSISTANCE_STATUSES,
    PENDING_ASSISTANCE_STATUSES,
    AssistanceOffer,
    AssistanceRequest,
)
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.organisations.models import Organisation
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize

MAX_TITLE = 200
MAX_TEXT = 20_000
#: Event statuses in which nothing more is asked for.
FINISHED_EVENT_STATUSES = ("closed", "discarded")
#: What the asking country may do to a request, and the status it leads to.
REQUEST_ACTIONS = {"fulfil": "fulfilled", "withdraw": "withdrawn"}
#: What may be decided about an offer, and the status it leads to.
OFFER_DECISIONS = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}
BOARD_SORTABLE = {
    "needed_by": AssistanceRequest.needed_by,
    "created_at": AssistanceRequest.created_at,
    "updated_at": AssistanceRequest.updated_at,
    "status": AssistanceRequest.status,
}


@dataclass(frozen=True)
class AssistanceInput:
    """A new assistance request."""

    kind: str
    title: str
    description: str
    needed_by: dt.date | None = None


@dataclass(frozen=True)
class AssistanceFilter:
    """Which requests the assistance board lists."""

    kind: str | None = None
    status: str | None = None
    #: The asking country (the event's).
    country: str | None = None


def today() -> dt.date:
    """Today's date in UTC."""
    return utcnow().date()


def _text(errors: list[FieldError], field: str, value: str | None, limit: int) -> str | None:
    value = (value or "").strip()
    if not value:
        errors.append(FieldError(field, "required"))
        return None
    if len(value) > limit:
        errors.append(FieldError(field, f"at most {limit} characters"))
        return None
    return value


def _optional_text(errors: list[FieldError], field: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        errors.append(FieldError(field, f"at most {MAX_TEXT} characters"))
    return value or None


def _fail(detail: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(detail, errors=errors)


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    request: AssistanceRequest,
    event: Event,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"assistance.{action}",
        object_type="assistance_request",
        object_id=request.id,
        country=event.country_code,
        detail={"event_id": event.id, **(detail or {})},
    )


def is_shared(event: Event) -> bool:
    """Whether ``event`` is shared beyond its country (who an assistance request goes to)."""
    return event.shared_with_region or bool(event.shares)


def _request_of(session: Session, event: Event, request_id: int) -> AssistanceRequest:
    request = session.get(AssistanceRequest, request_id)
    if request is None or request.event_id != event.id:
        raise NotFound(f"no assistance request {request_id} for event {event.id}")
    return request


# -- reading --------------------------------------------------------------------------------


def list_requests(*, session: Session, actor: Principal, event_id: int) -> list[AssistanceRequest]:
    """The assistance requests of an event ``actor`` sees, oldest first, with their offers."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    query = (
        select(AssistanceRequest)
        .where(AssistanceRequest.event_id == event.id)
        .options(selectinload(AssistanceRequest.offers))
        .order_by(AssistanceRequest.id)
    )
    return list(session.scalars(query))


def get_request(
    *, session: Session, actor: Principal, event_id: int, request_id: int
) -> AssistanceRequest:
    """One assistance request of an event ``actor`` sees."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    return _request_of(session, event, request_id)


def check_filter(values: AssistanceFilter) -> None:
    """:class:`Invalid` naming the field when a filter value is not one of the known ones."""
    errors: list[FieldError] = []
    if values.kind is not None and values.kind not in ASSISTANCE_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ASSISTANCE_KINDS)}"))
    if values.status is not None and values.status not in ASSISTANCE_STATUSES:
        errors.append(FieldError("status", f"one of {', '.join(ASSISTANCE_STATUSES)}"))
    _fail("invalid filter", errors)


def _board_query(actor: Principal, values: AssistanceFilter) -> Select[AssistanceRequest]:
    query = (
        select(AssistanceRequest)
        .join(Event, Event.id == AssistanceRequest.event_id)
        .where(sharing.visible_clause(actor))
        .options(selectinload(AssistanceRequest.offers), selectinload(AssistanceRequest.event))
    )
    if values.kind is not None:
        query = query.where(AssistanceRequest.kind == values.kind)
    if values.status is not None:
        query = query.where(AssistanceRequest.status == values.status)
    else:
        query = query.where(AssistanceRequest.status.in_(PENDING_ASSISTANCE_STATUSES))
    if values.country is not None:
        query = query.where(Event.country_code == values.country.upper())
    return query


def list_board(
    *,
    session: Session,
    actor: Principal,
    values: AssistanceFilter,
    page: PageRequest,
) -> tuple[list[AssistanceRequest], int]:
    """The assistance requests of every event ``actor`` sees (pending ones unless a status is
    asked), the soonest needed first by default: where a country can help. ``sort`` by
    needed_by, created_at, updated_at or status (``-`` for descending)."""
    authorize(actor, Action.EVENT_READ)
    check_filter(values)
    return paginate(
        session,
        _board_query(actor, values),
        page,
        sortable=BOARD_SORTABLE,
        default_sort="needed_by",
    )


def count_pending(*, session: Session, actor: Principal) -> int:
    """How many requests still wait for help among the events ``actor`` sees."""
    authorize(actor, Action.EVENT_READ)
    query = _board_query(actor, AssistanceFilter()).with_only_columns(
        func.count(AssistanceRequest.id)
    )
    return int(session.scalar(query.order_by(None)) or 0)


# -- asking ---------------------------------------------------------------------------------


def create_request(
    *, session: Session, actor: Principal, event_id: int, new: AssistanceInput
) -> AssistanceRequest:
    """Ask the countries the event is shared with for help (:class:`Conflict` when the event is
    not shared, or is closed or discarded)."""
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    errors: list[FieldError] = []
    if new.kind not in ASSISTANCE_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ASSISTANCE_KINDS)}"))
    title = _text(errors, "title", new.title, MAX_TITLE)
    description = _text(errors, "description", new.description, MAX_TEXT)
    if new.needed_by is not None and new.needed_by < today():
        errors.append(FieldError("needed_by", "not in the past"))
    _fail("invalid assistance request", errors)
    if event.status in FINISHED_EVENT_STATUSES:
        raise Conflict(f"event {event.id} is {event.status}: no assistance can be asked for it")
    if not is_shared(event):
        raise Conflict(
            f"event {event.id} is not shared: share it with the region or with countries "
            "before asking them for assistance"
        )
    assert title is not None and description is not None
    now = utcnow()
    request = AssistanceRequest(
        event_id=event.id,
        kind=new.kind,
        title=title,
        description=description,
        needed_by=new.needed_by,
        status="open",
        created_at=now,
        created_by=actor.actor_label,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    _audit(session, actor, "request", request, event, {"kind": request.kind})
    return request


def close_request(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    request_id: int,
    action: str,
    note: str | None = None,
) -> AssistanceRequest:
    """Mark a request fulfilled, or withdraw it (a withdrawal says why)."""
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    request = _request_of(session, event, request_id)
    errors: list[FieldError] = []
    if action not in REQUEST_ACTIONS:
        errors.append(FieldError("action", f"one of {', '.join(REQUEST_ACTIONS)}"))
    text = _optional_text(errors, "note", note)
    if action == "withdraw" and text is None and not errors:
        errors.append(FieldError("note", "required: say why the request is withdrawn"))
    _fail("invalid change of the request", errors)
    if request.status not in PENDING_ASSISTANCE_STATUSES:
        raise Conflict(f"assistance request {request.id} is {request.status}: it is final")
    now = utcnow()
    request.status = REQUEST_ACTIONS[action]
    request.closed_at = now
    request.closing_note = text
    request.updated_at = now
    session.flush()
    _audit(session, actor, action, request, event)
    return request


# -- offering -------------------------------------------------------------------------------


def offer(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    request_id: int,
    description: str,
    organisation: str | None = None,
) -> AssistanceOffer:
    """Offer to meet a request, on behalf of the actor's country (or, for a regional
    responder, of the region)."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    request = _request_of(session, event, request_id)
    authorize(
        actor,
        Action.EVENT_MANAGE,
        country=actor.country,
        object_type="assistance_request",
        object_id=str(request.id),
    )
    errors: list[FieldError] = []
    text = _text(errors, "description", description, MAX_TEXT)
    code = (organisation or "").strip() or None
    if code is not None and session.get(Organisation, code) is None:
        errors.append(FieldError("organisation", f"unknown organisation {code!r}"))
    _fail("invalid offer", errors)
    if actor.country is not None and actor.country == event.country_code:
        raise Conflict(f"{actor.country} asked for this assistance: it cannot offer it to itself")
    if request.status not in PENDING_ASSISTANCE_STATUSES:
        raise Conflict(f"assistance request {request.id} is {request.status}: no more offers")
    assert text is not None
    made = AssistanceOffer(
        request_id=request.id,
        country_code=actor.country,
        organisation_code=code,
        description=text,
        status="offered",
        offered_at=utcnow(),
        offered_by=actor.actor_label,
    )
    session.add(made)
    session.flush()
    _audit(
        session,
        actor,
        "offer",
        request,
        event,
        {"offer_id": made.id, "country": actor.country, "organisation": code},
    )
    return made


def decide_offer(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    request_id: int,
    offer_id: int,
    decision: str,
    note: str | None = None,
) -> AssistanceOffer:
    """Accept or decline an offer (the asking country's managers), or withdraw it (the
    offering side)."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    request = _request_of(session, event, request_id)
    made = session.get(AssistanceOffer, offer_id)
    if made is None or made.request_id != request.id:
        raise NotFound(f"no offer {offer_id} for assistance request {request.id}")
    errors: list[FieldError] = []
    if decision not in OFFER_DECISIONS:
        errors.append(FieldError("decision", f"one of {', '.join(OFFER_DECISIONS)}"))
    text = _optional_text(errors, "note", note)
    _fail("invalid decision", errors)
    if decision == "withdraw":
        authorize(
            actor,
            Action.EVENT_MANAGE,
            country=actor.country,
            object_type="assistance_offer",
            object_id=str(made.id),
        )
        if actor.country != made.country_code:
            raise Conflict("only the offering side withdraws an offer")
        allowed_from: tuple[str, ...] = ("offered", "accepted")
    else:
        sharing.managed_event(session=session, actor=actor, event_id=event_id)
        allowed_from = ("offered",)
    if made.status not in allowed_from:
        raise Conflict(f"offer {made.id} is {made.status}: it cannot be {decision}ed any more")
    if request.status not in PENDING_ASSISTANCE_STATUSES:
        raise Conflict(f"assistance request {request.id} is {request.status}: it is final")
    now = utcnow()
    made.status = OFFER_DECISIONS[decision]
    made.decided_at = now
    made.decided_by = actor.actor_label
    made.decision_note = text
    if made.status == "accepted":
        request.status = "in_progress"
    elif (
        made.status == "withdrawn"
        and request.status == "in_progress"
        and not any(other.status == "accepted" for other in request.offers if other is not made)
    ):
        request.status = "open"
    request.updated_at = now
    session.flush()
    _audit(session, actor, f"offer.{decision}", request, event, {"offer_id": made.id})
    return made
