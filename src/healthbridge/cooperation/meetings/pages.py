"""Pages of the meetings part: the calendar, a meeting, the new-meeting form, document search."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated, Any

from babel import Locale
from babel.dates import format_skeleton
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings import documents, search, series, service
from healthbridge.cooperation.meetings.calendars import (
    month_bounds,
    month_grid,
    parse_month,
)
from healthbridge.cooperation.meetings.forms import (
    DOCUMENT_KIND_LABELS,
    MEETING_TYPE_LABELS,
    STATUS_LABELS,
    MeetingForm,
)
from healthbridge.db import utcnow
from healthbridge.deps import Allow, SessionDep
from healthbridge.errors import Conflict, Invalid
from healthbridge.geography import service as geography
from healthbridge.language import current
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.MEETING_WRITE))]
FormText = Annotated[str, Form(max_length=4000)]
LIST_LENGTH = 20
SEARCH_PAGE = 20


def _party_names(session: Session, actor: Principal) -> service.PartyNames:
    """The service's names of the parties, with the countries' in the current language."""
    names = service.party_names(session=session, actor=actor)
    local = geography.country_names(session=session, actor=actor)
    return replace(
        names, countries={code: local.get(code, name) for code, name in names.countries.items()}
    )


def _month_label(first: dt.date) -> str:
    """The month and year as the current language writes them ("August 2024", "2024년 8월")."""
    return format_skeleton("yMMMM", first, locale=current())


def _weekdays() -> list[str]:
    """The short names of the days of the week, Monday first, in the current language."""
    days = Locale.parse(current()).days["format"]["abbreviated"]
    return [str(days[number]) for number in range(7)]


def _common(session: Session, actor: Principal) -> dict[str, Any]:
    return {
        "names": _party_names(session, actor),
        "type_labels": MEETING_TYPE_LABELS,
        "status_labels": STATUS_LABELS,
        "kind_labels": DOCUMENT_KIND_LABELS,
        "can_write": is_allowed(actor, Action.MEETING_WRITE),
    }


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    today = utcnow().date()
    first = parse_month(month, today=today)
    everything = PageRequest(limit=MAX_LIMIT, sort="starts_on")
    in_grid, _ = service.list_meetings(
        session=session, actor=actor, page=everything, between=month_bounds(first)
    )
    upcoming, upcoming_total = service.list_meetings(
        session=session,
        actor=actor,
        page=PageRequest(limit=LIST_LENGTH, sort="starts_on"),
        not_ended_before=today,
    )
    past, past_total = service.list_meetings(
        session=session,
        actor=actor,
        page=PageRequest(limit=LIST_LENGTH, sort="-starts_on"),
        ended_before=today,
    )
    return render(
        request,
        "meetings/meetings.html",
        {
            **_common(session, actor),
            "grid": month_grid(first, in_grid, today=today),
            "month_label": _month_label(first),
            "weekdays": _weekdays(),
            "upcoming": upcoming,
            "upcoming_total": upcoming_total,
            "past": past,
            "past_total": past_total,
        },
    )


def _form_page(
    request: Request, session: SessionDep, actor: Principal, form: MeetingForm, status: int = 200
) -> Response:
    all_series, _ = series.list_series(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    countries, _ = geography.list_countries(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    return render(
        request,
        "meetings/new.html",
        {**_common(session, actor), "form": form, "series": all_series, "countries": countries},
        status_code=status,
    )


@router.get("/meetings/new", response_class=HTMLResponse)
def new_meeting_page(request: Request, session: SessionDep, actor: Writer) -> Response:
    return _form_page(request, session, actor, MeetingForm())


@router.post("/meetings/new", response_class=HTMLResponse)
def create_meeting_from_form(
    request: Request,
    session: SessionDep,
    actor: Writer,
    title: FormText = "",
    meeting_type: FormText = "",
    series_code: Annotated[str, Form(alias="series", max_length=40)] = "",
    status: FormText = "planned",
    starts_on: FormText = "",
    ends_on: FormText = "",
    city: FormText = "",
    country_code: FormText = "",
    theme: FormText = "",
    co_chairs: Annotated[list[str] | None, Form(max_length=20)] = None,
    agenda: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    form = MeetingForm(
        title=title,
        meeting_type=meeting_type,
        series=series_code,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        city=city,
        country_code=country_code,
        theme=theme,
        co_chairs=co_chairs or [],
        agenda=agenda,
    )
    meeting_in = form.to_create()
    if meeting_in is not None:
        try:
            meeting = service.create_meeting(session=session, actor=actor, meeting_in=meeting_in)
        except (Invalid, Conflict) as refused:
            session.rollback()
            form.absorb(refused)
        else:
            return RedirectResponse(f"/meetings/{meeting.id}", status_code=303)
    return _form_page(request, session, actor, form, status=422)


def _meeting_page(
    request: Request,
    session: Session,
    actor: Principal,
    meeting_id: int,
    upload_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    meeting = service.get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    return render(
        request,
        "meetings/meeting.html",
        {
            **_common(session, actor),
            "meeting": meeting,
            "upload_errors": upload_errors or {},
        },
        status_code=status,
    )


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, session: SessionDep, actor: Reader, meeting_id: int) -> Response:
    return _meeting_page(request, session, actor, meeting_id)


@router.post("/meetings/{meeting_id}/documents", response_class=HTMLResponse)
def upload_document_from_form(
    request: Request,
    session: SessionDep,
    actor: Writer,
    meeting_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form(max_length=32)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    language: Annotated[str, Form(max_length=16)] = "en",
    text: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    try:
        documents.add_document(
            session=session,
            actor=actor,
            meeting_id=meeting_id,
            upload=documents.Upload(
                filename=(file.filename if file else None) or "document",
                content_type=file.content_type if file else None,
                content=file.file.read() if file else b"",
                kind=kind,
                title=title or None,
                language=language,
                text=text or None,
            ),
        )
    except Invalid as refused:
        session.rollback()
        errors = {e.field: e.message for e in refused.errors} or {"file": refused.detail}
        return _meeting_page(request, session, actor, meeting_id, errors, status=422)
    return RedirectResponse(f"/meetings/{meeting_id}#documents", status_code=303)


@router.get("/documents", response_class=HTMLResponse)
def documents_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    page = PageRequest(limit=SEARCH_PAGE, offset=offset)
    hits, total = search.search_documents(session=session, actor=actor, page=page, q=q)
    return render(
        request,
        "meetings/documents.html",
        {
            **_common(session, actor),
            "q": q or "",
            "hits": hits,
            "total": total,
            "page": page,
        },
    )
