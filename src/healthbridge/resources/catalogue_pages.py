"""Pages of the catalogue and the stock: ``/resources`` (the regional stock picture by item and
holder, with the lots expiring soon and a chart), ``/resources/items`` (the catalogue) and
``/resources/lots/{id}`` (a lot and its ledger), with the forms to receive and move stock and
to add items for those allowed. A refused form shows the page again with its errors and what
was typed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.resources import catalogue, stock
from healthbridge.resources.models import COLD_CHAINS, HOLDER_KINDS, ITEM_KINDS, Holder, Item
from healthbridge.resources.request_pages import TEAM_LABELS
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
CatalogueManager = Annotated[Principal, Depends(Allow(Action.CATALOGUE_MANAGE))]
StockManager = Annotated[Principal, Depends(Allow(Action.STOCK_MANAGE))]
Text = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=2000)]
Small = Annotated[str, Form(max_length=60)]

KIND_LABELS = {
    "medicine": N_("Medicine"),
    "vaccine": N_("Vaccine"),
    "diagnostic": N_("Diagnostic"),
    "ppe": N_("PPE"),
    "equipment": N_("Equipment"),
    "other": N_("Other"),
}
COLD_CHAIN_LABELS = {
    "none": N_("None"),
    "2_8c": N_("2–8 °C"),
    "minus_20c": N_("−20 °C"),
    "minus_70c": N_("−70 °C"),
}
HOLDER_KIND_LABELS = {
    "national_stockpile": N_("National stockpile"),
    "regional_reserve": N_("Regional reserve"),
    "partner": N_("Partner"),
}
MOVEMENT_LABELS = {
    "receipt": N_("Receipt"),
    # Translators: stock handed out of a lot (a movement of the ledger), not a problem.
    "issue": N_("Issue"),
    "transfer_out": N_("Transfer out"),
    "transfer_in": N_("Transfer in"),
    "adjustment": N_("Adjustment"),
    "expiry_write_off": N_("Expiry write-off"),
}


def _holders(session: Session) -> list[Holder]:
    return list(session.scalars(select(Holder).order_by(Holder.code)))


def _items(session: Session) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.code)))


def _number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid("invalid input", errors=[FieldError(field, "a whole number")]) from None


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            "invalid input", errors=[FieldError(field, "a date (YYYY-MM-DD) is required")]
        ) from None


def chart(lines: list[stock.StockLine]) -> str:
    """A Plotly bar chart (JSON) of the stock of each item, stacked by kind of holder."""
    items = sorted({line.item.code for line in lines})
    data = []
    for kind in HOLDER_KINDS:
        totals = dict.fromkeys(items, 0)
        for line in lines:
            if line.holder.kind == kind:
                totals[line.item.code] += line.balance - line.expired_quantity
        if any(totals.values()):
            data.append(
                {
                    "type": "bar",
                    "orientation": "h",
                    "name": gettext(HOLDER_KIND_LABELS[kind]),
                    "y": items,
                    "x": [totals[i] for i in items],
                }
            )
    layout = {
        "barmode": "stack",
        "height": 120 + 28 * len(items),
        "margin": {"l": 160, "r": 20, "t": 10, "b": 40},
        "xaxis": {"title": {"text": gettext("Units of issue (not expired)")}},
        "legend": {"orientation": "h"},
    }
    return json.dumps({"data": data, "layout": layout})


def _stock_context(
    session: Session, actor: Principal, values: stock.StockFilter, **extra: Any
) -> dict[str, Any]:
    try:
        lines = stock.stock_picture(session=session, actor=actor, values=values)
        soon = stock.expiring(session=session, actor=actor, values=values)
        errors: list[FieldError] = []
    except Invalid as refused:
        lines, soon, errors = [], [], refused.errors
    holders = _holders(session)
    return {
        "lines": lines,
        "expiring": soon,
        "figure": chart(lines),
        "filters": values,
        "holders": holders,
        "managed_holders": [h for h in holders if stock.can_manage(actor, h)],
        "items": _items(session),
        "kinds": KIND_LABELS,
        "holder_kinds": HOLDER_KIND_LABELS,
        "country_names": geography.country_names(session=session, actor=actor),
        "today": stock.today(),
        "within": stock.DEFAULT_WITHIN,
        "errors": errors,
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/resources", response_class=HTMLResponse)
def stock_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    item: Annotated[str | None, Query(max_length=60)] = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    expiring_within: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    try:
        within = _number(expiring_within or "", "expiring_within")
    except Invalid as refused:
        within, bad = None, refused.errors
    else:
        bad = []
    values = stock.StockFilter(
        item=item or None,
        holder=holder or None,
        country=country or None,
        kind=kind or None,
        expiring_within=within,
    )
    context = _stock_context(session, actor, values)
    context["errors"] = bad + context["errors"]
    status = 422 if context["errors"] else 200
    return render(request, "resources/stock.html", context, status_code=status)


@router.post("/resources/lots", response_class=HTMLResponse)
def receive_from_form(
    request: Request,
    session: SessionDep,
    actor: StockManager,
    holder: Small = "",
    item: Small = "",
    lot_number: Small = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    location: Text = "",
    reference: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    given = {
        "holder": holder,
        "item": item,
        "lot_number": lot_number,
        "expires_on": expires_on,
        "quantity": quantity,
        "location": location,
        "reference": reference,
    }
    try:
        movement = stock.receive(
            session=session,
            actor=actor,
            new=stock.ReceiptInput(
                holder=holder,
                item=item,
                lot_number=lot_number,
                expires_on=_date(expires_on, "expires_on"),
                quantity=_number(quantity, "quantity") or 0,
                location=location or None,
                reference=reference or None,
            ),
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _stock_context(
            session,
            actor,
            stock.StockFilter(),
            errors=refused.errors,
            detail=refused.detail,
            failed="receipt",
            form=given,
        )
        return render(request, "resources/stock.html", context, status_code=refused.status)
    return RedirectResponse(f"/resources/lots/{movement.lot_id}", status_code=303)


def _lot_context(session: Session, actor: Principal, lot_id: int, **extra: Any) -> dict[str, Any]:
    seen, movements = stock.get_lot(session=session, actor=actor, lot_id=lot_id)
    return {
        "seen": seen,
        "lot": seen.lot,
        "movements": movements,
        "labels": MOVEMENT_LABELS,
        "country_names": geography.country_names(session=session, actor=actor),
        "can_manage": stock.can_manage(actor, seen.lot.holder),
        "holders": [h for h in _holders(session) if h.code != seen.lot.holder_code],
        "errors": [],
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/resources/lots/{lot_id}", response_class=HTMLResponse)
def lot_page(request: Request, session: SessionDep, actor: Reader, lot_id: int) -> Response:
    return render(request, "resources/stock_lot.html", _lot_context(session, actor, lot_id))


@router.post("/resources/lots/{lot_id}/movements", response_class=HTMLResponse)
def move_from_form(
    request: Request,
    session: SessionDep,
    actor: StockManager,
    lot_id: int,
    kind: Annotated[str, Form(max_length=12)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
    reason: LongText = "",
    reference: Annotated[str, Form(max_length=120)] = "",
    to_holder: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    given = {
        "kind": kind,
        "quantity": quantity,
        "reason": reason,
        "reference": reference,
        "to_holder": to_holder,
    }
    try:
        stock.move(
            session=session,
            actor=actor,
            lot_id=lot_id,
            new=stock.MovementInput(
                kind=kind,
                quantity=_number(quantity, "quantity") or 0,
                reason=reason or None,
                reference=reference or None,
                to_holder=to_holder or None,
            ),
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _lot_context(
            session,
            actor,
            lot_id,
            errors=refused.errors,
            detail=refused.detail,
            failed="movement",
            form=given,
        )
        return render(request, "resources/stock_lot.html", context, status_code=refused.status)
    return RedirectResponse(f"/resources/lots/{lot_id}", status_code=303)


def _catalogue_context(
    session: Session,
    actor: Principal,
    values: catalogue.ItemFilter,
    page: PageRequest,
    **extra: Any,
) -> dict[str, Any]:
    try:
        rows, total = catalogue.list_items(session=session, actor=actor, values=values, page=page)
        errors: list[FieldError] = []
    except Invalid as refused:
        rows, total, errors = [], 0, refused.errors
    teams, _ = catalogue.list_teams(session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT))
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "filters": values,
        "kinds": KIND_LABELS,
        "kind_codes": ITEM_KINDS,
        "cold_chains": COLD_CHAIN_LABELS,
        "cold_chain_codes": COLD_CHAINS,
        "can_manage": is_allowed(actor, Action.CATALOGUE_MANAGE),
        "teams": teams,
        "team_labels": TEAM_LABELS,
        "errors": errors,
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/resources/items", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    cold_chain: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    values = catalogue.ItemFilter(kind=kind or None, q=q or None, cold_chain=cold_chain or None)
    context = _catalogue_context(session, actor, values, page)
    status = 422 if context["errors"] else 200
    return render(request, "resources/catalogue_items.html", context, status_code=status)


@router.post("/resources/items", response_class=HTMLResponse)
def create_item_from_form(
    request: Request,
    session: SessionDep,
    actor: CatalogueManager,
    code: Small = "",
    name: Text = "",
    kind: Annotated[str, Form(max_length=12)] = "",
    atc_code: Annotated[str, Form(max_length=7)] = "",
    who_eml: Annotated[str, Form(max_length=5)] = "",
    unit_of_issue: Annotated[str, Form(max_length=40)] = "",
    pack_size: Annotated[str, Form(max_length=9)] = "1",
    cold_chain: Annotated[str, Form(max_length=10)] = "none",
    min_shelf_life_days: Annotated[str, Form(max_length=5)] = "0",
) -> Response:
    given = {
        "code": code,
        "name": name,
        "kind": kind,
        "atc_code": atc_code,
        "who_eml": who_eml,
        "unit_of_issue": unit_of_issue,
        "pack_size": pack_size,
        "cold_chain": cold_chain,
        "min_shelf_life_days": min_shelf_life_days,
    }
    try:
        catalogue.create_item(
            session=session,
            actor=actor,
            new=catalogue.ItemInput(
                code=code,
                name=name,
                kind=kind,
                atc_code=atc_code or None,
                who_eml=who_eml == "true",
                unit_of_issue=unit_of_issue,
                pack_size=_or(_number(pack_size, "pack_size"), 1),
                cold_chain=cold_chain or "none",
                min_shelf_life_days=_or(_number(min_shelf_life_days, "min_shelf_life_days"), 0),
            ),
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _catalogue_context(
            session,
            actor,
            catalogue.ItemFilter(),
            PageRequest(),
            errors=refused.errors,
            detail=refused.detail,
            failed="item",
            form=given,
        )
        return render(
            request, "resources/catalogue_items.html", context, status_code=refused.status
        )
    return RedirectResponse(f"/resources/items?q={code}", status_code=303)


__all__ = ["router"]
