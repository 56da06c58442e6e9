"""API: notifiable diseases (reference data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.surveillance import service
from healthbridge.surveillance.schemas import DiseasePage, DiseaseRead

router = APIRouter(tags=["reference data"])
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]


@router.get("/diseases", response_model=DiseasePage, summary="List notifiable diseases")
def list_diseases(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Name, code or ICD-10")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> DiseasePage:
    rows, total = service.list_diseases(
        session=session, actor=actor, page=page, q=q, category=category
    )
    add_link_header(request, response, page, total)
    return DiseasePage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/diseases/{code}", response_model=DiseaseRead, summary="One disease")
def get_disease(session: SessionDep, actor: Reader, code: str) -> DiseaseRead:
    return DiseaseRead.model_validate(service.get_disease(session=session, actor=actor, code=code))
