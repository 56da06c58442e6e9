"""Pages of allocation plans and shipments: the list of plans with "run an allocation", a plan
beside first-come-first-served (objective values, fill rates per country and item as a grouped
bar chart and tables, the lines) with the approve / reject form, and shipment tracking with the
dispatch, receive and cancel forms.

A refused form shows the page again with what was wrong and what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.errors import Conflict, FieldError, Forbidden, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.resources import ledger
from healthbridge.resources import plans as service
from healthbridge.resources.models import (
    PLAN_STATUSES,
    PRIORITIES,
    SHIPMENT_STATUSES,
    AllocationPlan,
    Holder,
    Lot,
    Shipment,
)
from healthbridge.resources.plans import MAX_NOTE, MAX_TRACKING
from healthbridge.resources.request_pages import PRIORITY_LABELS
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
Approver = Annotated[Principal, Depends(Allow(Action.RESOURCE_APPROVE))]
Shipper = Annotated[Principal, Depends(Allow(Action.SHIPMENT_MANAGE))]
Note = Annotated[str, Form(max_length=MAX_NOTE)]

PLAN_LABELS = {
    "proposed": N_("Proposed"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "superseded": N_("Superseded"),
}
SHIPMENT_LABELS = {
    "planned": N_("Planned"),
    "dispatched": N_("Dispatched (in transit)"),
    "received": N_("Received"),
    "cancelled": N_("Cancelled"),
}
#: The objective values shown side by side: (summary key, label, better when higher).
OBJECTIVES = (
    ("priority_weighted_quantity", N_("Priority-weighted quantity delivered"), True),
    ("delivered", N_("Units delivered"), True),
    ("fill_rate", N_("Overall fill rate"), True),
    ("unmet_critical", N_("Unmet critical need (units)"), False),
    ("lateness_unit_days", N_("Lateness past needed-by (unit-days)"), False),
    (
        "fefo_unit_days",
        N_("Shelf life used up (unit-days; lower ships older lots first)"),
        False,
    ),
)


def may_approve(actor: Principal) -> bool:
    """Whether ``actor`` runs and decides allocations."""
    return is_allowed(actor, Action.RESOURCE_APPROVE)


def may_ship(actor: Principal, holder: Holder) -> bool:
    """Whether ``actor`` moves shipments leaving (or reaching) ``holder``."""
    try:
        ledger.authorize_holder(actor, holder, Action.SHIPMENT_MANAGE)
    except Forbidden:
        return False
    return True


# -- plans -----------------------------------------------------------------------------------


def _plans_context(
    session: Session, actor: Principal, page: PageRequest, status: str | None, **extra: Any
) -> dict[str, Any]:
    if status is not None and status not in PLAN_STATUSES:
        status = None
    rows, total = service.list_plans(session, actor, page, status=status)
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "status": status,
        "statuses": PLAN_STATUSES,
        "labels": PLAN_LABELS,
        "can_approve": may_approve(actor),
        "errors": [],
        "detail": None,
        **extra,
    }


@router.get("/resources/plans", response_class=HTMLResponse)
def plans_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    return render(request, "resources/plan_list.html", _plans_context(session, actor, page, status))


@router.post("/resources/plans", response_class=HTMLResponse)
def run_allocation(request: Request, session: SessionDep, actor: Approver) -> Response:
    try:
        plan = service.propose(session, actor)
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _plans_context(
            session, actor, PageRequest(), None, errors=refused.errors, detail=refused.detail
        )
        return render(request, "resources/plan_list.html", context, status_code=refused.status)
    return RedirectResponse(f"/resources/plans/{plan.id}", status_code=303)


def _rate(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _objectives(summary: dict[str, Any]) -> dict[str, Any]:
    found = dict(summary.get("objectives") or {})
    found["delivered"] = summary.get("delivered")
    found["fill_rate"] = summary.get("fill_rate")
    found["unmet_critical"] = (summary.get("unmet_by_priority") or {}).get("critical")
    return found


def _side_by_side(summary: dict[str, Any], key: str) -> list[dict[str, Any]]:
    optimal = summary.get(key) or {}
    fcfs = ((summary.get("fcfs") or {}).get("summary") or {}).get(key) or {}
    rows = []
    for code in sorted(set(optimal) | set(fcfs)):
        mine = optimal.get(code) or {}
        theirs = fcfs.get(code) or {}
        rows.append(
            {
                "code": code,
                "requested": mine.get("requested", theirs.get("requested")),
                "optimal": mine.get("delivered"),
                "optimal_rate": _rate(mine.get("fill_rate")),
                "fcfs": theirs.get("delivered"),
                "fcfs_rate": _rate(theirs.get("fill_rate")),
            }
        )
    return rows


def _figure(rows: list[dict[str, Any]], axis: str) -> dict[str, Any]:
    """A Plotly grouped bar of fill rates (%), optimal beside first-come-first-served."""
    categories = [r["code"] for r in rows]

    def percent(value: float | None) -> float | None:
        return None if value is None else round(100 * value, 1)

    return {
        "data": [
            {
                "type": "bar",
                "name": gettext("Optimal plan"),
                "x": categories,
                "y": [percent(r["optimal_rate"]) for r in rows],
            },
            {
                "type": "bar",
                "name": gettext("First come, first served"),
                "x": categories,
                "y": [percent(r["fcfs_rate"]) for r in rows],
            },
        ],
        "layout": {
            "barmode": "group",
            "margin": {"t": 24, "r": 16, "b": 64, "l": 56},
            "xaxis": {"title": {"text": gettext(axis)}},
            "yaxis": {"title": {"text": gettext("Fill rate (%)")}, "range": [0, 105]},
            "legend": {"orientation": "h", "y": 1.15},
            "font": {"family": "system-ui, sans-serif"},
        },
    }


def _day(value: Any) -> dt.date | Any:
    """An ISO date of a stored summary as a date (to be shown in the reader's language)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _fcfs_lines(session: Session, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The first-come-first-served allocations with their lots' numbers and holders."""
    sources: dict[str, Any] = summary.get("sources") or {}
    allocations = ((summary.get("fcfs") or {}).get("allocations")) or []
    lot_ids = {int(s["lot_id"]) for s in sources.values() if isinstance(s, dict)}
    lots = (
        {lot.id: lot for lot in session.scalars(select(Lot).where(Lot.id.in_(sorted(lot_ids))))}
        if lot_ids
        else {}
    )
    rows = []
    for a in allocations:
        source = sources.get(a.get("lot")) or {}
        lot = lots.get(source.get("lot_id", -1))
        rows.append(
            {
                "item": lot.item_code if lot else "",
                "lot": lot.lot_number if lot else a.get("lot"),
                "holder": source.get("holder", ""),
                "request": str(a.get("request", "")).removeprefix("req-"),
                "quantity": a.get("quantity"),
                "arrives_on": _day(a.get("arrives_on")),
            }
        )
    return rows


def _plan_context(session: Session, actor: Principal, plan_id: int, **extra: Any) -> dict[str, Any]:
    plan: AllocationPlan = service.get_plan(session, actor, plan_id)
    summary = plan.summary or {}
    fcfs_summary = (summary.get("fcfs") or {}).get("summary") or {}
    by_country = _side_by_side(summary, "by_country")
    by_item = _side_by_side(summary, "by_item")
    by_priority = [row for row in _side_by_side(summary, "by_priority") if row["requested"]]
    by_priority.sort(key=lambda r: PRIORITIES.index(r["code"]) if r["code"] in PRIORITIES else 9)
    return {
        "plan": plan,
        "fcfs_lines": _fcfs_lines(session, summary),
        "labels": PLAN_LABELS,
        "priority_labels": PRIORITY_LABELS,
        "country_names": geography.country_names(session=session, actor=actor),
        "objectives": OBJECTIVES,
        "optimal": _objectives(summary),
        "fcfs": _objectives(fcfs_summary),
        "by_country": by_country,
        "by_item": by_item,
        "by_priority": by_priority,
        "country_figure": _figure(by_country, N_("Requesting country")),
        "item_figure": _figure(by_item, N_("Item")),
        "teams": summary.get("teams"),
        "can_decide": plan.status == "proposed" and may_approve(actor),
        "errors": [],
        "detail": None,
        "form": {},
        **extra,
    }


@router.get("/resources/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, session: SessionDep, actor: Reader, plan_id: int) -> Response:
    return render(request, "resources/plan_show.html", _plan_context(session, actor, plan_id))


@router.post("/resources/plans/{plan_id}/decision", response_class=HTMLResponse)
def decide_from_form(
    request: Request,
    session: SessionDep,
    actor: Approver,
    plan_id: int,
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Note = "",
) -> Response:
    try:
        if decision == "approve":
            service.approve(session, actor, plan_id, note)
        elif decision == "reject":
            service.reject(session, actor, plan_id, note)
        else:
            raise Invalid("invalid decision", errors=[FieldError("decision", "approve or reject")])
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _plan_context(
            session,
            actor,
            plan_id,
            errors=refused.errors,
            detail=refused.detail,
            form={"decision": decision, "note": note},
        )
        return render(request, "resources/plan_show.html", context, status_code=refused.status)
    if decision == "approve":
        return RedirectResponse(f"/resources/shipments?plan={plan_id}", status_code=303)
    return RedirectResponse(f"/resources/plans/{plan_id}", status_code=303)


# -- shipments -------------------------------------------------------------------------------


def _shipments_context(
    session: Session,
    actor: Principal,
    page: PageRequest,
    filters: service.ShipmentFilter,
    **extra: Any,
) -> dict[str, Any]:
    errors: list[FieldError] = []
    try:
        rows, total = service.list_shipments(session, actor, filters, page)
    except Invalid as refused:
        errors = list(refused.errors)
        filters = service.ShipmentFilter()
        rows, total = service.list_shipments(session, actor, filters, page)
    holders = {h.code: h for h in session.scalars(select(Holder))}
    plan_ids = service.plans_of(session, rows)
    actions: dict[int, str | None] = {}
    for s in rows:
        action = None
        if s.status == "planned" and may_ship(actor, holders[s.lot.holder_code]):
            action = "dispatch"
        elif s.status == "dispatched" and may_ship(actor, holders[s.destination_holder_code]):
            action = "receive"
        actions[s.id] = action
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "filters": filters,
        "statuses": SHIPMENT_STATUSES,
        "labels": SHIPMENT_LABELS,
        "plan_ids": plan_ids,
        "actions": actions,
        "errors": [*errors, *extra.pop("errors", [])],
        "detail": extra.pop("detail", None),
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/resources/shipments", response_class=HTMLResponse)
def shipments_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    item: Annotated[str | None, Query(max_length=60)] = None,
    plan: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    plan_id = int(plan) if plan and plan.strip().isdigit() else None
    filters = service.ShipmentFilter(
        status=status or None, country=country or None, item=item or None, plan=plan_id
    )
    context = _shipments_context(session, actor, page, filters)
    return render(request, "resources/shipment_list.html", context)


def _shipment_refused(
    request: Request,
    session: Session,
    actor: Principal,
    refused: Invalid | Conflict,
    shipment_id: int,
    form: dict[str, Any],
) -> Response:
    session.rollback()
    context = _shipments_context(
        session,
        actor,
        PageRequest(),
        service.ShipmentFilter(),
        errors=refused.errors,
        detail=refused.detail,
        failed=shipment_id,
        form=form,
    )
    return render(request, "resources/shipment_list.html", context, status_code=refused.status)


def _shipment_done(shipment: Shipment) -> Response:
    return RedirectResponse(f"/resources/shipments#shipment-{shipment.id}", status_code=303)


def _whole(value: str, field: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise Invalid("invalid receipt", errors=[FieldError(field, "a whole number, 0 or more")])
    return int(text)


@router.post("/resources/shipments/{shipment_id}/dispatch", response_class=HTMLResponse)
def dispatch_from_form(
    request: Request,
    session: SessionDep,
    actor: Shipper,
    shipment_id: int,
    tracking: Annotated[str, Form(max_length=MAX_TRACKING)] = "",
) -> Response:
    try:
        shipment = service.dispatch(session, actor, shipment_id, tracking)
    except (Invalid, Conflict) as refused:
        form = {"tracking": tracking}
        return _shipment_refused(request, session, actor, refused, shipment_id, form)
    return _shipment_done(shipment)


@router.post("/resources/shipments/{shipment_id}/receive", response_class=HTMLResponse)
def receive_from_form(
    request: Request,
    session: SessionDep,
    actor: Shipper,
    shipment_id: int,
    quantity_received: Annotated[str, Form(max_length=12)] = "",
    discrepancy_note: Note = "",
) -> Response:
    try:
        quantity = _whole(quantity_received, "quantity_received")
        shipment = service.receive(session, actor, shipment_id, quantity, discrepancy_note)
    except (Invalid, Conflict) as refused:
        form = {"quantity_received": quantity_received, "discrepancy_note": discrepancy_note}
        return _shipment_refused(request, session, actor, refused, shipment_id, form)
    return _shipment_done(shipment)


@router.post("/resources/shipments/{shipment_id}/cancel", response_class=HTMLResponse)
def cancel_from_form(
    request: Request, session: SessionDep, actor: Shipper, shipment_id: int, note: Note = ""
) -> Response:
    try:
        shipment = service.cancel(session, actor, shipment_id, note)
    except (Invalid, Conflict) as refused:
        return _shipment_refused(request, session, actor, refused, shipment_id, {"note": note})
    return _shipment_done(shipment)
