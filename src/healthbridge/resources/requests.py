"""Resource requests: a country asks the region for a quantity of an item or for a team, and the
request goes through its approval steps.

Rules:

- The asking country's responders (``RESOURCE_REQUEST`` for that country) or a regional user
  make a request: an item (a quantity of units of issue) or a team (a team type, skills it must
  all have, languages of which it must speak one, from ``needed_by`` until ``needed_until``),
  with a priority, a needed-by date (not in the past) and a delivery point. It may name an event
  the requester sees, of the same country, and one of that event's assistance requests (of kind
  ``resources``; a team request also ``field_team``).
- Steps (each a :class:`~healthbridge.resources.models.RequestStep`, each audited):
  ``submitted`` → ``endorse`` by the asking country's focal point (``RESOURCE_ENDORSE`` for
  that country) → ``endorsed`` → ``approve`` by the region (``RESOURCE_APPROVE``) →
  ``approved``; ``reject`` (with a note) at either step by whoever may take it; ``cancel`` by
  the asking country before the request is final; ``close`` (with a note) by the region once an
  approved request is delivered or nothing more will come. A step the status does not allow is a
  :class:`~healthbridge.errors.Conflict` naming the allowed ones.
- Requests are regional information: everyone signed in sees every request; a country changes
  only its own. The event a request names is shown only to those who see the event.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import sharing
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography.models import Country
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, authorize, is_allowed
from healthbridge.resources.models import (
    PRIORITIES,
    REQUEST_KINDS,
    REQUEST_STATUSES,
    TEAM_TYPES,
    AllocationPlan,
    Item,
    PlanDeployment,
    PlanLine,
    RequestStep,
    ResourceRequest,
    Shipment,
)

MAX_QUANTITY = 10**9
MAX_DELIVERY_POINT = 200
MAX_TEXT = 20_000
MAX_TAGS = 20
MAX_TAG = 60
#: The steps each status allows.
ALLOWED_STEPS: dict[str, tuple[str, ...]] = {
    "submitted": ("endorse", "reject", "cancel"),
    "endorsed": ("approve", "reject", "cancel"),
    "approved": ("cancel", "close"),
    "rejected": (),
    "cancelled": (),
    "closed": (),
}
#: Where each step leads.
STEP_TARGETS = {
    "endorse": "endorsed",
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "close": "closed",
}
#: Steps that must say why.
STEPS_WITH_NOTE = frozenset({"reject", "close"})
#: Statuses of a request that still waits for something.
OPEN_STATUSES = ("submitted", "endorsed", "approved")
#: The order of priorities, most urgent first.
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
#: Assistance request kinds a request of each kind may be linked to.
LINKABLE_ASSISTANCE = {"item": ("resources",), "team": ("resources", "field_team")}
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


@dataclass(frozen=True)
class RequestInput:
    """A new request (``country`` defaults to a country user's own)."""

    kind: str
    quantity: int
    priority: str
    needed_by: dt.date | None
    delivery_point: str
    country: str | None = None
    item: str | None = None
    team_type: str | None = None
    needed_until: dt.date | None = None
    skills: Sequence[str] = ()
    languages: Sequence[str] = ()
    note: str | None = None
    event_id: int | None = None
    assistance_request_id: int | None = None


@dataclass(frozen=True)
class RequestFilter:
    """Which requests the board lists."""

    status: str | None = None
    country: str | None = None
    item: str | None = None
    priority: str | None = None
    event_id: int | None = None
    kind: str | None = None
    #: Only requests still waiting (submitted, endorsed, approved).
    open_only: bool = False


@dataclass
class Board:
    """One page of the board."""

    rows: list[ResourceRequest]
    total: int
    progress: dict[int, tuple[int, int]] = field(default_factory=dict)


def today() -> dt.date:
    """Today's date in UTC."""
    return utcnow().date()


def _priority_rank() -> Any:
    return case(PRIORITY_RANK, value=ResourceRequest.priority, else_=len(PRIORITIES))


#: Public sort keys and the columns they order by (the first one reversed by ``-``).
SORTABLE: dict[str, tuple[Any, ...]] = {
    "priority": (_priority_rank(), ResourceRequest.needed_by),
    "needed_by": (ResourceRequest.needed_by, _priority_rank()),
    "requested_at": (ResourceRequest.requested_at,),
    "updated_at": (ResourceRequest.updated_at,),
    "status": (ResourceRequest.status, _priority_rank(), ResourceRequest.needed_by),
    "country": (ResourceRequest.country_code, _priority_rank(), ResourceRequest.needed_by),
}


# -- checks ----------------------------------------------------------------------------------


def _fail(detail: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(detail, errors=errors)


def _controls(text: str) -> bool:
    """Whether ``text`` holds a control character no field of ours carries (NUL above all:
    PostgreSQL cannot store it)."""
    return any(ord(c) < 32 and c not in "\t\n\r" for c in text)


def _text(errors: list[FieldError], name: str, value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    if _controls(text):
        errors.append(FieldError(name, "contains a control character"))
        return None
    if not text:
        errors.append(FieldError(name, "required"))
        return None
    if len(text) > limit:
        errors.append(FieldError(name, f"at most {limit} characters"))
        return None
    return text


def _optional_text(errors: list[FieldError], name: str, value: str | None) -> str | None:
    text = (value or "").strip()
    if _controls(text):
        errors.append(FieldError(name, "contains a control character"))
        return None
    if len(text) > MAX_TEXT:
        errors.append(FieldError(name, f"at most {MAX_TEXT} characters"))
        return None
    return text or None


def _tags(
    errors: list[FieldError], name: str, values: Iterable[str], pattern: re.Pattern[str], hint: str
) -> list[str]:
    cleaned = list(dict.fromkeys(v.strip().lower() for v in values if v and v.strip()))
    if len(cleaned) > MAX_TAGS:
        errors.append(FieldError(name, f"at most {MAX_TAGS}"))
        return []
    wrong = [v for v in cleaned if len(v) > MAX_TAG or not pattern.match(v)]
    if wrong:
        errors.append(FieldError(name, f"{hint}; not {', '.join(repr(v) for v in wrong[:3])}"))
        return []
    return cleaned


def _quantity(errors: list[FieldError], value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError("quantity", "a whole number"))
        return None
    if not 1 <= value <= MAX_QUANTITY:
        errors.append(FieldError("quantity", f"at least 1, at most {MAX_QUANTITY}"))
        return None
    return value


def _country(session: Session, actor: Principal, errors: list[FieldError], code: str | None) -> str:
    given = (code or "").strip().upper()
    if not given:
        if actor.country is None:
            errors.append(FieldError("country", "required: the asking country (ISO alpha-3)"))
            return ""
        return actor.country
    if _controls(given) or session.get(Country, given) is None:
        errors.append(FieldError("country", f"{code!r} is not a served country's alpha-3 code"))
        return ""
    return given


def _linked_event(
    session: Session,
    actor: Principal,
    errors: list[FieldError],
    *,
    kind: str,
    country: str,
    event_id: int | None,
    assistance_request_id: int | None,
) -> tuple[int | None, int | None]:
    """The event and assistance request a new request names, checked."""
    assistance: AssistanceRequest | None = None
    if assistance_request_id is not None:
        assistance = session.get(AssistanceRequest, assistance_request_id)
        if assistance is None or (event_id is not None and assistance.event_id != event_id):
            errors.append(
                FieldError(
                    "assistance_request_id",
                    f"no assistance request {assistance_request_id} of the event",
                )
            )
            return event_id, None
        event_id = assistance.event_id
    if event_id is None:
        return None, None
    event = session.get(Event, event_id)
    if event is None or not sharing.can_see(actor, event):
        # Alike for an event that does not exist and one the actor does not see.
        field_name = "event_id" if assistance is None else "assistance_request_id"
        errors.append(FieldError(field_name, f"no event with id {event_id}"))
        return None, None
    if country and event.country_code != country:
        errors.append(
            FieldError("event_id", f"the event is {event.country_code}'s, not {country}'s")
        )
    if assistance is not None and kind in LINKABLE_ASSISTANCE:
        allowed = LINKABLE_ASSISTANCE[kind]
        if assistance.kind not in allowed:
            errors.append(
                FieldError(
                    "assistance_request_id",
                    f"asks for {assistance.kind}: a {kind} request links to "
                    f"{' or '.join(allowed)} assistance only",
                )
            )
    return event.id, assistance.id if assistance is not None else None


def check_request(
    session: Session, actor: Principal, new: RequestInput
) -> tuple[dict[str, Any], list[FieldError]]:
    """The columns of a new request, and what is wrong with it (nothing stored)."""
    errors: list[FieldError] = []
    if new.kind not in REQUEST_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(REQUEST_KINDS)}"))
    country = _country(session, actor, errors, new.country)
    item = (new.item or "").strip() or None
    team_type = (new.team_type or "").strip() or None
    skills: list[str] = []
    languages: list[str] = []
    if new.kind == "item":
        known = session.get(Item, item) if item is not None and not _controls(item) else None
        if item is None:
            errors.append(FieldError("item", "required for an item request"))
        elif known is None:
            errors.append(FieldError("item", f"unknown item {item!r}"))
        elif not known.active:
            errors.append(FieldError("item", f"item {item!r} is no longer in the catalogue"))
        for name, value in (
            ("team_type", team_type),
            ("needed_until", new.needed_until),
            ("skills", list(new.skills)),
            ("languages", list(new.languages)),
        ):
            if value:
                errors.append(FieldError(name, "only for a team request"))
    elif new.kind == "team":
        if team_type is None:
            errors.append(FieldError("team_type", "required for a team request"))
        elif team_type not in TEAM_TYPES:
            errors.append(FieldError("team_type", f"one of {', '.join(TEAM_TYPES)}"))
        if item is not None:
            errors.append(FieldError("item", "only for an item request"))
        skills = _tags(errors, "skills", new.skills, _TAG, "lower-case words (a-z, 0-9, -, _)")
        languages = _tags(errors, "languages", new.languages, _LANGUAGE, "ISO 639-1 codes")
    quantity = _quantity(errors, new.quantity)
    if new.priority not in PRIORITIES:
        errors.append(FieldError("priority", f"one of {', '.join(PRIORITIES)}"))
    if new.needed_by is None:
        errors.append(FieldError("needed_by", "required (YYYY-MM-DD)"))
    elif new.needed_by < today():
        errors.append(FieldError("needed_by", "not in the past"))
    if (
        new.needed_until is not None
        and new.needed_by is not None
        and new.needed_until < new.needed_by
    ):
        errors.append(FieldError("needed_until", "not before needed_by"))
    delivery_point = _text(errors, "delivery_point", new.delivery_point, MAX_DELIVERY_POINT)
    note = _optional_text(errors, "note", new.note)
    event_id, assistance_id = _linked_event(
        session,
        actor,
        errors,
        kind=new.kind,
        country=country,
        event_id=new.event_id,
        assistance_request_id=new.assistance_request_id,
    )
    columns = {
        "country_code": country,
        "kind": new.kind,
        "item_code": item if new.kind == "item" else None,
        "team_type": team_type if new.kind == "team" else None,
        "quantity": quantity,
        "priority": new.priority,
        "needed_by": new.needed_by,
        "needed_until": new.needed_until if new.kind == "team" else None,
        "skills": skills,
        "languages": languages,
        "delivery_point": delivery_point,
        "note": note,
        "event_id": event_id,
        "assistance_request_id": assistance_id,
    }
    return columns, errors


# -- asking ----------------------------------------------------------------------------------


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    request: ResourceRequest,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"resource_request.{action}",
        object_type="resource_request",
        object_id=request.id,
        country=request.country_code,
        detail={"status": request.status, **(detail or {})},
    )


def create_request(*, session: Session, actor: Principal, new: RequestInput) -> ResourceRequest:
    """Submit a request for the asking country (:class:`~healthbridge.errors.Forbidden` for
    another country's; :class:`Invalid` naming each wrong field, nothing stored)."""
    authorize(actor, Action.RESOURCE_REQUEST, country=actor.country)
    given_country = (new.country or "").strip().upper()
    if given_country and not actor.is_regional:
        authorize(
            actor,
            Action.RESOURCE_REQUEST,
            country=given_country,
            object_type="resource_request",
        )
    columns, errors = check_request(session, actor, new)
    _fail("invalid resource request", errors)
    authorize(
        actor,
        Action.RESOURCE_REQUEST,
        country=columns["country_code"],
        object_type="resource_request",
    )
    now = utcnow()
    request = ResourceRequest(
        **columns,
        status="submitted",
        requested_at=now,
        requested_by=actor.actor_label,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    _audit(
        session,
        actor,
        "submit",
        request,
        {
            "kind": request.kind,
            "item": request.item_code,
            "team_type": request.team_type,
            "quantity": request.quantity,
            "priority": request.priority,
            "event_id": request.event_id,
        },
    )
    return request


# -- steps -----------------------------------------------------------------------------------


def _step_action(step: str, status: str) -> tuple[Action, bool]:
    """The policy action a step takes from ``status``, and whether it is scoped to the asking
    country."""
    if step == "endorse" or (step == "reject" and status == "submitted"):
        return Action.RESOURCE_ENDORSE, True
    if step == "cancel":
        return Action.RESOURCE_REQUEST, True
    return Action.RESOURCE_APPROVE, False


def may_take(actor: Principal, request: ResourceRequest, step: str) -> bool:
    """Whether ``actor`` may take ``step`` on ``request`` now."""
    if step not in ALLOWED_STEPS.get(request.status, ()):
        return False
    action, scoped = _step_action(step, request.status)
    return is_allowed(actor, action, country=request.country_code if scoped else None)


def allowed_steps(actor: Principal, request: ResourceRequest) -> list[str]:
    """The steps ``actor`` may take on ``request`` now, in the order of the workflow."""
    return [s for s in ALLOWED_STEPS.get(request.status, ()) if may_take(actor, request, s)]


def take_step(
    *,
    session: Session,
    actor: Principal,
    request_id: int,
    step: str,
    note: str | None = None,
) -> ResourceRequest:
    """Endorse, approve, reject, cancel or close a request (see the module's rules)."""
    authorize(actor, Action.RESOURCE_READ)
    errors: list[FieldError] = []
    if step not in STEP_TARGETS:
        errors.append(FieldError("step", f"one of {', '.join(STEP_TARGETS)}"))
    text = _optional_text(errors, "note", note)
    if step in STEPS_WITH_NOTE and text is None and not errors:
        errors.append(FieldError("note", f"required: say why the request is {STEP_TARGETS[step]}"))
    _fail("invalid step", errors)
    request = _lock(session, request_id)
    allowed = ALLOWED_STEPS[request.status]
    if step not in allowed:
        hint = f"allowed: {', '.join(allowed)}" if allowed else "it is final"
        raise Conflict(
            f"resource request {request.id} is {request.status}: it cannot be "
            f"{STEP_TARGETS[step]} ({hint})"
        )
    action, scoped = _step_action(step, request.status)
    authorize(
        actor,
        action,
        country=request.country_code if scoped else None,
        object_type="resource_request",
        object_id=str(request.id),
    )
    before = request.status
    now = utcnow()
    request.status = STEP_TARGETS[step]
    request.updated_at = now
    request.steps.append(
        RequestStep(
            request_id=request.id,
            step=step,
            from_status=before,
            to_status=request.status,
            at=now,
            actor=actor.actor_label,
            note=text,
        )
    )
    session.flush()
    _audit(session, actor, step, request, {"from": before, "note": text})
    return request


def _lock(session: Session, request_id: int) -> ResourceRequest:
    request = session.scalars(
        select(ResourceRequest)
        .where(ResourceRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if request is None:
        raise NotFound(f"no resource request with id {request_id}")
    return request


# -- reading ---------------------------------------------------------------------------------


def get_request(*, session: Session, actor: Principal, request_id: int) -> ResourceRequest:
    """One request with its steps (every signed-in user sees every request)."""
    authorize(actor, Action.RESOURCE_READ)
    request = session.scalars(
        select(ResourceRequest)
        .where(ResourceRequest.id == request_id)
        .options(selectinload(ResourceRequest.steps), selectinload(ResourceRequest.item))
    ).first()
    if request is None:
        raise NotFound(f"no resource request with id {request_id}")
    return request


def check_filter(session: Session, actor: Principal, values: RequestFilter) -> RequestFilter:
    """The filter normalised; :class:`Invalid` naming the field for unknown values, and
    :class:`NotFound` for an event the actor does not see."""
    errors: list[FieldError] = []
    if values.status is not None and values.status not in REQUEST_STATUSES:
        errors.append(FieldError("status", f"one of {', '.join(REQUEST_STATUSES)}"))
    if values.priority is not None and values.priority not in PRIORITIES:
        errors.append(FieldError("priority", f"one of {', '.join(PRIORITIES)}"))
    if values.kind is not None and values.kind not in REQUEST_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(REQUEST_KINDS)}"))
    country = values.country.strip().upper() if values.country else None
    if country is not None and (_controls(country) or session.get(Country, country) is None):
        errors.append(FieldError("country", f"{values.country!r} is not a served country"))
    _fail("invalid filter", errors)
    if values.event_id is not None:
        sharing.visible_event(session=session, actor=actor, event_id=values.event_id)
    return RequestFilter(
        status=values.status,
        country=country,
        item=(values.item or "").strip() or None,
        priority=values.priority,
        event_id=values.event_id,
        kind=values.kind,
        open_only=values.open_only,
    )


def _board_query(values: RequestFilter) -> Select[ResourceRequest]:
    query = select(ResourceRequest).options(selectinload(ResourceRequest.item))
    if values.status is not None:
        query = query.where(ResourceRequest.status == values.status)
    elif values.open_only:
        query = query.where(ResourceRequest.status.in_(OPEN_STATUSES))
    if values.country is not None:
        query = query.where(ResourceRequest.country_code == values.country)
    if values.item is not None:
        query = query.where(ResourceRequest.item_code == values.item)
    if values.priority is not None:
        query = query.where(ResourceRequest.priority == values.priority)
    if values.event_id is not None:
        query = query.where(ResourceRequest.event_id == values.event_id)
    if values.kind is not None:
        query = query.where(ResourceRequest.kind == values.kind)
    return query


def list_requests(
    *, session: Session, actor: Principal, values: RequestFilter, page: PageRequest
) -> Board:
    """The request board: every request matching ``values``, the most urgent first (priority,
    then needed-by), with what is allocated and received of each. ``sort``: priority (default),
    needed_by, requested_at, updated_at, status, country; ``-`` reverses the first key."""
    authorize(actor, Action.RESOURCE_READ)
    values = check_filter(session, actor, values)
    key = page.sort or "priority"
    descending = key.startswith("-")
    columns = SORTABLE.get(key.removeprefix("-"))
    if columns is None:
        raise Invalid(
            f"cannot sort by '{key}'",
            errors=[
                FieldError(
                    "sort", f"one of: {', '.join(sorted(SORTABLE))}, with '-' for descending"
                )
            ],
        )
    query = _board_query(values)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    first, *rest = columns
    ordered = query.order_by(first.desc() if descending else first.asc(), *rest, ResourceRequest.id)
    rows = list(session.scalars(ordered.limit(page.limit).offset(page.offset)))
    return Board(rows=rows, total=int(total), progress=progress_of(session, [r.id for r in rows]))


def progress_of(session: Session, request_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``(allocated, received)`` of each request: the quantity the lines of approved plans give
    it (for a team request: the teams approved plans deploy), and the quantity received in its
    shipments. Read-only."""
    wanted = list(dict.fromkeys(request_ids))
    allocated: dict[int, int] = dict.fromkeys(wanted, 0)
    received: dict[int, int] = dict.fromkeys(wanted, 0)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        lines = session.execute(
            select(PlanLine.request_id, func.sum(PlanLine.quantity))
            .join(AllocationPlan, AllocationPlan.id == PlanLine.plan_id)
            .where(PlanLine.request_id.in_(chunk), AllocationPlan.status == "approved")
            .group_by(PlanLine.request_id)
        )
        for request_id, units in lines:
            allocated[request_id] += int(units or 0)
        deployments = session.execute(
            select(PlanDeployment.request_id, func.count(PlanDeployment.id))
            .join(AllocationPlan, AllocationPlan.id == PlanDeployment.plan_id)
            .where(PlanDeployment.request_id.in_(chunk), AllocationPlan.status == "approved")
            .group_by(PlanDeployment.request_id)
        )
        for request_id, count in deployments:
            allocated[request_id] += int(count or 0)
        shipped = session.execute(
            select(Shipment.request_id, func.sum(Shipment.quantity_received))
            .where(Shipment.request_id.in_(chunk), Shipment.quantity_received.is_not(None))
            .group_by(Shipment.request_id)
        )
        for request_id, got in shipped:
            received[request_id] += int(got or 0)
    return {rid: (allocated[rid], received[rid]) for rid in wanted}


def visible_events(
    session: Session, actor: Principal, requests: Iterable[ResourceRequest]
) -> dict[int, Event]:
    """The events named by ``requests`` that ``actor`` sees, by id (the others stay hidden)."""
    ids = {r.event_id for r in requests if r.event_id is not None}
    if not ids:
        return {}
    events = session.scalars(select(Event).where(Event.id.in_(ids)))
    return {e.id: e for e in events if sharing.can_see(actor, e)}


def seen_event(session: Session, actor: Principal, event_id: int) -> Event | None:
    """The event, when it exists and ``actor`` sees it."""
    event = session.get(Event, event_id)
    return event if event is not None and sharing.can_see(actor, event) else None
