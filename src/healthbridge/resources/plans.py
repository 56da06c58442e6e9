"""Allocation plans from the database, their approval, the shipments that carry them out, and
the ledger moving with them (issue #6, parts 4 to 6).

The life of a plan:

1. :func:`build_problem` describes the current situation in the ``problem.json`` format of
   :mod:`healthbridge.analytics.allocation`: every *approved* item request with what it still
   lacks, the regional reserve's lots (their ledger balance less what planned shipments already
   hold) and the pledged lots of national stockpiles and partners (never more than pledged nor
   than the lot holds), the transit days between the holders' countries and the requesting
   ones, and the teams and approved team requests. National and partner stock that nobody
   pledged is never allocated.
2. :func:`propose` solves it (the lexicographic optimum) beside first-come-first-served, and
   stores both as a *proposed* plan whose lines point back to lots and requests.
3. :func:`approve` re-checks every line against the ledger and the requests, then turns each
   line into a *planned* shipment to the requesting country's national stockpile; the other
   proposed plans are superseded. :func:`reject` closes a plan with a note.
4. A shipment is dispatched (:func:`dispatch`: the lot's ledger gives the quantity out),
   received (:func:`receive`: the quantity actually received comes into the destination's lot
   of the same number and expiry; a difference needs a discrepancy note) or cancelled while
   still planned (:func:`cancel`).

What a request "already has" counts the shipments of approved plans that are not cancelled
(their planned quantity, whatever was received). Stock "held" by a lot is the quantity of its
planned shipments: dispatched shipments have already left its ledger.

Every function authorises, audits and never commits: the caller's unit of work stores each
step whole, or nothing of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.analytics import allocation
from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources import ledger
from healthbridge.resources.models import (
    PLAN_STATUSES,
    SHIPMENT_STATUSES,
    AllocationPlan,
    Holder,
    Item,
    Lot,
    PlanDeployment,
    PlanLine,
    Pledge,
    ResourceRequest,
    Shipment,
    Team,
    TransitTime,
)

#: Pledges that may still be allocated.
OPEN_PLEDGE_STATUSES = ("offered", "accepted")
#: A team without an end of availability is taken as available until this day.
OPEN_END = dt.date(2999, 12, 31)
MAX_NOTE = 2000
MAX_TRACKING = 120
MAX_QUANTITY = ledger.MAX_QUANTITY
PLAN_SORTABLE = {
    "created_at": AllocationPlan.created_at,
    "status": AllocationPlan.status,
    "today": AllocationPlan.today,
}
SHIPMENT_SORTABLE = {
    "created_at": Shipment.created_at,
    "expected_on": Shipment.expected_on,
    "status": Shipment.status,
}

_REQUEST_ID = re.compile(r"req-(\d+)")
_TEAM_REQUEST_ID = re.compile(r"treq-(\d+)-\d+")
_TEAM_ID = re.compile(r"team-(\d+)")


def utc_today() -> dt.date:
    """Today's date in UTC."""
    return utcnow().date()


def national_holder_code(country: str) -> str:
    """The code of a country's national stockpile holder (``THA-NAT``)."""
    return f"{country}-NAT"


@dataclass(frozen=True)
class LotSource:
    """Where a lot of the problem comes from: a database lot, through a pledge or not."""

    lot_id: int
    holder_code: str
    pledge_id: int | None = None


@dataclass
class Built:
    """A problem and how its string ids map back to the database."""

    problem: dict[str, Any]
    sources: dict[str, LotSource] = field(default_factory=dict)

    @property
    def has_requests(self) -> bool:
        return bool(self.problem["requests"] or self.problem.get("team_requests"))

    @property
    def has_supply(self) -> bool:
        return bool(self.problem["lots"] or self.problem.get("teams"))


# -- quantities ----------------------------------------------------------------------------


def allocated_by_request(session: Session, request_ids: Iterable[int]) -> dict[int, int]:
    """What each request already has from approved plans: its shipments not cancelled."""
    wanted = list(dict.fromkeys(request_ids))
    found = dict.fromkeys(wanted, 0)
    if not wanted:
        return found
    rows = session.execute(
        select(Shipment.request_id, func.sum(Shipment.quantity))
        .where(Shipment.request_id.in_(wanted), Shipment.status != "cancelled")
        .group_by(Shipment.request_id)
    )
    found.update({request_id: int(total or 0) for request_id, total in rows})
    return found


def held_by_lot(session: Session, lot_ids: Iterable[int] | None = None) -> dict[int, int]:
    """What planned (approved, not yet dispatched) shipments hold of each lot."""
    query = (
        select(Shipment.lot_id, func.sum(Shipment.quantity))
        .where(Shipment.status == "planned")
        .group_by(Shipment.lot_id)
    )
    if lot_ids is not None:
        query = query.where(Shipment.lot_id.in_(list(lot_ids)))
    return {lot_id: int(total or 0) for lot_id, total in session.execute(query)}


def available(session: Session, lot_ids: Iterable[int]) -> dict[int, int]:
    """What each lot can still give: its ledger balance less its planned shipments."""
    wanted = list(dict.fromkeys(lot_ids))
    balances = ledger.balances(session, wanted)
    held = held_by_lot(session, wanted) if wanted else {}
    return {lot_id: balances[lot_id] - held.get(lot_id, 0) for lot_id in wanted}


def _shipped_by_lot(session: Session, lot_ids: list[int]) -> dict[int, int]:
    if not lot_ids:
        return {}
    rows = session.execute(
        select(Shipment.lot_id, func.sum(Shipment.quantity))
        .where(Shipment.lot_id.in_(lot_ids), Shipment.status != "cancelled")
        .group_by(Shipment.lot_id)
    )
    return {lot_id: int(total or 0) for lot_id, total in rows}


def _busy_team_ids(session: Session) -> set[int]:
    """Teams deployed by an approved plan to a request that is still approved."""
    rows = session.scalars(
        select(PlanDeployment.team_id)
        .join(AllocationPlan, AllocationPlan.id == PlanDeployment.plan_id)
        .join(ResourceRequest, ResourceRequest.id == PlanDeployment.request_id)
        .where(AllocationPlan.status == "approved", ResourceRequest.status == "approved")
    )
    return set(rows)


def _deployed_by_request(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(PlanDeployment.request_id, func.count(PlanDeployment.id))
        .join(AllocationPlan, AllocationPlan.id == PlanDeployment.plan_id)
        .where(AllocationPlan.status == "approved")
        .group_by(PlanDeployment.request_id)
    )
    return {request_id: int(count) for request_id, count in rows}


def _stamp(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")


# -- the problem ---------------------------------------------------------------------------


def build(session: Session, on: dt.date) -> Built:
    """The problem of the current situation on day ``on``, with its lot sources."""
    approved = list(
        session.scalars(
            select(ResourceRequest)
            .where(ResourceRequest.status == "approved")
            .order_by(ResourceRequest.requested_at, ResourceRequest.id)
        )
    )
    item_requests = [r for r in approved if r.kind == "item"]
    team_requests = [r for r in approved if r.kind == "team"]
    has = allocated_by_request(session, [r.id for r in item_requests])

    requests: list[dict[str, Any]] = []
    countries: set[str] = set()
    item_codes: set[str] = set()
    open_request_items: dict[int, str] = {}
    for r in item_requests:
        left = r.quantity - has[r.id]
        if left <= 0 or r.item_code is None:
            continue
        open_request_items[r.id] = r.item_code
        countries.add(r.country_code)
        item_codes.add(r.item_code)
        requests.append(
            {
                "id": f"req-{r.id}",
                "item": r.item_code,
                "country": r.country_code,
                "quantity": left,
                "priority": r.priority,
                "needed_by": r.needed_by.isoformat(),
                "requested_at": _stamp(r.requested_at),
            }
        )

    lots: list[dict[str, Any]] = []
    sources: dict[str, LotSource] = {}
    holders: set[str] = set()
    if item_codes:
        reserve = list(
            session.scalars(
                select(Lot)
                .join(Holder, Holder.code == Lot.holder_code)
                .where(Holder.kind == "regional_reserve", Lot.item_code.in_(sorted(item_codes)))
                .order_by(Lot.id)
            )
        )
        pledges = list(
            session.scalars(
                select(Pledge)
                .join(Lot, Lot.id == Pledge.lot_id)
                .join(Holder, Holder.code == Lot.holder_code)
                .where(
                    Pledge.status.in_(OPEN_PLEDGE_STATUSES),
                    Holder.kind != "regional_reserve",
                    Lot.item_code.in_(sorted(item_codes)),
                )
                .options(selectinload(Pledge.lot))
                .order_by(Pledge.pledged_at, Pledge.id)
            )
        )
        lot_ids = [lot.id for lot in reserve] + [p.lot_id for p in pledges if p.lot_id]
        free = available(session, lot_ids)
        for lot in reserve:
            quantity = min(free[lot.id], MAX_QUANTITY)
            if quantity <= 0:
                continue
            key = f"lot-{lot.id}"
            sources[key] = LotSource(lot.id, lot.holder_code)
            holders.add(lot.holder_code)
            lots.append(_lot(key, lot, quantity))
        # What was already shipped from a pledged lot used its pledges, oldest first.
        used = _shipped_by_lot(session, [p.lot_id for p in pledges if p.lot_id])
        for pledge in pledges:
            source_lot = pledge.lot
            if source_lot is None:
                continue
            pledged = pledge.quantity or 0
            spent = min(pledged, used.get(source_lot.id, 0))
            used[source_lot.id] = used.get(source_lot.id, 0) - spent
            quantity = min(pledged - spent, free[source_lot.id], MAX_QUANTITY)
            if quantity <= 0:
                continue
            if pledge.request_id is not None and (
                open_request_items.get(pledge.request_id) != source_lot.item_code
            ):
                continue  # bound to a request that needs nothing more (or another item)
            free[source_lot.id] -= quantity
            key = f"pledge-{pledge.id}"
            sources[key] = LotSource(source_lot.id, source_lot.holder_code, pledge.id)
            holders.add(source_lot.holder_code)
            entry = _lot(key, source_lot, quantity)
            if pledge.request_id is not None:
                entry["for_requests"] = [f"req-{pledge.request_id}"]
            lots.append(entry)

    teams: list[dict[str, Any]] = []
    wanted_teams: list[dict[str, Any]] = []
    if team_requests:
        deployed = _deployed_by_request(session)
        for r in team_requests:
            left = r.quantity - deployed.get(r.id, 0)
            if left <= 0 or r.team_type is None:
                continue
            countries.add(r.country_code)
            for n in range(1, left + 1):
                wanted_teams.append(
                    {
                        "id": f"treq-{r.id}-{n}",
                        "country": r.country_code,
                        "type": r.team_type,
                        "skills": sorted(r.skills or []),
                        "languages": sorted(r.languages or []),
                        "priority": r.priority,
                        "needed_from": r.needed_by.isoformat(),
                        "needed_until": (r.needed_until or r.needed_by).isoformat(),
                    }
                )
    if wanted_teams:
        busy = _busy_team_ids(session)
        pledged_team_ids = set(
            session.scalars(
                select(Pledge.team_id).where(
                    Pledge.team_id.is_not(None), Pledge.status.in_(OPEN_PLEDGE_STATUSES)
                )
            )
        )
        candidates = session.scalars(
            select(Team)
            .join(Holder, Holder.code == Team.holder_code)
            .where((Holder.kind == "regional_reserve") | Team.id.in_(sorted(pledged_team_ids)))
            .order_by(Team.id)
        )
        for team in candidates:
            if team.id in busy:
                continue
            until = team.available_until or OPEN_END
            if until < on:
                continue
            holders.add(team.holder_code)
            teams.append(
                {
                    "id": f"team-{team.id}",
                    "holder": team.holder_code,
                    "type": team.team_type,
                    "skills": sorted(team.skills or []),
                    "languages": sorted(team.languages or []),
                    "available_from": team.available_from.isoformat(),
                    "available_until": until.isoformat(),
                }
            )

    item_rows: Iterable[Item] = (
        session.scalars(select(Item).where(Item.code.in_(sorted(item_codes))).order_by(Item.code))
        if item_codes
        else []
    )
    problem: dict[str, Any] = {
        "today": on.isoformat(),
        "items": [
            {"id": item.code, "min_shelf_life_days": item.min_shelf_life_days} for item in item_rows
        ],
        "lots": lots,
        "requests": requests,
        "transit_days": _transit(session, holders, countries),
    }
    if wanted_teams:
        problem["teams"] = teams
        problem["team_requests"] = wanted_teams
    return Built(problem=problem, sources=sources)


def _lot(key: str, lot: Lot, quantity: int) -> dict[str, Any]:
    return {
        "id": key,
        "item": lot.item_code,
        "holder": lot.holder_code,
        "quantity": quantity,
        "expires_on": lot.expires_on.isoformat(),
    }


def _transit(session: Session, holders: set[str], countries: set[str]) -> dict[str, dict[str, int]]:
    """Days from each holder to each requesting country: the transit time between the holder's
    country and the requesting one (0 within a country; a missing pair is no route)."""
    if not holders or not countries:
        return {}
    where: dict[str, str] = {
        code: country
        for code, country in session.execute(
            select(Holder.code, Holder.country_code).where(Holder.code.in_(sorted(holders)))
        )
    }
    origins = set(where.values())
    days: dict[tuple[str, str], int] = {
        (origin, destination): d
        for origin, destination, d in session.execute(
            select(TransitTime.origin_code, TransitTime.destination_code, TransitTime.days).where(
                TransitTime.origin_code.in_(sorted(origins)),
                TransitTime.destination_code.in_(sorted(countries)),
            )
        )
    }
    transit: dict[str, dict[str, int]] = {}
    for holder in sorted(where):
        origin = where[holder]
        row: dict[str, int] = {}
        for country in sorted(countries):
            if country == origin:
                row[country] = 0
            elif (origin, country) in days:
                row[country] = days[(origin, country)]
        transit[holder] = row
    return transit


def build_problem(session: Session, today: dt.date) -> dict[str, Any]:
    """The ``problem.json`` document of the current situation on day ``today`` (see the
    module's docstring): approved requests with what they still lack, the reserve's and the
    pledged lots with what they can still give, transit days, teams and team requests.

    Lots are named ``lot-<id>`` (the regional reserve's) and ``pledge-<id>`` (a pledged lot);
    requests ``req-<id>``, teams ``team-<id>`` and team requests ``treq-<request id>-<n>`` (a
    request for several teams gives one team request per team). A pledge for one request
    carries ``for_requests``.
    """
    return build(session, today).problem


# -- proposing -----------------------------------------------------------------------------


def _engine_problem(built: Built) -> allocation.Problem:
    try:
        return allocation.parse_problem(built.problem)
    except allocation.ProblemError as error:
        raise Conflict(f"the allocation problem cannot be solved as stored: {error}") from None


def _request_id(key: str) -> int:
    match = _REQUEST_ID.fullmatch(key) or _TEAM_REQUEST_ID.fullmatch(key)
    if match is None:
        raise ValueError(f"not a request id of ours: {key!r}")
    return int(match.group(1))


def _team_id(key: str) -> int:
    match = _TEAM_ID.fullmatch(key)
    if match is None:
        raise ValueError(f"not a team id of ours: {key!r}")
    return int(match.group(1))


def propose(session: Session, actor: Principal, today: dt.date | None = None) -> AllocationPlan:
    """Solve the current situation and store the plan, *proposed*, beside first-come-first-served.

    Regional logistics only (``RESOURCE_APPROVE``). :class:`Conflict` when there is nothing to
    allocate (no approved request lacks anything, or nothing is held or pledged for them).
    """
    authorize(actor, Action.RESOURCE_APPROVE, object_type="allocation_plan")
    on = today or utc_today()
    built = build(session, on)
    if not built.has_requests:
        raise Conflict("nothing to allocate: no approved request is waiting for supplies or a team")
    if not built.has_supply:
        raise Conflict(
            "nothing to allocate: neither the regional reserve nor any open pledge holds "
            "stock or a team for the approved requests"
        )
    problem = _engine_problem(built)
    try:
        optimal = allocation.solve(problem)
    except allocation.SolverError as error:
        raise Conflict(f"the solver failed: {error}") from None
    baseline = allocation.fcfs(problem)
    document = allocation.plan_to_dict(problem, optimal, compare=baseline)
    summary: dict[str, Any] = dict(document["summary"])
    summary["allocations"] = document["allocations"]
    summary["deployments"] = document.get("deployments", [])
    summary["sources"] = {
        key: {"lot_id": s.lot_id, "holder": s.holder_code, "pledge_id": s.pledge_id}
        for key, s in built.sources.items()
    }
    summary["stage_seconds"] = {k: round(v, 3) for k, v in optimal.stage_seconds.items()}
    now = utcnow()
    plan = AllocationPlan(
        status="proposed",
        today=on,
        problem=built.problem,
        summary=summary,
        created_at=now,
        created_by=actor.actor_label,
    )
    for a in optimal.allocations:
        plan.lines.append(
            PlanLine(
                lot_id=built.sources[a.lot].lot_id,
                request_id=_request_id(a.request),
                quantity=a.quantity,
                arrives_on=a.arrives_on,
            )
        )
    for d in optimal.deployments:
        plan.deployments.append(
            PlanDeployment(
                team_id=_team_id(d.team),
                request_id=_request_id(d.team_request),
                arrives_on=d.arrives_on,
            )
        )
    session.add(plan)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="allocation.propose",
        object_type="allocation_plan",
        object_id=plan.id,
        detail={
            "today": on.isoformat(),
            "lines": len(plan.lines),
            "deployments": len(plan.deployments),
            "fill_rate": summary.get("fill_rate"),
            "fcfs_fill_rate": summary.get("fcfs", {}).get("summary", {}).get("fill_rate"),
        },
    )
    return plan


# -- reading plans -------------------------------------------------------------------------


def get_plan(session: Session, actor: Principal, plan_id: int) -> AllocationPlan:
    """One plan with its lines and deployments (:class:`NotFound` when there is none)."""
    authorize(actor, Action.RESOURCE_READ, object_type="allocation_plan", object_id=str(plan_id))
    plan = session.scalar(
        select(AllocationPlan)
        .where(AllocationPlan.id == plan_id)
        .options(
            selectinload(AllocationPlan.lines).selectinload(PlanLine.lot),
            selectinload(AllocationPlan.lines).selectinload(PlanLine.request),
            selectinload(AllocationPlan.deployments).selectinload(PlanDeployment.team),
            selectinload(AllocationPlan.deployments).selectinload(PlanDeployment.request),
        )
    )
    if plan is None:
        raise NotFound(f"no allocation plan {plan_id}")
    return plan


def list_plans(
    session: Session, actor: Principal, page: PageRequest, status: str | None = None
) -> tuple[list[AllocationPlan], int]:
    """Plans, newest first by default; ``status`` one of proposed, approved, rejected,
    superseded. ``sort`` by created_at, status or today."""
    authorize(actor, Action.RESOURCE_READ, object_type="allocation_plan")
    query = select(AllocationPlan)
    if status is not None:
        if status not in PLAN_STATUSES:
            raise Invalid(
                "invalid filter",
                errors=[FieldError("status", f"one of {', '.join(PLAN_STATUSES)}")],
            )
        query = query.where(AllocationPlan.status == status)
    return paginate(session, query, page, sortable=PLAN_SORTABLE, default_sort="-created_at")


# -- deciding ------------------------------------------------------------------------------


def _note(value: str | None, *, required: bool, name: str = "note") -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise Invalid("invalid decision", errors=[FieldError(name, "required: say why")])
    if len(text) > MAX_NOTE:
        raise Invalid(
            "invalid decision", errors=[FieldError(name, f"at most {MAX_NOTE} characters")]
        )
    return text or None


def _proposed(session: Session, plan_id: int) -> AllocationPlan:
    plan = session.scalar(
        select(AllocationPlan)
        .where(AllocationPlan.id == plan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if plan is None:
        raise NotFound(f"no allocation plan {plan_id}")
    if plan.status != "proposed":
        raise Conflict(f"plan {plan.id} is {plan.status}: only a proposed plan can be decided")
    return plan


def _line_label(line: PlanLine) -> str:
    lot = line.lot
    return (
        f"line {line.id} ({line.quantity} of lot {lot.lot_number} of {lot.item_code} at "
        f"{lot.holder_code} for request {line.request_id})"
    )


def _pledged_left(session: Session, lots: list[Lot]) -> dict[int, int]:
    """For each lot outside the regional reserve: what its open pledges still cover (pledged
    less what was already shipped from it). Reserve lots are not listed."""
    outside = sorted({lot.id for lot in lots if lot.holder.kind != "regional_reserve"})
    if not outside:
        return {}
    left = dict.fromkeys(outside, 0)
    rows = session.execute(
        select(Pledge.lot_id, func.sum(Pledge.quantity))
        .where(Pledge.lot_id.in_(outside), Pledge.status.in_(OPEN_PLEDGE_STATUSES))
        .group_by(Pledge.lot_id)
    )
    for lot_id, total in rows:
        if lot_id is not None:
            left[lot_id] = int(total or 0)
    for lot_id, shipped in _shipped_by_lot(session, outside).items():
        left[lot_id] -= shipped
    return left


def _check_lines(session: Session, plan: AllocationPlan) -> dict[int, str]:
    """The destination holder of each line's request; :class:`Conflict` naming the first line
    that can no longer be carried out (nothing is changed)."""
    lines = list(plan.lines)
    for lot_id in sorted({line.lot_id for line in lines}):
        ledger.lock_lot(session, lot_id)
    free = available(session, [line.lot_id for line in lines])
    needed: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = defaultdict(int)
    has = allocated_by_request(session, [line.request_id for line in lines])
    pledged = _pledged_left(session, [line.lot for line in lines])
    destinations: dict[int, str] = {}
    for line in lines:
        request = line.request
        label = _line_label(line)
        if request.status != "approved":
            raise Conflict(
                f"{label}: request {request.id} is now {request.status}, no longer approved",
                errors=[FieldError(f"lines[{line.id}]", f"request {request.status}")],
            )
        needed[line.lot_id] += line.quantity
        if needed[line.lot_id] > free[line.lot_id]:
            raise Conflict(
                f"{label}: the lot can now give only {max(free[line.lot_id], 0)} "
                f"of the {needed[line.lot_id]} the plan takes from it",
                errors=[FieldError(f"lines[{line.id}]", "not enough stock left in the lot")],
            )
        if line.lot_id in pledged and needed[line.lot_id] > pledged[line.lot_id]:
            raise Conflict(
                f"{label}: the open pledges of the lot now cover only "
                f"{max(pledged[line.lot_id], 0)} of the {needed[line.lot_id]} the plan takes",
                errors=[FieldError(f"lines[{line.id}]", "pledge withdrawn or declined")],
            )
        asked[request.id] += line.quantity
        if asked[request.id] + has[request.id] > request.quantity:
            raise Conflict(
                f"{label}: request {request.id} would get more than the {request.quantity} "
                "it asked for",
                errors=[FieldError(f"lines[{line.id}]", "request already served")],
            )
        code = national_holder_code(request.country_code)
        if session.get(Holder, code) is None:
            raise Conflict(
                f"{label}: {request.country_code} has no national stockpile holder {code} "
                "to receive it",
                errors=[FieldError(f"lines[{line.id}]", f"no holder {code}")],
            )
        destinations[line.id] = code
    return destinations


def create_shipment(session: Session, line: PlanLine, destination: str) -> Shipment:
    """The planned shipment of a plan line (arriving when the plan said)."""
    shipment = Shipment(
        plan_line_id=line.id,
        lot_id=line.lot_id,
        request_id=line.request_id,
        destination_holder_code=destination,
        quantity=line.quantity,
        status="planned",
        expected_on=line.arrives_on,
        created_at=utcnow(),
    )
    session.add(shipment)
    session.flush()
    return shipment


def approve(session: Session, actor: Principal, plan_id: int, note: str | None) -> AllocationPlan:
    """Approve a proposed plan: every line becomes a planned shipment to the requesting
    country's national stockpile, and the other proposed plans are superseded.

    :class:`Conflict` (naming the line, nothing changed) when a lot no longer holds what its
    lines take, or a request is no longer approved; for a plan that is not proposed.
    """
    authorize(actor, Action.RESOURCE_APPROVE, object_type="allocation_plan", object_id=str(plan_id))
    text = _note(note, required=False)
    # Every proposed plan is locked, in id order, before anything else: two approvals at once
    # then run one after the other (the second finds its plan superseded) instead of deadlocking.
    session.execute(
        select(AllocationPlan.id)
        .where(AllocationPlan.status == "proposed")
        .order_by(AllocationPlan.id)
        .with_for_update()
    ).all()
    plan = _proposed(session, plan_id)
    destinations = _check_lines(session, plan)
    shipments = [create_shipment(session, line, destinations[line.id]) for line in plan.lines]
    now = utcnow()
    plan.status = "approved"
    plan.decided_at = now
    plan.decided_by = actor.actor_label
    plan.decision_note = text
    others = session.scalars(
        select(AllocationPlan).where(
            AllocationPlan.status == "proposed", AllocationPlan.id != plan.id
        )
    )
    superseded = []
    for other in others:
        other.status = "superseded"
        other.decided_at = now
        other.decided_by = actor.actor_label
        other.decision_note = f"superseded by plan {plan.id}"
        superseded.append(other.id)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="allocation.approve",
        object_type="allocation_plan",
        object_id=plan.id,
        detail={"shipments": [s.id for s in shipments], "superseded": superseded},
    )
    return plan


def reject(session: Session, actor: Principal, plan_id: int, note: str | None) -> AllocationPlan:
    """Reject a proposed plan, saying why (``note`` required)."""
    authorize(actor, Action.RESOURCE_APPROVE, object_type="allocation_plan", object_id=str(plan_id))
    text = _note(note, required=True)
    plan = _proposed(session, plan_id)
    plan.status = "rejected"
    plan.decided_at = utcnow()
    plan.decided_by = actor.actor_label
    plan.decision_note = text
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="allocation.reject",
        object_type="allocation_plan",
        object_id=plan.id,
        detail={"note": text},
    )
    return plan


# -- shipments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipmentFilter:
    """Which shipments a list shows."""

    status: str | None = None
    #: The requesting (destination) country.
    country: str | None = None
    item: str | None = None
    plan: int | None = None


def _shipment_query() -> Select[Any]:
    return select(Shipment).options(
        selectinload(Shipment.lot).selectinload(Lot.item),
        selectinload(Shipment.request),
    )


def list_shipments(
    session: Session, actor: Principal, values: ShipmentFilter, page: PageRequest
) -> tuple[list[Shipment], int]:
    """Shipments, soonest expected first by default. ``sort`` by created_at, expected_on or
    status (``-`` for descending)."""
    authorize(actor, Action.RESOURCE_READ, object_type="shipment")
    if values.status is not None and values.status not in SHIPMENT_STATUSES:
        raise Invalid(
            "invalid filter",
            errors=[FieldError("status", f"one of {', '.join(SHIPMENT_STATUSES)}")],
        )
    query = _shipment_query()
    if values.country is not None or values.item is not None:
        query = query.join(ResourceRequest, ResourceRequest.id == Shipment.request_id)
        if values.country is not None:
            query = query.where(ResourceRequest.country_code == values.country.upper())
        if values.item is not None:
            query = query.where(ResourceRequest.item_code == values.item)
    if values.status is not None:
        query = query.where(Shipment.status == values.status)
    if values.plan is not None:
        query = query.join(PlanLine, PlanLine.id == Shipment.plan_line_id).where(
            PlanLine.plan_id == values.plan
        )
    return paginate(session, query, page, sortable=SHIPMENT_SORTABLE, default_sort="expected_on")


def get_shipment(session: Session, actor: Principal, shipment_id: int) -> Shipment:
    """One shipment (:class:`NotFound` when there is none)."""
    authorize(actor, Action.RESOURCE_READ, object_type="shipment", object_id=str(shipment_id))
    shipment = session.scalar(_shipment_query().where(Shipment.id == shipment_id))
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}")
    return shipment


def plans_of(session: Session, shipments: Iterable[Shipment]) -> dict[int, int]:
    """The plan each shipment comes from: shipment id → plan id."""
    by_line = {s.plan_line_id: s.id for s in shipments if s.plan_line_id is not None}
    if not by_line:
        return {}
    rows = session.execute(
        select(PlanLine.id, PlanLine.plan_id).where(PlanLine.id.in_(list(by_line)))
    )
    return {by_line[line_id]: plan_id for line_id, plan_id in rows}


def _locked_shipment(session: Session, shipment_id: int) -> Shipment:
    shipment = session.scalar(
        select(Shipment)
        .where(Shipment.id == shipment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}")
    return shipment


def _state(shipment: Shipment, wanted: str, doing: str) -> None:
    if shipment.status != wanted:
        raise Conflict(
            f"shipment {shipment.id} is {shipment.status}: only a {wanted} shipment can be {doing}"
        )


def _audit_shipment(
    session: Session,
    actor: Principal,
    action: str,
    shipment: Shipment,
    country: str,
    detail: dict[str, Any],
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=f"shipment.{action}",
        object_type="shipment",
        object_id=shipment.id,
        country=country,
        detail={"lot_id": shipment.lot_id, "request_id": shipment.request_id, **detail},
    )


def dispatch(
    session: Session, actor: Principal, shipment_id: int, tracking: str | None
) -> Shipment:
    """Dispatch a planned shipment: the lot's ledger gives the quantity out (``transfer_out``).

    By whoever manages the source holder's shipments (``SHIPMENT_MANAGE``: its country's
    logistics officers for a national stockpile, regional ones otherwise).
    """
    shipment = _locked_shipment(session, shipment_id)
    source = ledger.lock_lot(session, shipment.lot_id)
    ledger.authorize_holder(actor, source.holder, Action.SHIPMENT_MANAGE)
    reference = (tracking or "").strip() or None
    if reference is not None and len(reference) > MAX_TRACKING:
        raise Invalid(
            "invalid dispatch",
            errors=[FieldError("tracking", f"at most {MAX_TRACKING} characters")],
        )
    _state(shipment, "planned", "dispatched")
    ledger.record(
        session=session,
        actor=actor,
        lot_id=source.id,
        kind="transfer_out",
        quantity=-shipment.quantity,
        reference=reference,
        shipment_id=shipment.id,
        check_access=False,
    )
    shipment.status = "dispatched"
    shipment.tracking = reference
    shipment.dispatched_at = utcnow()
    shipment.dispatched_by = actor.actor_label
    session.flush()
    _audit_shipment(
        session,
        actor,
        "dispatch",
        shipment,
        source.holder.country_code,
        {"quantity": shipment.quantity, "tracking": reference},
    )
    return shipment


def receive(
    session: Session,
    actor: Principal,
    shipment_id: int,
    quantity_received: int,
    note: str | None,
) -> Shipment:
    """Receive a dispatched shipment at its destination: the quantity actually received comes
    into the destination's lot of the same number and expiry (``transfer_in``).

    By the destination country's logistics officers (or regional ones). A quantity other than
    the one shipped needs a ``discrepancy_note`` (:class:`Invalid` naming it).
    """
    shipment = _locked_shipment(session, shipment_id)
    destination = session.get(Holder, shipment.destination_holder_code)
    if destination is None:  # pragma: no cover - a foreign key
        raise NotFound(f"no holder {shipment.destination_holder_code}")
    ledger.authorize_holder(actor, destination, Action.SHIPMENT_MANAGE)
    _state(shipment, "dispatched", "received")
    errors: list[FieldError] = []
    if (
        isinstance(quantity_received, bool)
        or not isinstance(quantity_received, int)
        or not 0 <= quantity_received <= MAX_QUANTITY
    ):
        errors.append(FieldError("quantity_received", f"a whole number from 0 to {MAX_QUANTITY}"))
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        errors.append(FieldError("discrepancy_note", f"at most {MAX_NOTE} characters"))
    if not errors and quantity_received != shipment.quantity and text is None:
        errors.append(
            FieldError(
                "discrepancy_note",
                f"required: {quantity_received} received of the {shipment.quantity} shipped; "
                "say what differed (damaged, short, excess)",
            )
        )
    if errors:
        raise Invalid("invalid receipt", errors=errors)
    source = shipment.lot
    target = ledger.find_or_create_lot(
        session=session,
        holder_code=destination.code,
        item_code=source.item_code,
        lot_number=source.lot_number,
        expires_on=source.expires_on,
    )
    if quantity_received > 0:
        ledger.record(
            session=session,
            actor=actor,
            lot_id=target.id,
            kind="transfer_in",
            quantity=quantity_received,
            reference=shipment.tracking,
            shipment_id=shipment.id,
            check_access=False,
        )
    shipment.status = "received"
    shipment.quantity_received = quantity_received
    shipment.discrepancy_note = text
    shipment.received_at = utcnow()
    shipment.received_by = actor.actor_label
    shipment.received_lot_id = target.id
    session.flush()
    _audit_shipment(
        session,
        actor,
        "receive",
        shipment,
        destination.country_code,
        {
            "quantity": shipment.quantity,
            "quantity_received": quantity_received,
            "discrepancy": quantity_received - shipment.quantity,
        },
    )
    return shipment


def cancel(session: Session, actor: Principal, shipment_id: int, note: str | None) -> Shipment:
    """Cancel a planned shipment (its stock is free again, and its request lacks it again).

    By whoever manages the source holder's shipments; only before dispatch (:class:`Conflict`).
    """
    shipment = _locked_shipment(session, shipment_id)
    source = shipment.lot
    ledger.authorize_holder(actor, source.holder, Action.SHIPMENT_MANAGE)
    text = _note(note, required=False)
    _state(shipment, "planned", "cancelled")
    shipment.status = "cancelled"
    session.flush()
    _audit_shipment(session, actor, "cancel", shipment, source.holder.country_code, {"note": text})
    return shipment
