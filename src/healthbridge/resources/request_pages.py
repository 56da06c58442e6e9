"""Pages of resource requests and pledges: the request board with its filters, the form of a
new request (prefilled from an event's assistance request), a request's page with its steps,
its pledges and the forms for what the user may do, and the list of pledges.

Refused forms come back with the refusal (``errors_box``) and what was typed; refusals of
authority (403) are the app's error page, audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.resources import pledges, requests
from healthbridge.resources.models import (
    PLEDGE_STATUSES,
    PRIORITIES,
    REQUEST_STATUSES,
    TEAM_TYPES,
    Item,
    Pledge,
    ResourceRequest,
)
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
Requester = Annotated[Principal, Depends(Allow(Action.RESOURCE_REQUEST))]
Pledger = Annotated[Principal, Depends(Allow(Action.RESOURCE_PLEDGE))]
Long = Annotated[str, Form(max_length=requests.MAX_TEXT)]
Short = Annotated[str, Form(max_length=200)]
Choice = Annotated[str, Form(max_length=40)]
Number = Annotated[str, Form(max_length=20)]

STATUS_LABELS = {
    "submitted": N_("Submitted"),
    "endorsed": N_("Endorsed"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "closed": N_("Closed"),
    "offered": N_("Offered"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
PRIORITY_LABELS = {
    "critical": N_("Critical"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
}
STEP_LABELS = {
    "endorse": N_("Endorse"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "cancel": N_("Cancel the request"),
    "close": N_("Close"),
}
TEAM_LABELS = {
    "emt_type_1_mobile": N_("EMT type 1 (mobile)"),
    "emt_type_1_fixed": N_("EMT type 1 (fixed)"),
    "emt_type_2": N_("EMT type 2"),
    "emt_type_3": N_("EMT type 3"),
    "emt_specialised_care_cell": N_("EMT specialised care cell"),
    "field_epidemiologist": N_("Field epidemiologists"),
    "laboratory_scientist": N_("Laboratory scientists"),
}


def _country_names(session: Session, actor: Principal) -> dict[str, str]:
    return geography.country_names(session=session, actor=actor)


def _items(session: Session) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.name)))


def _common(session: Session, actor: Principal) -> dict[str, Any]:
    return {
        "labels": STATUS_LABELS,
        "step_labels": STEP_LABELS,
        "team_labels": TEAM_LABELS,
        "priorities": PRIORITIES,
        "priority_labels": PRIORITY_LABELS,
        "country_names": _country_names(session, actor),
        "can_request": is_allowed(actor, Action.RESOURCE_REQUEST, country=actor.country),
        "today": requests.today(),
        "errors": [],
        "detail": None,
    }


# -- the board -------------------------------------------------------------------------------


def _int(value: str | None, name: str, errors: list[FieldError]) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        errors.append(FieldError(name, "a whole number"))
        return None


@router.get("/resources/requests", response_class=HTMLResponse)
def board_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    item: Annotated[str | None, Query(max_length=60)] = None,
    priority: Annotated[str | None, Query(max_length=8)] = None,
    event: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    errors: list[FieldError] = []
    values = requests.RequestFilter(
        status=status or None,
        country=country or None,
        item=item or None,
        priority=priority or None,
        event_id=_int(event, "event", errors),
    )
    board = requests.Board(rows=[], total=0)
    if not errors:
        try:
            board = requests.list_requests(session=session, actor=actor, values=values, page=page)
        except Invalid as refused:
            errors = refused.errors
    kept = {
        k: v
        for k, v in {
            "status": status,
            "country": country,
            "item": item,
            "priority": priority,
            "event": event,
            "sort": page.sort,
        }.items()
        if v
    }

    def page_link(offset: int) -> str:
        return "/resources/requests?" + urlencode({**kept, "offset": offset, "limit": page.limit})

    return render(
        request,
        "resources/request_board.html",
        {
            **_common(session, actor),
            "rows": board.rows,
            "total": board.total,
            "progress": board.progress,
            "page": page,
            "filters": values,
            "items": _items(session),
            "statuses": REQUEST_STATUSES,
            "events": requests.visible_events(session, actor, board.rows),
            "previous_link": page_link(max(page.offset - page.limit, 0))
            if page.offset > 0
            else None,
            "next_link": page_link(page.offset + page.limit)
            if page.offset + page.limit < board.total
            else None,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


# -- a new request ---------------------------------------------------------------------------


def _new_context(
    session: Session, actor: Principal, form: dict[str, str], **extra: Any
) -> dict[str, Any]:
    event = None
    assistance = None
    errors: list[FieldError] = []
    event_id = _int(form.get("event_id"), "event_id", errors)
    assistance_id = _int(form.get("assistance_request_id"), "assistance_request_id", errors)
    if assistance_id is not None:
        assistance = session.get(AssistanceRequest, assistance_id)
        if assistance is not None and event_id is None:
            event_id = assistance.event_id
    if event_id is not None:
        event = requests.seen_event(session, actor, event_id)
    if event is None or (assistance is not None and assistance.event_id != event.id):
        assistance = None
    return {
        **_common(session, actor),
        "form": form,
        "event": event,
        "assistance": assistance,
        "items": _items(session),
        "team_types": TEAM_TYPES,
        "actor_country": actor.country,
        **extra,
    }


@router.get("/resources/requests/new", response_class=HTMLResponse)
def new_request_page(
    request: Request,
    session: SessionDep,
    actor: Requester,
    event_id: Annotated[str | None, Query(max_length=12)] = None,
    assistance_request_id: Annotated[str | None, Query(max_length=12)] = None,
    kind: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    form = {
        "event_id": event_id or "",
        "assistance_request_id": assistance_request_id or "",
        "kind": kind or "item",
    }
    context = _new_context(session, actor, form)
    if context["assistance"] is not None and context["assistance"].needed_by is not None:
        form.setdefault("needed_by", context["assistance"].needed_by.isoformat())
    if context["assistance"] is not None and context["assistance"].kind == "field_team":
        form["kind"] = kind or "team"
    return render(request, "resources/request_new.html", context)


def _date(value: str, name: str, errors: list[FieldError]) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(name, "a date (YYYY-MM-DD)"))
        return None


def _words(value: str) -> list[str]:
    return [part for part in value.replace(";", ",").split(",") if part.strip()]


@router.post("/resources/requests", response_class=HTMLResponse)
def create_from_form(
    request: Request,
    session: SessionDep,
    actor: Requester,
    kind: Choice = "",
    country: Choice = "",
    item: Choice = "",
    team_type: Choice = "",
    quantity: Number = "",
    priority: Choice = "",
    needed_by: Number = "",
    needed_until: Number = "",
    skills: Short = "",
    languages: Short = "",
    delivery_point: Short = "",
    note: Long = "",
    event_id: Number = "",
    assistance_request_id: Number = "",
) -> Response:
    given = {
        "kind": kind,
        "country": country,
        "item": item,
        "team_type": team_type,
        "quantity": quantity,
        "priority": priority,
        "needed_by": needed_by,
        "needed_until": needed_until,
        "skills": skills,
        "languages": languages,
        "delivery_point": delivery_point,
        "note": note,
        "event_id": event_id,
        "assistance_request_id": assistance_request_id,
    }
    errors: list[FieldError] = []
    amount = _int(quantity, "quantity", errors)
    new = requests.RequestInput(
        kind=kind,
        country=country or None,
        item=item if kind == "item" else None,
        team_type=team_type if kind == "team" else None,
        quantity=amount if amount is not None else 0,
        priority=priority,
        needed_by=_date(needed_by, "needed_by", errors),
        needed_until=_date(needed_until, "needed_until", errors) if kind == "team" else None,
        skills=_words(skills) if kind == "team" else (),
        languages=_words(languages) if kind == "team" else (),
        delivery_point=delivery_point,
        note=note or None,
        event_id=_int(event_id, "event_id", errors),
        assistance_request_id=_int(assistance_request_id, "assistance_request_id", errors),
    )
    try:
        if errors:
            raise Invalid("invalid resource request", errors=errors)
        made = requests.create_request(session=session, actor=actor, new=new)
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _new_context(session, actor, given, errors=refused.errors, detail=refused.detail)
        return render(request, "resources/request_new.html", context, status_code=refused.status)
    return RedirectResponse(f"/resources/requests/{made.id}", status_code=303)


# -- one request -----------------------------------------------------------------------------


def _pledge_actions(actor: Principal, made: Pledge) -> list[str]:
    """What ``actor`` may decide about ``made`` now."""
    found: list[str] = []
    if made.status == "offered" and is_allowed(actor, Action.RESOURCE_APPROVE):
        found += ["accept", "decline"]
    holder = made.lot.holder if made.lot else made.team.holder if made.team else None
    if made.status in ("offered", "accepted") and holder and pledges.may_pledge(actor, holder):
        found.append("withdraw")
    return found


def _request_context(
    session: Session, actor: Principal, request_id: int, **extra: Any
) -> dict[str, Any]:
    found = requests.get_request(session=session, actor=actor, request_id=request_id)
    made = pledges.pledges_for(session=session, actor=actor, request_id=found.id)
    lots: list[Any] = []
    teams: list[Any] = []
    if found.status in requests.OPEN_STATUSES:
        if found.kind == "item":
            lots = pledges.pledgeable_lots(session=session, actor=actor, item=found.item_code)
        else:
            teams = pledges.pledgeable_teams(
                session=session, actor=actor, team_type=found.team_type
            )
    events = requests.visible_events(session, actor, [found])
    allocated, received = requests.progress_of(session, [found.id])[found.id]
    return {
        **_common(session, actor),
        "r": found,
        "event": events.get(found.event_id) if found.event_id else None,
        "assistance": session.get(AssistanceRequest, found.assistance_request_id)
        if found.assistance_request_id and found.event_id in events
        else None,
        "steps_allowed": requests.allowed_steps(actor, found),
        "pledges": made,
        "pledge_actions": {p.id: _pledge_actions(actor, p) for p in made},
        "lots": lots,
        "teams": teams,
        "allocated": allocated,
        "received": received,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/resources/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, session: SessionDep, actor: Reader, request_id: int) -> Response:
    return render(
        request, "resources/request_detail.html", _request_context(session, actor, request_id)
    )


def _refused_on_request(
    request: Request,
    session: Session,
    actor: Principal,
    request_id: int,
    refused: Invalid | Conflict,
    failed: str,
    form: dict[str, str],
) -> Response:
    session.rollback()
    context = _request_context(
        session,
        actor,
        request_id,
        errors=refused.errors,
        detail=refused.detail,
        failed=failed,
        form=form,
    )
    return render(request, "resources/request_detail.html", context, status_code=refused.status)


@router.post("/resources/requests/{request_id}/steps", response_class=HTMLResponse)
def step_from_form(
    request: Request,
    session: SessionDep,
    actor: Reader,
    request_id: int,
    step: Choice = "",
    note: Long = "",
) -> Response:
    try:
        requests.take_step(
            session=session, actor=actor, request_id=request_id, step=step, note=note or None
        )
    except (Invalid, Conflict) as refused:
        given = {"step": step, "note": note}
        return _refused_on_request(request, session, actor, request_id, refused, "step", given)
    return RedirectResponse(f"/resources/requests/{request_id}", status_code=303)


# -- pledges ---------------------------------------------------------------------------------


@router.get("/resources/pledges", response_class=HTMLResponse)
def pledges_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=10)] = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
    item: Annotated[str | None, Query(max_length=60)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    values = pledges.PledgeFilter(
        status=status or None, holder=holder or None, item=item or None, country=country or None
    )
    errors: list[FieldError] = []
    rows: list[Pledge] = []
    total = 0
    try:
        rows, total = pledges.list_pledges(session=session, actor=actor, values=values, page=page)
    except Invalid as refused:
        errors = refused.errors
    kept = {
        k: v
        for k, v in {"status": status, "holder": holder, "item": item, "country": country}.items()
        if v
    }

    def page_link(offset: int) -> str:
        return "/resources/pledges?" + urlencode({**kept, "offset": offset, "limit": page.limit})

    return render(
        request,
        "resources/pledge_list.html",
        {
            **_common(session, actor),
            "rows": rows,
            "total": total,
            "filters": values,
            "statuses": PLEDGE_STATUSES,
            "items": _items(session),
            "pledge_actions": {p.id: _pledge_actions(actor, p) for p in rows},
            "lots": pledges.pledgeable_lots(session=session, actor=actor),
            "teams": pledges.pledgeable_teams(session=session, actor=actor),
            "previous_link": page_link(max(page.offset - page.limit, 0))
            if page.offset > 0
            else None,
            "next_link": page_link(page.offset + page.limit)
            if page.offset + page.limit < total
            else None,
            "failed": None,
            "form": {},
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


def _pledge_input(
    offered: str, quantity: str, request_id: str, conditions: str, errors: list[FieldError]
) -> pledges.PledgeInput:
    """``offered`` is ``lot-ID`` or ``team-ID`` (the form's one choice)."""
    kind, _, number = offered.partition("-")
    thing = _int(number, "lot_id", errors) if kind in ("lot", "team") else None
    if thing is None and not errors:
        errors.append(FieldError("lot_id", "choose a lot or a team"))
    return pledges.PledgeInput(
        lot_id=thing if kind == "lot" else None,
        team_id=thing if kind == "team" else None,
        quantity=_int(quantity, "quantity", errors) if kind == "lot" else None,
        request_id=_int(request_id, "request_id", errors),
        conditions=conditions or None,
    )


@router.post("/resources/pledges", response_class=HTMLResponse)
def pledge_from_form(
    request: Request,
    session: SessionDep,
    actor: Pledger,
    offered: Choice = "",
    quantity: Number = "",
    request_id: Number = "",
    conditions: Long = "",
) -> Response:
    errors: list[FieldError] = []
    new = _pledge_input(offered, quantity, request_id, conditions, errors)
    try:
        if errors:
            raise Invalid("invalid pledge", errors=errors)
        pledges.pledge(session=session, actor=actor, new=new)
    except (Invalid, Conflict) as refused:
        given = {"offered": offered, "quantity": quantity, "conditions": conditions}
        asked = session.get(ResourceRequest, new.request_id) if new.request_id else None
        if new.request_id is not None and asked is not None:
            return _refused_on_request(
                request, session, actor, new.request_id, refused, "pledge", given
            )
        session.rollback()
        return _pledges_refused(request, session, actor, refused, given)
    if new.request_id is not None:
        return RedirectResponse(f"/resources/requests/{new.request_id}", status_code=303)
    return RedirectResponse("/resources/pledges", status_code=303)


def _pledges_refused(
    request: Request,
    session: Session,
    actor: Principal,
    refused: Invalid | Conflict,
    given: dict[str, str],
) -> Response:
    rows, total = pledges.list_pledges(
        session=session, actor=actor, values=pledges.PledgeFilter(), page=PageRequest()
    )
    return render(
        request,
        "resources/pledge_list.html",
        {
            **_common(session, actor),
            "rows": rows,
            "total": total,
            "filters": pledges.PledgeFilter(),
            "statuses": PLEDGE_STATUSES,
            "items": _items(session),
            "pledge_actions": {p.id: _pledge_actions(actor, p) for p in rows},
            "lots": pledges.pledgeable_lots(session=session, actor=actor),
            "teams": pledges.pledgeable_teams(session=session, actor=actor),
            "previous_link": None,
            "next_link": None,
            "failed": "pledge",
            "form": given,
            "errors": refused.errors,
            "detail": refused.detail,
        },
        status_code=refused.status,
    )


@router.post("/resources/pledges/{pledge_id}/decision", response_class=HTMLResponse)
def decide_from_form(
    request: Request,
    session: SessionDep,
    actor: Reader,
    pledge_id: int,
    decision: Choice = "",
    note: Long = "",
) -> Response:
    made = pledges.get_pledge(session=session, actor=actor, pledge_id=pledge_id)
    back = made.request_id
    try:
        pledges.decide(
            session=session, actor=actor, pledge_id=pledge_id, decision=decision, note=note or None
        )
    except (Invalid, Conflict) as refused:
        given = {"decision": decision, "note": note}
        if back is not None:
            return _refused_on_request(
                request, session, actor, back, refused, f"pledge-{pledge_id}", given
            )
        session.rollback()
        return _pledges_refused(request, session, actor, refused, given)
    target = f"/resources/requests/{back}" if back is not None else "/resources/pledges"
    return RedirectResponse(target, status_code=303)


__all__ = ["router"]
