"""Pages: the audit log and the state of its hash chain (regional administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.audit import service
from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Principal, Depends(Allow(Action.AUDIT_READ))]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    actor: Auditor,
    page: PageDep,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied)?$")] = None,
) -> Response:
    rows, total = service.list_entries(
        session=session, actor=actor, outcome=outcome or None, limit=page.limit, offset=page.offset
    )
    chain = service.verify_chain(session=session, actor=actor)
    return render(
        request,
        "audit/entries.html",
        {"entries": rows, "total": total, "page": page, "chain": chain, "outcome": outcome or ""},
    )
