"""API of the commitments part of the dialogue channel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import CommitmentKind, CommitmentStatus
from healthbridge.cooperation.commitments.schemas import (
    CommitmentCreate,
    CommitmentDetail,
    CommitmentPage,
    CommitmentRead,
    CommitmentUpdate,
    EvidenceCreate,
    EvidenceRead,
    Scorecard,
    ScorecardRow,
    StatusChangeCreate,
)
from healthbridge.cooperation.commitments.scorecard import FIRST_YEAR, LAST_YEAR, scorecard
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["commitments"])
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.COMMITMENT_WRITE))]


def _detail(commitment: object) -> CommitmentDetail:
    return CommitmentDetail.model_validate(commitment)


@router.get("/commitments", response_model=CommitmentPage, summary="List commitments")
def list_commitments(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: CommitmentStatus | None = None,
    kind: CommitmentKind | None = None,
    owed_by: Annotated[
        str | None, Query(max_length=40, description="Country (alpha-3) or organisation code")
    ] = None,
    meeting: Annotated[int | None, Query(description="Id of the source meeting")] = None,
    overdue: Annotated[
        bool | None, Query(description="Past due and neither delivered nor dropped")
    ] = None,
    due_within: Annotated[
        int | None, Query(ge=0, le=3650, description="Open and due within N days")
    ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the commitment")] = None,
) -> CommitmentPage:
    rows, total = service.list_commitments(
        session=session,
        actor=actor,
        page=page,
        status=status,
        kind=kind,
        owed_by=owed_by,
        meeting_id=meeting,
        overdue=overdue,
        due_within=due_within,
        q=q,
    )
    add_link_header(request, response, page, total)
    return CommitmentPage(
        items=[CommitmentRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/commitments/scorecard",
    response_model=Scorecard,
    summary="How each owing country and organisation keeps its commitments",
)
def get_scorecard(
    session: SessionDep,
    actor: Reader,
    year: Annotated[
        int | None,
        Query(ge=FIRST_YEAR, le=LAST_YEAR, description="Only commitments due this year"),
    ] = None,
) -> Scorecard:
    lines = scorecard(session=session, actor=actor, year=year)
    return Scorecard(
        year=year,
        as_of=service.today(),
        rows=[
            ScorecardRow(
                owed_by=line.owed_by,
                owed_by_kind=line.owed_by_kind,
                name=line.name,
                owed=line.owed,
                delivered=line.delivered,
                delivered_on_time=line.delivered_on_time,
                overdue=line.overdue,
                dropped=line.dropped,
                on_time_rate=line.on_time_rate,
            )
            for line in lines
        ],
    )


@router.post(
    "/commitments",
    response_model=CommitmentDetail,
    status_code=201,
    summary="Record a commitment of a meeting",
)
def create_commitment(
    session: SessionDep, actor: Writer, body: CommitmentCreate
) -> CommitmentDetail:
    return _detail(service.create_commitment(session=session, actor=actor, commitment_in=body))


@router.get(
    "/commitments/{commitment_id}",
    response_model=CommitmentDetail,
    summary="One commitment, with its status history and evidence",
)
def get_commitment(session: SessionDep, actor: Reader, commitment_id: int) -> CommitmentDetail:
    return _detail(
        service.get_commitment(session=session, actor=actor, commitment_id=commitment_id)
    )


@router.patch(
    "/commitments/{commitment_id}",
    response_model=CommitmentDetail,
    summary="Correct the text, the due date or whom a commitment is owed to",
)
def update_commitment(
    session: SessionDep, actor: Writer, commitment_id: int, body: CommitmentUpdate
) -> CommitmentDetail:
    return _detail(
        service.update_commitment(
            session=session, actor=actor, commitment_id=commitment_id, changes=body
        )
    )


@router.post(
    "/commitments/{commitment_id}/status",
    response_model=CommitmentDetail,
    summary="Move a commitment to another status (delivering needs evidence)",
)
def change_status(
    session: SessionDep, actor: Writer, commitment_id: int, body: StatusChangeCreate
) -> CommitmentDetail:
    return _detail(
        service.change_status(
            session=session, actor=actor, commitment_id=commitment_id, change=body
        )
    )


@router.post(
    "/commitments/{commitment_id}/evidence",
    response_model=EvidenceRead,
    status_code=201,
    summary="Attach evidence of delivery",
)
def add_evidence(
    session: SessionDep, actor: Writer, commitment_id: int, body: EvidenceCreate
) -> EvidenceRead:
    return EvidenceRead.model_validate(
        service.add_evidence(
            session=session, actor=actor, commitment_id=commitment_id, evidence_in=body
        )
    )
