"""API of the meetings part of the dialogue channel: series, meetings, agendas, documents."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings import agenda, documents, reads, search, series, service
from healthbridge.cooperation.meetings.calendars import calendar_events
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.cooperation.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemRead,
    AgendaItemUpdate,
    DocumentHitPage,
    DocumentKind,
    DocumentRead,
    MeetingCreate,
    MeetingDetail,
    MeetingPage,
    MeetingStatus,
    MeetingType,
    MeetingUpdate,
    SeriesCreate,
    SeriesPage,
    SeriesRead,
)
from healthbridge.db import utcnow
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.interop import ical
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["meetings"])
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.MEETING_WRITE))]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _detail(session: Session, actor: Principal, meeting: Meeting) -> MeetingDetail:
    fresh = service.get_meeting(session=session, actor=actor, meeting_id=meeting.id)
    return reads.meeting_detail(fresh, service.party_names(session=session, actor=actor))


# --- series -------------------------------------------------------------------------------------


@router.get("/meeting-series", response_model=SeriesPage, summary="List the meeting series")
def list_series(
    request: Request, response: Response, session: SessionDep, actor: Reader, page: PageDep
) -> SeriesPage:
    rows, total = series.list_series(session=session, actor=actor, page=page)
    add_link_header(request, response, page, total)
    return SeriesPage(
        items=[reads.series_read(s) for s in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/meeting-series",
    response_model=SeriesRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a meeting series",
)
def create_series(session: SessionDep, actor: Writer, body: SeriesCreate) -> SeriesRead:
    created = series.create_series(session=session, actor=actor, series_in=body)
    return reads.series_read(series.get_series(session=session, actor=actor, code=created.code))


@router.get("/meeting-series/{code}", response_model=SeriesRead, summary="One meeting series")
def get_series(session: SessionDep, actor: Reader, code: str) -> SeriesRead:
    return reads.series_read(series.get_series(session=session, actor=actor, code=code))


@router.post(
    "/meeting-series/{code}/schedule-next",
    response_model=MeetingDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Plan the next meeting of a series (200 with the planned one if it exists)",
)
def schedule_next(
    response: Response, session: SessionDep, actor: Writer, code: str
) -> MeetingDetail:
    found = series.get_series(session=session, actor=actor, code=code)
    meeting, created = series.schedule_next(session=session, actor=actor, series=found)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _detail(session, actor, meeting)


# --- meetings -----------------------------------------------------------------------------------


@router.get("/meetings", response_model=MeetingPage, summary="List meetings")
def list_meetings(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    meeting_type: Annotated[MeetingType | None, Query(alias="type")] = None,
    series_code: Annotated[str | None, Query(alias="series", max_length=40)] = None,
    country: Annotated[
        str | None, Query(max_length=3, description="Host, co-chair or participant (alpha-3)")
    ] = None,
    year: Annotated[int | None, Query(ge=1900, le=2999)] = None,
    meeting_status: Annotated[MeetingStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in title, theme, city")
    ] = None,
) -> MeetingPage:
    rows, total = service.list_meetings(
        session=session,
        actor=actor,
        page=page,
        meeting_type=meeting_type,
        series=series_code,
        country=country,
        year=year,
        status=meeting_status,
        q=q,
    )
    names = service.party_names(session=session, actor=actor)
    add_link_header(request, response, page, total)
    return MeetingPage(
        items=[reads.meeting_read(m, names) for m in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/meetings/calendar.ics",
    response_class=Response,
    summary="The meetings as an iCalendar (RFC 5545) feed",
    responses={200: {"content": {"text/calendar": {}}}},
)
def meetings_calendar(
    request: Request,
    session: SessionDep,
    actor: Reader,
    meeting_type: Annotated[MeetingType | None, Query(alias="type")] = None,
    series_code: Annotated[str | None, Query(alias="series", max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    meeting_status: Annotated[MeetingStatus | None, Query(alias="status")] = None,
) -> Response:
    meetings: list[Meeting] = []
    while True:
        rows, total = service.list_meetings(
            session=session,
            actor=actor,
            page=PageRequest(limit=MAX_LIMIT, offset=len(meetings), sort="starts_on"),
            meeting_type=meeting_type,
            series=series_code,
            country=country,
            status=meeting_status,
        )
        meetings.extend(rows)
        if not rows or len(meetings) >= total:
            break
    events = calendar_events(
        meetings,
        service.party_names(session=session, actor=actor),
        base_url=str(request.base_url).rstrip("/"),
    )
    return Response(
        ical.calendar(events, stamp=utcnow()),
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": 'inline; filename="healthbridge-meetings.ics"'},
    )


@router.post(
    "/meetings",
    response_model=MeetingDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Record a meeting with its co-chairs, participants, delegates and agenda",
)
def create_meeting(session: SessionDep, actor: Writer, body: MeetingCreate) -> MeetingDetail:
    meeting = service.create_meeting(session=session, actor=actor, meeting_in=body)
    return _detail(session, actor, meeting)


@router.get(
    "/meetings/{meeting_id}",
    response_model=MeetingDetail,
    summary="One meeting, with everything it holds and its documents' metadata",
)
def get_meeting(session: SessionDep, actor: Reader, meeting_id: int) -> MeetingDetail:
    meeting = service.get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    return reads.meeting_detail(meeting, service.party_names(session=session, actor=actor))


@router.patch("/meetings/{meeting_id}", response_model=MeetingDetail, summary="Change a meeting")
def update_meeting(
    session: SessionDep, actor: Writer, meeting_id: int, body: MeetingUpdate
) -> MeetingDetail:
    meeting = service.update_meeting(
        session=session, actor=actor, meeting_id=meeting_id, changes=body
    )
    return _detail(session, actor, meeting)


@router.post(
    "/meetings/{meeting_id}/agenda",
    response_model=AgendaItemRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an agenda item",
)
def add_agenda_item(
    session: SessionDep, actor: Writer, meeting_id: int, body: AgendaItemCreate
) -> AgendaItemRead:
    item = agenda.add_agenda_item(session=session, actor=actor, meeting_id=meeting_id, item_in=body)
    return AgendaItemRead.model_validate(item)


@router.patch(
    "/meetings/{meeting_id}/agenda/{item_id}",
    response_model=AgendaItemRead,
    summary="Change or move an agenda item (e.g. record its outcome)",
)
def update_agenda_item(
    session: SessionDep, actor: Writer, meeting_id: int, item_id: int, body: AgendaItemUpdate
) -> AgendaItemRead:
    item = agenda.update_agenda_item(
        session=session, actor=actor, meeting_id=meeting_id, item_id=item_id, changes=body
    )
    return AgendaItemRead.model_validate(item)


# --- documents ----------------------------------------------------------------------------------


@router.post(
    "/meetings/{meeting_id}/documents",
    response_model=DocumentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document of a meeting (200 with the stored one if the file is known)",
)
def upload_document(
    response: Response,
    session: SessionDep,
    actor: Writer,
    meeting_id: int,
    file: Annotated[UploadFile, File(description="The document")],
    kind: Annotated[str, Form(max_length=32, description="joint_statement, minutes, ...")],
    title: Annotated[str | None, Form(max_length=300)] = None,
    language: Annotated[str, Form(max_length=16)] = "en",
    text: Annotated[
        str | None, Form(description="The document's text, for formats it is not read from")
    ] = None,
) -> DocumentRead:
    document, created = documents.add_document(
        session=session,
        actor=actor,
        meeting_id=meeting_id,
        upload=documents.Upload(
            filename=file.filename or "document",
            content_type=file.content_type,
            content=file.file.read(),
            kind=kind,
            title=title,
            language=language,
            text=text,
        ),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return reads.document_read(document)


@router.get(
    "/documents",
    response_model=DocumentHitPage,
    summary="Search documents in full text (title and text), best first, with snippets",
)
def search_documents(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description='Words, "a phrase", or, -excluded; empty: all'),
    ] = None,
    meeting_id: int | None = None,
    kind: DocumentKind | None = None,
) -> DocumentHitPage:
    hits, total = search.search_documents(
        session=session, actor=actor, page=page, q=q, meeting_id=meeting_id, kind=kind
    )
    add_link_header(request, response, page, total)
    return DocumentHitPage(
        items=[reads.document_hit(h) for h in hits],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/documents/{document_id}", response_model=DocumentRead, summary="A document's data")
def get_document(session: SessionDep, actor: Reader, document_id: int) -> DocumentRead:
    return reads.document_read(
        documents.get_document(session=session, actor=actor, document_id=document_id)
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266, RFC 8187)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/documents/{document_id}/content",
    response_class=Response,
    summary="A document's content (ETag: its SHA-256)",
    # Served with the media type it was uploaded with (PDF, Word, plain text...).
    responses={
        200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        304: {"description": "Not modified: the If-None-Match ETag is current"},
    },
)
def get_document_content(
    request: Request, session: SessionDep, actor: Reader, document_id: int
) -> Response:
    document = documents.get_document(
        session=session, actor=actor, document_id=document_id, with_content=True
    )
    etag = f'"{document.checksum}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        # Served as a download; should a browser render it anyway, it runs nothing.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    presented = {t.strip() for t in request.headers.get("if-none-match", "").split(",")}
    if etag in presented or "*" in presented:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers["Content-Disposition"] = content_disposition(document.filename)
    return Response(document.content, media_type=document.media_type, headers=headers)
