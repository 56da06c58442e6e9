"""API: resource requests (the request board, asking, the approval steps) and pledges.

Requests and pledges are regional information: every signed-in user reads them. A country asks,
endorses and cancels its own requests; the region approves, rejects, closes and decides on
pledges; holders pledge their own lots and teams. The steps and decisions are guarded by
``RESOURCE_READ`` at the door because different steps belong to different roles: the service
checks each one (403 for a step the caller may not take). Audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.resources import pledges, requests
from healthbridge.resources.models import Pledge, ResourceRequest
from healthbridge.resources.request_schemas import (
    PledgeCreate,
    PledgeDecision,
    PledgePage,
    PledgeRead,
    RequestCreate,
    RequestPage,
    RequestRead,
    StepCreate,
)

router = APIRouter(tags=["resources"])
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
Requester = Annotated[Principal, Depends(Allow(Action.RESOURCE_REQUEST))]
Pledger = Annotated[Principal, Depends(Allow(Action.RESOURCE_PLEDGE))]


def request_read(
    session: Session,
    actor: Principal,
    request: ResourceRequest,
    progress: tuple[int, int] | None = None,
    *,
    with_steps: bool = False,
) -> RequestRead:
    """A request as the API shows it: the event hidden from those who do not see it."""
    seen = requests.visible_events(session, actor, [request])
    allocated, received = progress or requests.progress_of(session, [request.id])[request.id]
    hidden = request.event_id is not None and request.event_id not in seen
    data = {
        column: getattr(request, column)
        for column in RequestRead.model_fields
        if column not in ("allocated", "received", "steps")
    }
    if hidden:
        data["event_id"] = None
        data["assistance_request_id"] = None
    return RequestRead.model_validate(
        {
            **data,
            "allocated": allocated,
            "received": received,
            "steps": list(request.steps) if with_steps else [],
        }
    )


def pledge_read(made: Pledge) -> PledgeRead:
    """A pledge with its lot's item."""
    read = PledgeRead.model_validate(made)
    return read.model_copy(update={"item_code": made.lot.item_code if made.lot else None})


@router.get(
    "/resources/requests",
    response_model=RequestPage,
    summary="The request board: every country's requests for items and teams",
    description="The most urgent first: `sort` priority (default; then needed_by), needed_by, "
    "requested_at, updated_at, status, country; `-` reverses the first key. Each request "
    "carries what approved plans allocate to it and what its shipments delivered.",
)
def list_requests(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12, description="e.g. approved")] = None,
    country: Annotated[str | None, Query(max_length=3, description="Asking country")] = None,
    item: Annotated[str | None, Query(max_length=60, description="Item code")] = None,
    priority: Annotated[str | None, Query(max_length=8, description="e.g. critical")] = None,
    event: Annotated[int | None, Query(description="Event id")] = None,
    kind: Annotated[str | None, Query(max_length=8, description="item or team")] = None,
) -> RequestPage:
    board = requests.list_requests(
        session=session,
        actor=actor,
        values=requests.RequestFilter(
            status=status,
            country=country,
            item=item,
            priority=priority,
            event_id=event,
            kind=kind,
        ),
        page=page,
    )
    add_link_header(request, response, page, board.total)
    return RequestPage(
        items=[request_read(session, actor, r, board.progress[r.id]) for r in board.rows],
        total=board.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/resources/requests",
    response_model=RequestRead,
    status_code=201,
    summary="Ask the region for a quantity of an item or for a team",
    description="For the caller's country (a regional user names it); `needed_by` not in the "
    "past; an event the caller sees, of the same country, and one of its assistance requests "
    "of kind resources (a team request: also field_team). 422 naming each wrong field. Audited.",
)
def create_request(session: SessionDep, actor: Requester, new: RequestCreate) -> RequestRead:
    made = requests.create_request(
        session=session, actor=actor, new=requests.RequestInput(**new.model_dump())
    )
    return request_read(session, actor, made, (0, 0), with_steps=True)


@router.get(
    "/resources/requests/{request_id}",
    response_model=RequestRead,
    summary="One resource request with its approval steps",
)
def get_request(session: SessionDep, actor: Reader, request_id: int) -> RequestRead:
    found = requests.get_request(session=session, actor=actor, request_id=request_id)
    return request_read(session, actor, found, with_steps=True)


@router.post(
    "/resources/requests/{request_id}/steps",
    response_model=RequestRead,
    summary="Take an approval step: endorse, approve, reject, cancel or close",
    description="`endorse` (submitted → endorsed) by the asking country's focal point; "
    "`approve` (endorsed → approved) by the region; `reject` (with a note) at either step; "
    "`cancel` by the asking country before the request is final; `close` (with a note) by the "
    "region once approved. 409 naming the allowed steps; 403 for a step the caller may not "
    "take. Audited.",
)
def take_step(session: SessionDep, actor: Reader, request_id: int, step: StepCreate) -> RequestRead:
    made = requests.take_step(
        session=session, actor=actor, request_id=request_id, step=step.step, note=step.note
    )
    return request_read(session, actor, made, with_steps=True)


@router.get(
    "/resources/pledges",
    response_model=PledgePage,
    summary="Pledges of lots and teams",
    description="Newest first; `sort` pledged_at, status, holder, quantity (`-` descending).",
)
def list_pledges(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=10, description="e.g. offered")] = None,
    holder: Annotated[str | None, Query(max_length=40, description="Holder code")] = None,
    request_id: Annotated[int | None, Query(description="Pledged for this request")] = None,
    item: Annotated[str | None, Query(max_length=60, description="Item of the lot")] = None,
    country: Annotated[str | None, Query(max_length=3, description="Holder's country")] = None,
) -> PledgePage:
    rows, total = pledges.list_pledges(
        session=session,
        actor=actor,
        values=pledges.PledgeFilter(
            status=status, holder=holder, request_id=request_id, item=item, country=country
        ),
        page=page,
    )
    add_link_header(request, response, page, total)
    return PledgePage(
        items=[pledge_read(p) for p in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/resources/pledges",
    response_model=PledgeRead,
    status_code=201,
    summary="Pledge a quantity of a lot, or a team",
    description="For a holder the caller speaks for (a national stockpile: its country; the "
    "regional reserve and partners: regional users); a lot's quantity at most its balance; "
    "for one request (same item or team type, still open) when `request_id` is given. Audited.",
)
def make_pledge(session: SessionDep, actor: Pledger, new: PledgeCreate) -> PledgeRead:
    made = pledges.pledge(session=session, actor=actor, new=pledges.PledgeInput(**new.model_dump()))
    return pledge_read(made)


@router.post(
    "/resources/pledges/{pledge_id}/decision",
    response_model=PledgeRead,
    summary="Accept or decline a pledge, or withdraw it",
    description="`accept` / `decline` by the region (an offered pledge); `withdraw` by the "
    "pledging side (offered or accepted). 409 otherwise. Audited.",
)
def decide_pledge(
    session: SessionDep, actor: Reader, pledge_id: int, decision: PledgeDecision
) -> PledgeRead:
    made = pledges.decide(
        session=session,
        actor=actor,
        pledge_id=pledge_id,
        decision=decision.decision,
        note=decision.note,
    )
    return pledge_read(made)
