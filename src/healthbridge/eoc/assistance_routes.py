"""API: assistance requests of shared events, the offers to meet them, and the board of
requests across the events the caller sees.

Read by whoever sees the event (404 otherwise); asked, accepted, declined and closed by the
event's managers; offered by responders of other countries and regional ones. Audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.eoc import assistance as service
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.assistance_schemas import (
    AssistanceClose,
    AssistanceCreate,
    AssistancePage,
    AssistanceRead,
    BoardEntry,
    OfferCreate,
    OfferDecision,
    OfferRead,
)
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["events"])
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
BASE = "/events/{event_id}/assistance-requests"
ONE = BASE + "/{request_id}"


def board_entry(request: AssistanceRequest) -> BoardEntry:
    """A request as the board shows it: with its event's country and title."""
    return BoardEntry.model_validate(
        {
            **AssistanceRead.model_validate(request).model_dump(),
            "event_country": request.event.country_code,
            "event_title": request.event.title,
        }
    )


@router.get(
    "/assistance-requests",
    response_model=AssistancePage,
    summary="The assistance board: requests of the events the caller sees",
    description="Pending requests (open or in progress) unless `status` is given; the soonest "
    "needed first. `sort`: needed_by (default), created_at, updated_at, status; `-` for "
    "descending.",
)
def list_board(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=12, description="e.g. field_team")] = None,
    status: Annotated[str | None, Query(max_length=12, description="e.g. fulfilled")] = None,
    country: Annotated[str | None, Query(max_length=3, description="Asking country")] = None,
) -> AssistancePage:
    rows, total = service.list_board(
        session=session,
        actor=actor,
        values=service.AssistanceFilter(kind=kind, status=status, country=country),
        page=page,
    )
    add_link_header(request, response, page, total)
    return AssistancePage(
        items=[board_entry(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get(
    BASE, response_model=list[AssistanceRead], summary="The assistance requests of an event"
)
def list_requests(session: SessionDep, actor: Reader, event_id: int) -> list[AssistanceRead]:
    rows = service.list_requests(session=session, actor=actor, event_id=event_id)
    return [AssistanceRead.model_validate(r) for r in rows]


@router.post(
    BASE,
    response_model=AssistanceRead,
    status_code=201,
    summary="Ask for assistance: a field team, laboratory testing or resources",
    description="Only for an event shared with the region or with countries (409 otherwise, "
    "and for closed or discarded events); `needed_by` not in the past. Audited.",
)
def create_request(
    session: SessionDep, actor: Manager, event_id: int, new: AssistanceCreate
) -> AssistanceRead:
    made = service.create_request(
        session=session,
        actor=actor,
        event_id=event_id,
        new=service.AssistanceInput(**new.model_dump()),
    )
    return AssistanceRead.model_validate(made)


@router.get(ONE, response_model=AssistanceRead, summary="One assistance request and its offers")
def get_request(
    session: SessionDep, actor: Reader, event_id: int, request_id: int
) -> AssistanceRead:
    return AssistanceRead.model_validate(
        service.get_request(session=session, actor=actor, event_id=event_id, request_id=request_id)
    )


@router.post(
    ONE + "/close",
    response_model=AssistanceRead,
    summary="Say an assistance request is fulfilled, or withdraw it",
    description="`fulfil` or `withdraw` (with a `note` saying why); both final (409 after).",
)
def close_request(
    session: SessionDep, actor: Manager, event_id: int, request_id: int, change: AssistanceClose
) -> AssistanceRead:
    made = service.close_request(
        session=session,
        actor=actor,
        event_id=event_id,
        request_id=request_id,
        action=change.action,
        note=change.note,
    )
    return AssistanceRead.model_validate(made)


@router.post(
    ONE + "/offers",
    response_model=OfferRead,
    status_code=201,
    summary="Offer to meet an assistance request",
    description="For the caller's country (a regional responder: for the region); not by the "
    "asking country (409). Audited.",
)
def make_offer(
    session: SessionDep, actor: Manager, event_id: int, request_id: int, new: OfferCreate
) -> OfferRead:
    made = service.offer(
        session=session,
        actor=actor,
        event_id=event_id,
        request_id=request_id,
        description=new.description,
        organisation=new.organisation,
    )
    return OfferRead.model_validate(made)


@router.post(
    ONE + "/offers/{offer_id}/decision",
    response_model=OfferRead,
    summary="Accept or decline an offer, or withdraw it",
    description="`accept` / `decline` by the asking country's managers (accepting puts the "
    "request in progress); `withdraw` by the offering side. 409 once decided.",
)
def decide_offer(
    session: SessionDep,
    actor: Manager,
    event_id: int,
    request_id: int,
    offer_id: int,
    decision: OfferDecision,
) -> OfferRead:
    made = service.decide_offer(
        session=session,
        actor=actor,
        event_id=event_id,
        request_id=request_id,
        offer_id=offer_id,
        decision=decision.decision,
        note=decision.note,
    )
    return OfferRead.model_validate(made)
