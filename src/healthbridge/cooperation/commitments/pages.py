"""Pages: the commitment tracker, a commitment's page, the scorecard, and the fragment of a
meeting's commitments that the meeting page loads with htmx."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments import forms, service
from healthbridge.cooperation.commitments.models import (
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    EvidenceKind,
)
from healthbridge.cooperation.commitments.scorecard import scorecard
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.COMMITMENT_WRITE))]
FormText = Annotated[str, Form(max_length=4000)]
FormCode = Annotated[str, Form(max_length=60)]

VIEWS = {"all": N_("All"), "overdue": N_("Overdue"), "due_soon": N_("Due soon")}


def _party_names(session: Session, actor: Principal) -> dict[str, str]:
    """The service's names of the parties, with the countries' in the current language."""
    names = service.party_names(session=session, actor=actor)
    return {**names, **geography.country_names(session=session, actor=actor)}


def _meetings(session: Session, meeting_ids: set[int | None]) -> dict[int, Meeting]:
    """The meetings these commitments come from, by id (their title and date are shown)."""
    found: dict[int, Meeting] = {}
    for meeting_id in sorted(i for i in meeting_ids if i is not None):
        meeting = meetings.require_meeting(session=session, meeting_id=meeting_id)
        if meeting is not None:
            found[meeting_id] = meeting
    return found


def _common(session: Session, actor: Principal) -> dict[str, Any]:
    return {
        "names": _party_names(session, actor),
        "statuses": list(CommitmentStatus),
        "kinds": list(CommitmentKind),
        "evidence_kinds": list(EvidenceKind),
        "status_labels": forms.STATUS_LABELS,
        "kind_labels": forms.KIND_LABELS,
        "evidence_kind_labels": forms.EVIDENCE_KIND_LABELS,
        "saved_messages": forms.SAVED_MESSAGES,
        "today": service.today(),
    }


# --- the tracker ---------------------------------------------------------------------------------


@router.get("/commitments", response_class=HTMLResponse)
def tracker_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    view: Annotated[str, Query(pattern="^(all|overdue|due_soon)?$")] = "all",
    status: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    owed_by: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    view = view or "all"
    rows, total = service.list_commitments(
        session=session,
        actor=actor,
        page=page,
        status=forms.enum_or_none(CommitmentStatus, status, "status"),
        kind=forms.enum_or_none(CommitmentKind, kind, "kind"),
        owed_by=owed_by or None,
        overdue=True if view == "overdue" else None,
        due_within=service.DUE_SOON_DAYS if view == "due_soon" else None,
        q=q or None,
    )
    filters = {"view": view, "status": status, "kind": kind, "owed_by": owed_by, "q": q}
    context = {
        **_common(session, actor),
        "commitments": rows,
        "total": total,
        "page": page,
        "filters": filters,
        "views": VIEWS,
        "from_meetings": _meetings(session, {c.meeting_id for c in rows}),
        "owners": forms.party_choices(session=session, actor=actor),
        "query": lambda **changes: urlencode({**filters, **changes}),
        "due_soon_days": service.DUE_SOON_DAYS,
    }
    template = "commitments/_table.html" if is_htmx(request) else "commitments/tracker.html"
    return render(request, template, context)


@router.get("/commitments/scorecard", response_class=HTMLResponse)
def scorecard_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    year: Annotated[str, Query(max_length=4)] = "",
) -> Response:
    chosen = forms.year_or_none(year)
    lines = scorecard(session=session, actor=actor, year=chosen)
    countries = geography.country_names(session=session, actor=actor)
    for line in lines:  # the countries' names in the current language
        if line.owed_by_kind == forms.COUNTRY:
            line.name = countries.get(line.owed_by, line.name)
    today = service.today()
    chart = {
        "names": [line.name for line in lines],
        "on_time": [line.delivered_on_time for line in lines],
        "late": [line.delivered - line.delivered_on_time for line in lines],
        "overdue": [line.overdue for line in lines],
    }
    return render(
        request,
        "commitments/scorecard.html",
        {
            "lines": lines,
            "year": chosen,
            "years": list(range(today.year + 2, 2018, -1)),
            "chart": chart,
            "today": today,
        },
    )


# --- one commitment ------------------------------------------------------------------------------


def _detail_context(
    session: Session, actor: Principal, commitment: Commitment, **extra: Any
) -> dict[str, Any]:
    return {
        **_common(session, actor),
        "commitment": commitment,
        "from_meetings": _meetings(session, {commitment.meeting_id}),
        "can_write": service.can_write(actor, commitment),
        "next_statuses": service.next_statuses(commitment.status),
        "errors": [],
        "values": {},
        **extra,
    }


@router.get("/commitments/{commitment_id}", response_class=HTMLResponse)
def commitment_page(
    request: Request, session: SessionDep, actor: Reader, commitment_id: int
) -> Response:
    commitment = service.get_commitment(session=session, actor=actor, commitment_id=commitment_id)
    return render(request, "commitments/detail.html", _detail_context(session, actor, commitment))


@router.post("/commitments/{commitment_id}/status", response_class=HTMLResponse)
def change_status_form(
    request: Request,
    session: SessionDep,
    actor: Writer,
    commitment_id: int,
    status: FormCode = "",
    note: FormText = "",
    delivered_on: FormCode = "",
    evidence_kind: FormCode = "",
    evidence_url: Annotated[str, Form(max_length=2000)] = "",
    evidence_document_id: FormCode = "",
    evidence_project_id: FormCode = "",
    evidence_reference: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    values = {
        "status": status,
        "note": note,
        "delivered_on": delivered_on,
        "evidence_kind": evidence_kind,
        "evidence_url": evidence_url,
        "evidence_document_id": evidence_document_id,
        "evidence_project_id": evidence_project_id,
        "evidence_reference": evidence_reference,
    }
    try:
        change = forms.status_change(values)
        service.change_status(
            session=session, actor=actor, commitment_id=commitment_id, change=change
        )
    except (Invalid, Conflict, ValidationError) as refused:
        # Re-rendered rather than raised: undo whatever the attempt touched first.
        session.rollback()
        commitment = service.get_commitment(
            session=session, actor=actor, commitment_id=commitment_id
        )
        return render(
            request,
            "commitments/detail.html",
            _detail_context(
                session,
                actor,
                commitment,
                errors=forms.messages(refused),
                values=values,
            ),
            status_code=200 if is_htmx(request) else 422,
        )
    if is_htmx(request):
        commitment = service.get_commitment(
            session=session, actor=actor, commitment_id=commitment_id
        )
        return render(
            request,
            "commitments/detail.html",
            _detail_context(session, actor, commitment, saved=True),
        )
    return RedirectResponse(f"/commitments/{commitment_id}", status_code=303)


# --- the meeting page's fragment -----------------------------------------------------------------


def _meeting(session: Session, meeting_id: int) -> Any:
    try:
        return meetings.require_meeting(session=session, meeting_id=meeting_id)
    except Invalid:
        raise NotFound(f"no meeting with id {meeting_id}") from None


def _meeting_fragment(
    request: Request,
    session: Session,
    actor: Principal,
    meeting: Any,
    *,
    errors: list[FieldError] | None = None,
    values: dict[str, str] | None = None,
    saved: Commitment | None = None,
    status_code: int = 200,
) -> Response:
    rows, total = service.list_commitments(
        session=session,
        actor=actor,
        page=PageRequest(limit=MAX_LIMIT),
        meeting_id=meeting.id,
    )
    return render(
        request,
        "commitments/_meeting_commitments.html",
        {
            **_common(session, actor),
            "meeting": meeting,
            "commitments": rows,
            "total": total,
            "can_record": service.can_record(actor),
            "owed_by_choices": forms.party_choices(
                session=session, actor=actor, own_only=not actor.is_regional
            ),
            "owed_to_choices": forms.party_choices(session=session, actor=actor),
            "errors": errors or [],
            "values": values or {},
            "saved": saved,
        },
        status_code=status_code,
    )


@router.get("/meetings/{meeting_id}/commitments", response_class=HTMLResponse)
def meeting_commitments(
    request: Request, session: SessionDep, actor: Reader, meeting_id: int
) -> Response:
    return _meeting_fragment(request, session, actor, _meeting(session, meeting_id))


@router.post("/meetings/{meeting_id}/commitments", response_class=HTMLResponse)
def add_meeting_commitment(
    request: Request,
    session: SessionDep,
    actor: Writer,
    meeting_id: int,
    text: FormText = "",
    kind: FormCode = "",
    owed_by: FormCode = "",
    owed_to: FormCode = "",
    due_on: FormCode = "",
) -> Response:
    meeting = _meeting(session, meeting_id)
    values = {"text": text, "kind": kind, "owed_by": owed_by, "owed_to": owed_to, "due_on": due_on}
    try:
        commitment = service.create_commitment(
            session=session, actor=actor, commitment_in=forms.commitment_create(meeting.id, values)
        )
    except (Invalid, Conflict, ValidationError) as refused:
        session.rollback()
        return _meeting_fragment(
            request,
            session,
            actor,
            _meeting(session, meeting_id),
            errors=forms.messages(refused),
            values=values,
            status_code=200 if is_htmx(request) else 422,
        )
    if is_htmx(request):
        return _meeting_fragment(request, session, actor, meeting, saved=commitment)
    return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)
