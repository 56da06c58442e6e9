"""Pages: organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.deps import Allow, SessionDep
from healthbridge.organisations import service
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]


@router.get("/organisations", response_class=HTMLResponse)
def organisations_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    rows, total = service.list_organisations(
        session=session, actor=actor, q=q, page=PageRequest(limit=MAX_LIMIT)
    )
    template = (
        "reference/_organisations_table.html"
        if is_htmx(request)
        else "reference/organisations.html"
    )
    return render(request, template, {"organisations": rows, "total": total, "q": q or ""})
