"""Pages: the countries of the region and each country's memberships and subdivisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.deps import Allow, SessionDep
from healthbridge.geography import service
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]


@router.get("/countries", response_class=HTMLResponse)
def countries_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    group: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    rows, total = service.list_countries(
        session=session, actor=actor, q=q, group=group or None, page=PageRequest(limit=MAX_LIMIT)
    )
    template = "reference/_countries_table.html" if is_htmx(request) else "reference/countries.html"
    return render(
        request, template, {"countries": rows, "total": total, "q": q or "", "group": group or ""}
    )


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    code: str,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    country = service.get_country(session=session, actor=actor, code=code)
    subdivisions, total = service.list_subdivisions(
        session=session, actor=actor, country=country.code, q=q, page=PageRequest(limit=MAX_LIMIT)
    )
    if is_htmx(request):
        return render(
            request,
            "reference/_subdivisions_table.html",
            {"subdivisions": subdivisions, "total": total},
        )
    return render(
        request,
        "reference/country.html",
        {"country": country, "subdivisions": subdivisions, "total": total, "q": q or ""},
    )
