"""Demo allocation: one plan proposed from the demo's approved requests and approved, two of
its shipments dispatched and one of those received with a discrepancy ("an approved plan in
transit"). Loaded after the catalogue's and the requests' demos; idempotent (nothing is done
once any plan exists)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.errors import Conflict
from healthbridge.policy import Principal
from healthbridge.resources import plans
from healthbridge.resources.models import AllocationPlan, PlanLine, Shipment

#: How many of the plan's shipments the demo dispatches.
DISPATCHED = 2


def load_demo(*, session: Session, actor: Principal) -> None:
    """Propose and approve a plan, dispatch some shipments and receive one short (``actor``
    acts for the region). Does nothing when a plan exists or nothing can be allocated."""
    if session.scalar(select(AllocationPlan.id).limit(1)) is not None:
        return
    try:
        plan = plans.propose(session, actor)
    except Conflict:
        return
    plans.approve(
        session, actor, plan.id, "Demo: agreed at the regional logistics coordination call"
    )
    shipments = list(
        session.scalars(
            select(Shipment)
            .join(PlanLine, PlanLine.id == Shipment.plan_line_id)
            .where(PlanLine.plan_id == plan.id)
            .order_by(Shipment.id)
        )
    )
    for index, shipment in enumerate(shipments[:DISPATCHED]):
        plans.dispatch(session, actor, shipment.id, f"DEMO-AWB-{shipment.id:05d}")
        if index == 0:
            short = max(1, shipment.quantity // 20)
            plans.receive(
                session,
                actor,
                shipment.id,
                shipment.quantity - short,
                f"Demo: {short} unit{'s' if short != 1 else ''} damaged in transit",
            )
