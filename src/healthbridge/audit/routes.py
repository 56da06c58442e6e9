"""API: reading and verifying the audit log (regional administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.audit import service
from healthbridge.audit.schemas import AuditPage, ChainRead
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(Allow(Action.AUDIT_READ))]


@router.get("/audit", response_model=AuditPage, summary="Audit entries, newest first")
def list_audit(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Auditor,
    page: PageDep,
    action: Annotated[str | None, Query(max_length=80)] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied)$")] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> AuditPage:
    rows, total = service.list_entries(
        session=session,
        actor=actor,
        action=action,
        outcome=outcome,
        country=country,
        limit=page.limit,
        offset=page.offset,
    )
    add_link_header(request, response, page, total)
    return AuditPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get("/audit/verify", response_model=ChainRead, summary="Check the hash chain")
def verify_audit(session: SessionDep, actor: Auditor) -> ChainRead:
    report = service.verify_chain(session=session, actor=actor)
    return ChainRead(
        intact=report.intact,
        checked=report.checked,
        first_broken_id=report.first_broken_id,
        reason=report.reason,
    )
