"""Rows into what the API answers: codes completed with names, documents with their links."""

from __future__ import annotations

from healthbridge.cooperation.meetings.models import (
    CoChair,
    Document,
    Meeting,
    MeetingSeries,
    Participant,
)
from healthbridge.cooperation.meetings.schemas import (
    AgendaItemRead,
    DelegateRead,
    DocumentHit,
    DocumentRead,
    MeetingDetail,
    MeetingRead,
    MeetingRef,
    ParticipantRead,
    PartyRead,
    SeriesRead,
)
from healthbridge.cooperation.meetings.search import Hit
from healthbridge.cooperation.meetings.service import PartyNames

API = "/api/v1"


def party_read(party: CoChair | Participant, names: PartyNames) -> PartyRead:
    if party.country_code is not None:
        return PartyRead(
            kind="country", code=party.country_code, name=names.country(party.country_code)
        )
    assert party.organisation_code is not None
    return PartyRead(
        kind="organisation",
        code=party.organisation_code,
        name=names.organisation(party.organisation_code),
    )


def document_read(document: Document) -> DocumentRead:
    return DocumentRead(
        id=document.id,
        meeting_id=document.meeting_id,
        kind=document.kind,
        title=document.title,
        language=document.language,
        filename=document.filename,
        media_type=document.media_type,
        size=document.size,
        checksum=document.checksum,
        has_text=bool(document.text),
        uploaded_at=document.uploaded_at,
        uploaded_by=document.uploaded_by,
        content_url=f"{API}/documents/{document.id}/content",
    )


def document_hit(hit: Hit) -> DocumentHit:
    return DocumentHit(
        **document_read(hit.document).model_dump(),
        meeting_title=hit.meeting_title,
        rank=hit.rank,
        snippet_html=hit.snippet_html,
    )


def meeting_read(meeting: Meeting, names: PartyNames) -> MeetingRead:
    return MeetingRead(
        id=meeting.id,
        title=meeting.title,
        meeting_type=meeting.meeting_type,
        series=meeting.series.code if meeting.series else None,
        number_in_series=meeting.number_in_series,
        status=meeting.status,
        starts_on=meeting.starts_on,
        ends_on=meeting.ends_on,
        city=meeting.city,
        country_code=meeting.country_code,
        country_name=names.country(meeting.country_code),
        theme=meeting.theme,
        co_chairs=[party_read(c, names) for c in meeting.co_chairs],
    )


def meeting_detail(meeting: Meeting, names: PartyNames) -> MeetingDetail:
    return MeetingDetail(
        **meeting_read(meeting, names).model_dump(),
        source_note=meeting.source_note,
        participants=[
            ParticipantRead(**party_read(p, names).model_dump(), role=p.role)
            for p in meeting.participants
        ],
        delegates=[
            DelegateRead(
                id=d.id,
                full_name=d.full_name,
                title=d.title,
                country_code=d.country_code,
                organisation_code=d.organisation_code,
            )
            for d in meeting.delegates
        ],
        agenda=[AgendaItemRead.model_validate(item) for item in meeting.agenda],
        documents=[document_read(d) for d in meeting.documents],
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
    )


def series_read(series: MeetingSeries) -> SeriesRead:
    return SeriesRead(
        id=series.id,
        code=series.code,
        name=series.name,
        meeting_type=series.meeting_type,
        rhythm_months=series.rhythm_months,
        fixed_co_chair_country=series.fixed_co_chair_code,
        rotation_rule=series.rotation_rule,
        description=series.description,
        meetings=[
            MeetingRef(
                id=m.id,
                title=m.title,
                starts_on=m.starts_on,
                status=m.status,
                number_in_series=m.number_in_series,
            )
            for m in series.meetings
        ],
    )
