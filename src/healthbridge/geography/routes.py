"""API: countries and subdivisions (reference data, readable by every signed-in user)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.geography import service
from healthbridge.geography.schemas import (
    CountryPage,
    CountryRead,
    SubdivisionPage,
    SubdivisionRead,
)
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["reference data"])
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]


@router.get("/countries", response_model=CountryPage, summary="List the served countries")
def list_countries(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Text in name or code")] = None,
    group: Annotated[str | None, Query(max_length=40, description="ASEAN, APT, ...")] = None,
) -> CountryPage:
    rows, total = service.list_countries(session=session, actor=actor, page=page, q=q, group=group)
    add_link_header(request, response, page, total)
    return CountryPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/countries/{code}", response_model=CountryRead, summary="One country")
def get_country(session: SessionDep, actor: Reader, code: str) -> CountryRead:
    return CountryRead.model_validate(service.get_country(session=session, actor=actor, code=code))


@router.get(
    "/countries/{code}/subdivisions",
    response_model=SubdivisionPage,
    summary="First-level subdivisions of a country",
)
def list_country_subdivisions(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    code: str,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> SubdivisionPage:
    rows, total = service.list_subdivisions(
        session=session, actor=actor, page=page, country=code, q=q
    )
    add_link_header(request, response, page, total)
    return SubdivisionPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/subdivisions", response_model=SubdivisionPage, summary="List subdivisions")
def list_subdivisions(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> SubdivisionPage:
    rows, total = service.list_subdivisions(
        session=session, actor=actor, page=page, country=country, q=q
    )
    add_link_header(request, response, page, total)
    return SubdivisionPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/subdivisions/{code}", response_model=SubdivisionRead, summary="One subdivision")
def get_subdivision(session: SessionDep, actor: Reader, code: str) -> SubdivisionRead:
    return SubdivisionRead.model_validate(
        service.get_subdivision(session=session, actor=actor, code=code)
    )
