"""API: allocation plans (run an allocation, read it beside first-come-first-served, approve or
reject it) and the shipments that carry an approved plan out (dispatch, receive, cancel).

Read by every signed-in role of the region (``RESOURCE_READ``); plans are run and decided by
regional logistics (``RESOURCE_APPROVE``); shipments are moved by the logistics officers of the
holder they leave or the country they reach (``SHIPMENT_MANAGE``). Every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.resources import plans as service
from healthbridge.resources.models import AllocationPlan, Shipment
from healthbridge.resources.plan_schemas import (
    PlanDecision,
    PlanDeploymentRead,
    PlanLineRead,
    PlanPage,
    PlanRead,
    PlanSummaryRead,
    ShipmentCancel,
    ShipmentDispatch,
    ShipmentPage,
    ShipmentRead,
    ShipmentReceive,
)

router = APIRouter(tags=["resources"])
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
Approver = Annotated[Principal, Depends(Allow(Action.RESOURCE_APPROVE))]
Shipper = Annotated[Principal, Depends(Allow(Action.SHIPMENT_MANAGE))]


def plan_summary(plan: AllocationPlan) -> PlanSummaryRead:
    """A plan without its lines, with the fill rates of both methods."""
    summary = plan.summary or {}
    return PlanSummaryRead(
        id=plan.id,
        status=plan.status,
        today=plan.today,
        created_at=plan.created_at,
        created_by=plan.created_by,
        decided_at=plan.decided_at,
        decided_by=plan.decided_by,
        decision_note=plan.decision_note,
        fill_rate=summary.get("fill_rate"),
        fcfs_fill_rate=(summary.get("fcfs") or {}).get("summary", {}).get("fill_rate"),
    )


def plan_read(plan: AllocationPlan) -> PlanRead:
    """A plan with its problem, summary, lines and deployments."""
    return PlanRead(
        **plan_summary(plan).model_dump(),
        problem=plan.problem,
        summary=plan.summary,
        lines=[
            PlanLineRead(
                id=line.id,
                lot_id=line.lot_id,
                lot_number=line.lot.lot_number,
                holder_code=line.lot.holder_code,
                item_code=line.lot.item_code,
                request_id=line.request_id,
                country_code=line.request.country_code,
                quantity=line.quantity,
                arrives_on=line.arrives_on,
            )
            for line in plan.lines
        ],
        deployments=[
            PlanDeploymentRead(
                id=d.id,
                team_id=d.team_id,
                team_code=d.team.code,
                request_id=d.request_id,
                country_code=d.request.country_code,
                arrives_on=d.arrives_on,
            )
            for d in plan.deployments
        ],
    )


def shipment_reads(session: Session, shipments: list[Shipment]) -> list[ShipmentRead]:
    """Shipments as the API shows them, with their plan, lot, item and countries."""
    plan_ids = service.plans_of(session, shipments)
    return [
        ShipmentRead(
            id=s.id,
            plan_id=plan_ids.get(s.id),
            plan_line_id=s.plan_line_id,
            lot_id=s.lot_id,
            lot_number=s.lot.lot_number,
            item_code=s.lot.item_code,
            source_holder_code=s.lot.holder_code,
            request_id=s.request_id,
            country_code=s.request.country_code,
            destination_holder_code=s.destination_holder_code,
            quantity=s.quantity,
            status=s.status,
            expected_on=s.expected_on,
            tracking=s.tracking,
            created_at=s.created_at,
            dispatched_at=s.dispatched_at,
            dispatched_by=s.dispatched_by,
            received_at=s.received_at,
            received_by=s.received_by,
            quantity_received=s.quantity_received,
            discrepancy_note=s.discrepancy_note,
            received_lot_id=s.received_lot_id,
        )
        for s in shipments
    ]


def _one_shipment(session: Session, actor: Principal, shipment_id: int) -> ShipmentRead:
    session.expire_all()
    return shipment_reads(session, [service.get_shipment(session, actor, shipment_id)])[0]


@router.post(
    "/resources/plans",
    response_model=PlanRead,
    status_code=201,
    summary="Run an allocation: propose a plan for the approved requests",
    description="Builds the current problem (approved requests and what they still lack, the "
    "regional reserve's and the pledged lots with what they can still give, transit times, "
    "teams), solves it lexicographically and first-come-first-served, and stores the plan as "
    "`proposed`. 409 when there is nothing to allocate. Regional logistics only. Audited.",
)
def propose(session: SessionDep, actor: Approver) -> PlanRead:
    plan = service.propose(session, actor)
    return plan_read(service.get_plan(session, actor, plan.id))


@router.get(
    "/resources/plans",
    response_model=PlanPage,
    summary="Allocation plans, newest first",
    description="`status`: proposed, approved, rejected or superseded. `sort`: created_at "
    "(default `-created_at`), status, today; `-` for descending.",
)
def list_plans(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12, description="e.g. approved")] = None,
) -> PlanPage:
    rows, total = service.list_plans(session, actor, page, status=status)
    add_link_header(request, response, page, total)
    return PlanPage(
        items=[plan_summary(p) for p in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/resources/plans/{plan_id}",
    response_model=PlanRead,
    summary="One allocation plan beside first-come-first-served",
    description="The problem as solved, the lines and deployments, and the summary: objective "
    "values, fill rates per country, item and priority, and under `summary.fcfs` the "
    "first-come-first-served allocations and summary.",
)
def get_plan(session: SessionDep, actor: Reader, plan_id: int) -> PlanRead:
    return plan_read(service.get_plan(session, actor, plan_id))


@router.post(
    "/resources/plans/{plan_id}/decision",
    response_model=PlanRead,
    summary="Approve or reject a proposed plan",
    description="`approve`: every line is re-checked against the ledger (balance less planned "
    "shipments) and the requests (still approved), then becomes a planned shipment to the "
    "requesting country's national stockpile; other proposed plans are superseded; 409 naming "
    "the line when one can no longer be carried out (nothing changes). `reject` needs a `note`. "
    "Only a proposed plan (409 otherwise). Regional logistics only. Audited.",
)
def decide(session: SessionDep, actor: Approver, plan_id: int, decision: PlanDecision) -> PlanRead:
    if decision.decision == "approve":
        service.approve(session, actor, plan_id, decision.note)
    else:
        service.reject(session, actor, plan_id, decision.note)
    session.expire_all()
    return plan_read(service.get_plan(session, actor, plan_id))


@router.get(
    "/resources/shipments",
    response_model=ShipmentPage,
    summary="Shipments of approved plans",
    description="Filters: `status` (planned, dispatched, received, cancelled), `country` (the "
    "requesting one), `item`, `plan`. `sort`: expected_on (default), created_at, status; `-` "
    "for descending.",
)
def list_shipments(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12, description="e.g. dispatched")] = None,
    country: Annotated[str | None, Query(max_length=3, description="Requesting country")] = None,
    item: Annotated[str | None, Query(max_length=60, description="Item code")] = None,
    plan: Annotated[int | None, Query(ge=1, description="Plan id")] = None,
) -> ShipmentPage:
    rows, total = service.list_shipments(
        session,
        actor,
        service.ShipmentFilter(status=status, country=country, item=item, plan=plan),
        page,
    )
    add_link_header(request, response, page, total)
    return ShipmentPage(
        items=shipment_reads(session, rows), total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/resources/shipments/{shipment_id}", response_model=ShipmentRead, summary="One shipment"
)
def get_shipment(session: SessionDep, actor: Reader, shipment_id: int) -> ShipmentRead:
    return shipment_reads(session, [service.get_shipment(session, actor, shipment_id)])[0]


@router.post(
    "/resources/shipments/{shipment_id}/dispatch",
    response_model=ShipmentRead,
    summary="Dispatch a planned shipment",
    description="The source lot's ledger gives the quantity out (`transfer_out`; 409 when it "
    "no longer holds it). By the source holder's logistics officers (a national stockpile's "
    "country, regional ones for the reserve and partners). 409 unless planned. Audited.",
)
def dispatch(
    session: SessionDep, actor: Shipper, shipment_id: int, body: ShipmentDispatch
) -> ShipmentRead:
    service.dispatch(session, actor, shipment_id, body.tracking)
    return _one_shipment(session, actor, shipment_id)


@router.post(
    "/resources/shipments/{shipment_id}/receive",
    response_model=ShipmentRead,
    summary="Receive a dispatched shipment",
    description="The quantity actually received goes into the destination's lot of the same "
    "number and expiry (`transfer_in`); a different quantity needs a `discrepancy_note` (422). "
    "By the destination country's logistics officers. 409 unless dispatched. Audited.",
)
def receive(
    session: SessionDep, actor: Shipper, shipment_id: int, body: ShipmentReceive
) -> ShipmentRead:
    service.receive(session, actor, shipment_id, body.quantity_received, body.discrepancy_note)
    return _one_shipment(session, actor, shipment_id)


@router.post(
    "/resources/shipments/{shipment_id}/cancel",
    response_model=ShipmentRead,
    summary="Cancel a planned shipment",
    description="Its stock is free again and its request lacks it again. 409 unless planned. "
    "Audited.",
)
def cancel(
    session: SessionDep, actor: Shipper, shipment_id: int, body: ShipmentCancel
) -> ShipmentRead:
    service.cancel(session, actor, shipment_id, body.note)
    return _one_shipment(session, actor, shipment_id)
