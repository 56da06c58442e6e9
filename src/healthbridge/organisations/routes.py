"""API: organisations (reference data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.organisations import service
from healthbridge.organisations.schemas import OrganisationPage, OrganisationRead
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["reference data"])
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]


@router.get("/organisations", response_model=OrganisationPage, summary="List organisations")
def list_organisations(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> OrganisationPage:
    rows, total = service.list_organisations(
        session=session, actor=actor, page=page, q=q, kind=kind, country=country
    )
    add_link_header(request, response, page, total)
    return OrganisationPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/organisations/{code}", response_model=OrganisationRead, summary="One organisation")
def get_organisation(session: SessionDep, actor: Reader, code: str) -> OrganisationRead:
    return OrganisationRead.model_validate(
        service.get_organisation(session=session, actor=actor, code=code)
    )
