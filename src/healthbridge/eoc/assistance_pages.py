"""Pages of assistance requests: the section of an event's page (ask for help, offer it, accept
or decline offers, close a request) and the board of requests across the events the user sees.

The event's page loads the section by htmx from ``/eoc/events/{id}/assistance``; without htmx
(or after a refused form) the same section is a page of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.eoc import assistance, service
from healthbridge.eoc.assistance import MAX_TEXT, MAX_TITLE
from healthbridge.eoc.assistance_models import ASSISTANCE_KINDS, ASSISTANCE_STATUSES
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
Long = Annotated[str, Form(max_length=MAX_TEXT)]
Short = Annotated[str, Form(max_length=MAX_TITLE)]
Choice = Annotated[str, Form(max_length=24)]

KIND_LABELS = {
    "field_team": N_("Field investigation team"),
    "lab_testing": N_("Laboratory testing"),
    "resources": N_("Resources (medicines, supplies, health workers)"),
}
STATUS_LABELS = {
    # Translators: the status of an assistance request (still open), not the verb.
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "fulfilled": N_("Fulfilled"),
    "withdrawn": N_("Withdrawn"),
    "offered": N_("Offered"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
}


def can_offer(actor: Principal, event: Event) -> bool:
    """Whether ``actor`` may offer help for ``event``: a responder of another country (or a
    regional one) who sees it."""
    return (
        service.can_see(actor, event)
        and actor.country != event.country_code
        and is_allowed(actor, Action.EVENT_MANAGE, country=actor.country)
    )


def _country_names(session: Session, actor: Principal) -> dict[str, str]:
    return geography.country_names(session=session, actor=actor)


def _context(session: Session, actor: Principal, event_id: int, **extra: Any) -> dict[str, Any]:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    return {
        "e": event,
        "requests": assistance.list_requests(session=session, actor=actor, event_id=event_id),
        "can_manage": service.can_manage(actor, event),
        "can_offer": can_offer(actor, event),
        "shared": assistance.is_shared(event),
        "finished": event.status in assistance.FINISHED_EVENT_STATUSES,
        "kinds": KIND_LABELS,
        "labels": STATUS_LABELS,
        "country_names": _country_names(session, actor),
        "actor_country": actor.country,
        "today": assistance.today(),
        "errors": [],
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/eoc/events/{event_id}/assistance", response_class=HTMLResponse)
def assistance_section(
    request: Request, session: SessionDep, actor: Reader, event_id: int
) -> Response:
    template = "eoc/_assistance.html" if is_htmx(request) else "eoc/assistance.html"
    return render(request, template, _context(session, actor, event_id))


def _refused(
    request: Request,
    session: Session,
    actor: Principal,
    event_id: int,
    refused: Invalid | Conflict,
    failed: str,
    form: dict[str, Any],
) -> Response:
    session.rollback()
    context = _context(
        session,
        actor,
        event_id,
        errors=refused.errors,
        detail=refused.detail,
        failed=failed,
        form=form,
    )
    return render(request, "eoc/assistance.html", context, status_code=refused.status)


def _done(event_id: int) -> Response:
    return RedirectResponse(f"/eoc/events/{event_id}#assistance", status_code=303)


def _date(value: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            "invalid assistance request",
            errors=[FieldError("needed_by", "a date (YYYY-MM-DD) is required")],
        ) from None


@router.post("/eoc/events/{event_id}/assistance-requests", response_class=HTMLResponse)
def ask_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    kind: Choice = "",
    title: Short = "",
    description: Long = "",
    needed_by: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    given = {"kind": kind, "title": title, "description": description, "needed_by": needed_by}
    try:
        assistance.create_request(
            session=session,
            actor=actor,
            event_id=event_id,
            new=assistance.AssistanceInput(
                kind=kind, title=title, description=description, needed_by=_date(needed_by)
            ),
        )
    except (Invalid, Conflict) as refused:
        return _refused(request, session, actor, event_id, refused, "ask", given)
    return _done(event_id)


@router.post(
    "/eoc/events/{event_id}/assistance-requests/{request_id}/offers",
    response_class=HTMLResponse,
)
def offer_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    request_id: int,
    description: Long = "",
    organisation: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        assistance.offer(
            session=session,
            actor=actor,
            event_id=event_id,
            request_id=request_id,
            description=description,
            organisation=organisation or None,
        )
    except (Invalid, Conflict) as refused:
        given = {"description": description, "organisation": organisation}
        return _refused(request, session, actor, event_id, refused, f"offer-{request_id}", given)
    return _done(event_id)


@router.post(
    "/eoc/events/{event_id}/assistance-requests/{request_id}/offers/{offer_id}/decision",
    response_class=HTMLResponse,
)
def decide_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    request_id: int,
    offer_id: int,
    decision: Choice = "",
    note: Long = "",
) -> Response:
    try:
        assistance.decide_offer(
            session=session,
            actor=actor,
            event_id=event_id,
            request_id=request_id,
            offer_id=offer_id,
            decision=decision,
            note=note or None,
        )
    except (Invalid, Conflict) as refused:
        given = {"decision": decision, "note": note}
        return _refused(request, session, actor, event_id, refused, f"offer-{request_id}", given)
    return _done(event_id)


@router.post(
    "/eoc/events/{event_id}/assistance-requests/{request_id}/close",
    response_class=HTMLResponse,
)
def close_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    request_id: int,
    action: Choice = "",
    note: Long = "",
) -> Response:
    try:
        assistance.close_request(
            session=session,
            actor=actor,
            event_id=event_id,
            request_id=request_id,
            action=action,
            note=note or None,
        )
    except (Invalid, Conflict) as refused:
        given = {"action": action, "note": note}
        return _refused(request, session, actor, event_id, refused, f"close-{request_id}", given)
    return _done(event_id)


@router.get("/eoc/assistance", response_class=HTMLResponse)
def board_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    values = assistance.AssistanceFilter(
        kind=kind or None, status=status or None, country=country or None
    )
    try:
        rows, total = assistance.list_board(session=session, actor=actor, values=values, page=page)
        errors: list[FieldError] = []
    except Invalid as refused:
        rows, total, errors = [], 0, refused.errors
    return render(
        request,
        "eoc/assistance_board.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "filters": values,
            "kinds": KIND_LABELS,
            "statuses": ASSISTANCE_STATUSES,
            "kind_codes": ASSISTANCE_KINDS,
            "labels": STATUS_LABELS,
            "country_names": _country_names(session, actor),
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


__all__ = ["router"]
