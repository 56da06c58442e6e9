"""Pledges: a holder offers a quantity of one of its lots, or one of its teams, to the region's
allocations (or to one request), with its conditions.

Rules:

- Who pledges a holder's stock or teams: a national stockpile's country (``RESOURCE_PLEDGE`` for
  that country), the regional reserve's and partners' regional users
  (:func:`~healthbridge.resources.ledger.authorize_holder`).
- A lot's pledge is a whole number of units, at most the lot's balance when it is pledged; a
  team is pledged whole. A pledge for one request must match it (the same item, the same team
  type) and the request must still be open.
- A pledge is ``offered``; the region (``RESOURCE_APPROVE``) accepts or declines it; the
  pledging side may withdraw it while it is offered or accepted. Decided pledges are final.
- Pledges are regional information: everyone signed in lists them. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources import ledger
from healthbridge.resources.models import (
    PLEDGE_STATUSES,
    Holder,
    Lot,
    Pledge,
    ResourceRequest,
    Team,
)
from healthbridge.resources.requests import MAX_QUANTITY, OPEN_STATUSES

MAX_CONDITIONS = 4000
MAX_NOTE = 4000
#: What may be decided about a pledge, and the status it leads to.
DECISIONS = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}
#: The statuses each decision may start from.
DECIDABLE_FROM = {
    "accept": ("offered",),
    "decline": ("offered",),
    "withdraw": ("offered", "accepted"),
}
SORTABLE = {
    "pledged_at": Pledge.pledged_at,
    "status": Pledge.status,
    "holder": Pledge.holder_code,
    "quantity": Pledge.quantity,
}


@dataclass(frozen=True)
class PledgeInput:
    """A new pledge: a lot (with a quantity) or a team, optionally for one request."""

    lot_id: int | None = None
    team_id: int | None = None
    quantity: int | None = None
    request_id: int | None = None
    conditions: str | None = None


@dataclass(frozen=True)
class PledgeFilter:
    """Which pledges a list shows."""

    status: str | None = None
    holder: str | None = None
    request_id: int | None = None
    item: str | None = None
    #: The holder's country.
    country: str | None = None


def _fail(detail: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(detail, errors=errors)


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    pledge: Pledge,
    holder: Holder,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"pledge.{action}",
        object_type="pledge",
        object_id=pledge.id,
        country=holder.country_code,
        detail={
            "holder": holder.code,
            "lot_id": pledge.lot_id,
            "team_id": pledge.team_id,
            "quantity": pledge.quantity,
            "request_id": pledge.request_id,
            "status": pledge.status,
            **(detail or {}),
        },
    )


def _offered_thing(
    session: Session, new: PledgeInput, errors: list[FieldError]
) -> tuple[Holder | None, Lot | None, Team | None]:
    if (new.lot_id is None) == (new.team_id is None):
        errors.append(FieldError("lot_id", "give a lot (with a quantity) or a team, not both"))
        return None, None, None
    if new.lot_id is not None:
        lot = session.get(Lot, new.lot_id)
        if lot is None:
            errors.append(FieldError("lot_id", f"no lot with id {new.lot_id}"))
            return None, None, None
        return lot.holder, lot, None
    team = session.get(Team, new.team_id)
    if team is None:
        errors.append(FieldError("team_id", f"no team with id {new.team_id}"))
        return None, None, None
    return team.holder, None, team


def _check_request(
    session: Session, request_id: int, lot: Lot | None, team: Team | None
) -> ResourceRequest:
    request = session.get(ResourceRequest, request_id)
    if request is None:
        raise Invalid(
            "invalid pledge",
            errors=[FieldError("request_id", f"no resource request with id {request_id}")],
        )
    if lot is not None and request.item_code != lot.item_code:
        wanted = request.item_code or f"a team ({request.team_type})"
        raise Invalid(
            "invalid pledge",
            errors=[
                FieldError("request_id", f"the request asks for {wanted}, not {lot.item_code}")
            ],
        )
    if team is not None and request.team_type != team.team_type:
        wanted = request.team_type or f"an item ({request.item_code})"
        raise Invalid(
            "invalid pledge",
            errors=[
                FieldError("request_id", f"the request asks for {wanted}, not {team.team_type}")
            ],
        )
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"resource request {request.id} is {request.status}: no more pledges")
    return request


def pledge(*, session: Session, actor: Principal, new: PledgeInput) -> Pledge:
    """Pledge a quantity of a lot, or a team, for the holder that has it (see the rules)."""
    errors: list[FieldError] = []
    holder, lot, team = _offered_thing(session, new, errors)
    _fail("invalid pledge", errors)
    assert holder is not None
    ledger.authorize_holder(actor, holder, Action.RESOURCE_PLEDGE)
    quantity: int | None = None
    if lot is not None:
        value = new.quantity
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(FieldError("quantity", "a whole number of units of the lot"))
        elif not 1 <= value <= MAX_QUANTITY:
            errors.append(FieldError("quantity", f"at least 1, at most {MAX_QUANTITY}"))
        else:
            quantity = value
    elif new.quantity is not None:
        errors.append(FieldError("quantity", "only for a lot: a team is pledged whole"))
    conditions = (new.conditions or "").strip() or None
    if conditions is not None and any(ord(c) < 32 and c not in "\t\n\r" for c in conditions):
        errors.append(FieldError("conditions", "contains a control character"))
    elif conditions is not None and len(conditions) > MAX_CONDITIONS:
        errors.append(FieldError("conditions", f"at most {MAX_CONDITIONS} characters"))
    _fail("invalid pledge", errors)
    if new.request_id is not None:
        _check_request(session, new.request_id, lot, team)
    if lot is not None and quantity is not None:
        held = ledger.balance(session, ledger.lock_lot(session, lot.id).id)
        if quantity > held:
            raise Invalid(
                "invalid pledge",
                errors=[
                    FieldError(
                        "quantity",
                        f"at most {held}: lot {lot.lot_number} of {lot.item_code} holds {held}",
                    )
                ],
            )
    made = Pledge(
        holder_code=holder.code,
        lot_id=lot.id if lot is not None else None,
        team_id=team.id if team is not None else None,
        quantity=quantity,
        request_id=new.request_id,
        conditions=conditions,
        status="offered",
        pledged_at=utcnow(),
        pledged_by=actor.actor_label,
    )
    session.add(made)
    session.flush()
    _audit(session, actor, "offer", made, holder)
    return made


def decide(
    *,
    session: Session,
    actor: Principal,
    pledge_id: int,
    decision: str,
    note: str | None = None,
) -> Pledge:
    """Accept or decline a pledge (the region), or withdraw it (the pledging side)."""
    authorize(actor, Action.RESOURCE_READ)
    errors: list[FieldError] = []
    if decision not in DECISIONS:
        errors.append(FieldError("decision", f"one of {', '.join(DECISIONS)}"))
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        errors.append(FieldError("note", f"at most {MAX_NOTE} characters"))
    _fail("invalid decision", errors)
    made = session.scalars(
        select(Pledge)
        .where(Pledge.id == pledge_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if made is None:
        raise NotFound(f"no pledge with id {pledge_id}")
    holder = session.get(Holder, made.holder_code)
    assert holder is not None
    if decision == "withdraw":
        ledger.authorize_holder(actor, holder, Action.RESOURCE_PLEDGE)
    else:
        authorize(actor, Action.RESOURCE_APPROVE, object_type="pledge", object_id=str(made.id))
    if made.status not in DECIDABLE_FROM[decision]:
        raise Conflict(
            f"pledge {made.id} is {made.status}: it cannot be {DECISIONS[decision]} "
            f"(only when {' or '.join(DECIDABLE_FROM[decision])})"
        )
    made.status = DECISIONS[decision]
    made.decided_at = utcnow()
    made.decided_by = actor.actor_label
    session.flush()
    _audit(session, actor, decision, made, holder, {"note": text})
    return made


def get_pledge(*, session: Session, actor: Principal, pledge_id: int) -> Pledge:
    """One pledge."""
    authorize(actor, Action.RESOURCE_READ)
    made = session.get(Pledge, pledge_id)
    if made is None:
        raise NotFound(f"no pledge with id {pledge_id}")
    return made


def _query(values: PledgeFilter) -> Select[Pledge]:
    query = (
        select(Pledge)
        .join(Holder, Holder.code == Pledge.holder_code)
        .options(selectinload(Pledge.lot), selectinload(Pledge.team))
    )
    if values.status is not None:
        query = query.where(Pledge.status == values.status)
    if values.holder is not None:
        query = query.where(Pledge.holder_code == values.holder)
    if values.request_id is not None:
        query = query.where(Pledge.request_id == values.request_id)
    if values.item is not None:
        query = query.where(Pledge.lot.has(Lot.item_code == values.item))
    if values.country is not None:
        query = query.where(Holder.country_code == values.country.upper())
    return query


def list_pledges(
    *, session: Session, actor: Principal, values: PledgeFilter, page: PageRequest
) -> tuple[list[Pledge], int]:
    """Pledges matching ``values``, the newest first. ``sort``: pledged_at, status, holder,
    quantity (``-`` for descending; default ``-pledged_at``)."""
    authorize(actor, Action.RESOURCE_READ)
    if values.status is not None and values.status not in PLEDGE_STATUSES:
        raise Invalid(
            "invalid filter",
            errors=[FieldError("status", f"one of {', '.join(PLEDGE_STATUSES)}")],
        )
    return paginate(session, _query(values), page, sortable=SORTABLE, default_sort="-pledged_at")


def pledges_for(*, session: Session, actor: Principal, request_id: int) -> list[Pledge]:
    """The pledges made for one request, oldest first."""
    authorize(actor, Action.RESOURCE_READ)
    query = _query(PledgeFilter(request_id=request_id)).order_by(Pledge.id)
    return list(session.scalars(query))


def may_pledge(actor: Principal, holder: Holder) -> bool:
    """Whether ``actor`` may pledge (and withdraw pledges of) ``holder``'s stock and teams."""
    try:
        ledger.authorize_holder(actor, holder, Action.RESOURCE_PLEDGE)
    except Forbidden:
        return False
    return True


def pledgeable_lots(
    *, session: Session, actor: Principal, item: str | None = None
) -> list[tuple[Lot, int]]:
    """The lots ``actor`` may pledge (of ``item`` when given) that hold something, with their
    balance, the earliest-expiring first."""
    query = select(Lot).options(selectinload(Lot.holder)).order_by(Lot.expires_on, Lot.id)
    if item is not None:
        query = query.where(Lot.item_code == item)
    lots = [lot for lot in session.scalars(query) if may_pledge(actor, lot.holder)]
    held = ledger.balances(session, [lot.id for lot in lots])
    return [(lot, held[lot.id]) for lot in lots if held[lot.id] > 0]


def pledgeable_teams(
    *, session: Session, actor: Principal, team_type: str | None = None
) -> list[Team]:
    """The teams ``actor`` may pledge (of ``team_type`` when given)."""
    query = select(Team).options(selectinload(Team.holder)).order_by(Team.code)
    if team_type is not None:
        query = query.where(Team.team_type == team_type)
    return [team for team in session.scalars(query) if may_pledge(actor, team.holder)]
