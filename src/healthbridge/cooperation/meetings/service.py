"""Meetings of the dialogue channel: the operations other parts rely on come first.

Series and their scheduling are in :mod:`.series`, documents in :mod:`.documents`, their search in
:mod:`.search`. Meetings are regional records: everyone reads them; the Secretariat, the
administrators and the focal points write them (``Action.MEETING_WRITE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.cooperation.meetings.models import (
    AgendaItem,
    CoChair,
    Delegate,
    Document,
    Meeting,
    MeetingSeries,
    Participant,
)
from healthbridge.cooperation.meetings.schemas import (
    AgendaItemIn,
    DelegateIn,
    MeetingCreate,
    MeetingUpdate,
    ParticipantIn,
    PartyIn,
)
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import MAX_LIMIT, PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize


def require_meeting(
    *, session: Session, meeting_id: int | None, field: str = "meeting_id"
) -> Meeting | None:
    """The meeting with this id, for input that refers to one; :class:`Invalid` when unknown."""
    if meeting_id is None:
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise Invalid(
            f"unknown meeting {meeting_id}", errors=[FieldError(field, "unknown meeting")]
        )
    return meeting


def require_document(
    *, session: Session, document_id: int | None, field: str = "document_id"
) -> Document | None:
    """The document with this id, for input that refers to one; :class:`Invalid` when unknown."""
    if document_id is None:
        return None
    document = session.get(Document, document_id)
    if document is None:
        raise Invalid(
            f"unknown document {document_id}", errors=[FieldError(field, "unknown document")]
        )
    return document


def find_meeting(*, session: Session, title: str, starts_on: dt.date) -> Meeting | None:
    """The meeting with exactly this title and start date (demo data finds meetings so)."""
    return session.scalars(
        select(Meeting).where(Meeting.title == title, Meeting.starts_on == starts_on)
    ).first()


# --- names of the parties -----------------------------------------------------------------------


@dataclass(frozen=True)
class PartyNames:
    """English names of the served countries and of the organisations, by code."""

    countries: dict[str, str]
    organisations: dict[str, str]

    def country(self, code: str) -> str:
        return self.countries.get(code, code)

    def organisation(self, code: str) -> str:
        return self.organisations.get(code, code)


def party_names(*, session: Session, actor: Principal) -> PartyNames:
    """The names meetings show for the codes they store."""
    everything = PageRequest(limit=MAX_LIMIT)
    countries, _ = geography.list_countries(session=session, actor=actor, page=everything)
    orgs, _ = organisations.list_organisations(session=session, actor=actor, page=everything)
    return PartyNames(
        countries={c.code: c.name_en for c in countries},
        organisations={o.code: o.acronym or o.name_en for o in orgs},
    )


# --- reading ------------------------------------------------------------------------------------

_LOAD_LIST = (selectinload(Meeting.co_chairs), selectinload(Meeting.series))
_LOAD_DETAIL = (
    *_LOAD_LIST,
    selectinload(Meeting.participants),
    selectinload(Meeting.delegates),
    selectinload(Meeting.agenda),
    selectinload(Meeting.documents),
)


def get_meeting(*, session: Session, actor: Principal, meeting_id: int) -> Meeting:
    """One meeting with everything it holds; :class:`NotFound` when there is none."""
    authorize(actor, Action.COOPERATION_READ)
    meeting = session.get(Meeting, meeting_id, options=_LOAD_DETAIL)
    if meeting is None:
        raise NotFound(f"no meeting with id {meeting_id}")
    return meeting


def find_series(*, session: Session, code: str) -> MeetingSeries | None:
    """The series with this code (case-insensitive)."""
    return session.scalars(
        select(MeetingSeries).where(MeetingSeries.code == code.strip().upper())
    ).first()


def require_series(*, session: Session, code: str | None, field: str = "series") -> MeetingSeries:
    """The series named in input; :class:`Invalid` naming ``field`` when unknown."""
    series = find_series(session=session, code=code or "")
    if series is None:
        raise Invalid(
            f"unknown meeting series '{code}'",
            errors=[FieldError(field, f"'{code}' is not the code of a meeting series")],
        )
    return series


def _filtered(
    query: Select[Any],
    *,
    session: Session,
    meeting_type: str | None,
    series: str | None,
    country: str | None,
    year: int | None,
    status: str | None,
    q: str | None,
    between: tuple[dt.date, dt.date] | None,
    ended_before: dt.date | None,
    not_ended_before: dt.date | None,
) -> Select[Any]:
    if meeting_type:
        query = query.where(Meeting.meeting_type == meeting_type)
    if series:
        query = query.where(Meeting.series_id == require_series(session=session, code=series).id)
    if country:
        code = geography.require_country(session=session, code=country, field="country")
        query = query.where(
            or_(
                Meeting.country_code == code,
                Meeting.co_chairs.any(CoChair.country_code == code),
                Meeting.participants.any(Participant.country_code == code),
            )
        )
    if year is not None:
        query = query.where(
            Meeting.starts_on >= dt.date(year, 1, 1), Meeting.starts_on <= dt.date(year, 12, 31)
        )
    if status:
        query = query.where(Meeting.status == status)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Meeting.title.ilike(pattern, escape="\\"),
                Meeting.theme.ilike(pattern, escape="\\"),
                Meeting.city.ilike(pattern, escape="\\"),
            )
        )
    if between is not None:
        first, last = between
        query = query.where(Meeting.starts_on <= last, Meeting.ends_on >= first)
    if ended_before is not None:
        query = query.where(Meeting.ends_on < ended_before)
    if not_ended_before is not None:
        query = query.where(Meeting.ends_on >= not_ended_before)
    return query


def list_meetings(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    meeting_type: str | None = None,
    series: str | None = None,
    country: str | None = None,
    year: int | None = None,
    status: str | None = None,
    q: str | None = None,
    between: tuple[dt.date, dt.date] | None = None,
    ended_before: dt.date | None = None,
    not_ended_before: dt.date | None = None,
) -> tuple[list[Meeting], int]:
    """Meetings, newest first by default, filtered.

    ``country`` matches the host country, a co-chair or a participant; ``between`` (first, last
    day) keeps the meetings that overlap those days; ``ended_before`` the past meetings and
    ``not_ended_before`` the current and coming ones.
    """
    authorize(actor, Action.COOPERATION_READ)
    query = _filtered(
        select(Meeting).options(*_LOAD_LIST),
        session=session,
        meeting_type=meeting_type,
        series=series,
        country=country,
        year=year,
        status=status,
        q=q,
        between=between,
        ended_before=ended_before,
        not_ended_before=not_ended_before,
    )
    return paginate(
        session,
        query,
        page,
        sortable={
            "starts_on": Meeting.starts_on,
            "title": Meeting.title,
            "id": Meeting.id,
            "status": Meeting.status,
        },
        default_sort="-starts_on",
    )


# --- writing ------------------------------------------------------------------------------------


def _party(
    session: Session, actor: Principal, party: PartyIn | DelegateIn, field: str
) -> tuple[str | None, str | None]:
    """``(country_code, organisation_code)`` of a party, each checked against reference data."""
    country = geography.require_country(
        session=session, code=party.country_code, field=f"{field}.country_code"
    )
    organisation = None
    if party.organisation_code is not None:
        try:
            organisation = organisations.get_organisation(
                session=session, actor=actor, code=party.organisation_code.strip()
            ).code
        except NotFound:
            raise Invalid(
                f"unknown organisation '{party.organisation_code}'",
                errors=[
                    FieldError(
                        f"{field}.organisation_code",
                        f"'{party.organisation_code}' is not the code of an organisation",
                    )
                ],
            ) from None
    return country, organisation


def _parties(
    session: Session, actor: Principal, parties: Sequence[PartyIn], field: str
) -> list[tuple[str | None, str | None]]:
    found: list[tuple[str | None, str | None]] = []
    for index, party in enumerate(parties):
        key = _party(session, actor, party, f"{field}[{index}]")
        if key in found:
            raise Invalid(
                f"{key[0] or key[1]} is listed twice in {field}",
                errors=[FieldError(f"{field}[{index}]", "listed twice")],
            )
        found.append(key)
    return found


def _set_co_chairs(
    session: Session, actor: Principal, meeting: Meeting, parties: Sequence[PartyIn]
) -> None:
    keys = _parties(session, actor, parties, "co_chairs")
    meeting.co_chairs = [
        CoChair(position=n, country_code=country, organisation_code=organisation)
        for n, (country, organisation) in enumerate(keys, 1)
    ]


def _set_participants(
    session: Session, actor: Principal, meeting: Meeting, parties: Sequence[ParticipantIn]
) -> None:
    keys = _parties(session, actor, parties, "participants")
    meeting.participants = [
        Participant(position=n, country_code=country, organisation_code=org, role=party.role)
        for n, ((country, org), party) in enumerate(zip(keys, parties, strict=True), 1)
    ]


def _set_delegates(
    session: Session, actor: Principal, meeting: Meeting, delegates: Sequence[DelegateIn]
) -> None:
    rows = []
    for n, delegate in enumerate(delegates, 1):
        country, organisation = _party(session, actor, delegate, f"delegates[{n - 1}]")
        rows.append(
            Delegate(
                position=n,
                full_name=delegate.full_name.strip(),
                title=delegate.title,
                country_code=country,
                organisation_code=organisation,
            )
        )
    meeting.delegates = rows


def _check_dates(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise Invalid(
            "a meeting cannot end before it starts",
            errors=[FieldError("ends_on", f"on or after starts_on ({starts_on.isoformat()})")],
        )


def _check_unique_title(session: Session, meeting: Meeting) -> None:
    clash = find_meeting(session=session, title=meeting.title, starts_on=meeting.starts_on)
    if clash is not None and clash is not meeting:
        raise Conflict(
            f"meeting {clash.id} already has this title and start date",
            errors=[FieldError("title", "a meeting with this title starts on the same day")],
        )


def _place_in_series(
    session: Session, meeting: Meeting, series: MeetingSeries | None, number: int | None
) -> None:
    if series is None and number is not None:
        raise Invalid(
            "a number in a series needs the series",
            errors=[FieldError("number_in_series", "give the series too")],
        )
    if series is None:
        meeting.series_id = None
        if meeting in session:
            meeting.series = None
        meeting.number_in_series = None
        return
    if number is None:
        highest = session.scalar(
            select(func.max(Meeting.number_in_series)).where(Meeting.series_id == series.id)
        )
        number = (highest or 0) + 1
    clash = session.scalars(
        select(Meeting).where(Meeting.series_id == series.id, Meeting.number_in_series == number)
    ).first()
    if clash is not None and clash is not meeting:
        raise Conflict(
            f"meeting {clash.id} is already number {number} of {series.code}",
            errors=[FieldError("number_in_series", f"{series.code} already has number {number}")],
        )
    meeting.series_id = series.id
    if meeting in session:
        meeting.series = series
    # A new meeting is linked by its key only: the relationship would put it into the series'
    # loaded collection, and so into the session, before it is valid.
    meeting.number_in_series = number


def clean(text: str | None) -> str | None:
    """Text trimmed; ``None`` when nothing is left."""
    return (text or "").strip() or None


def create_meeting(*, session: Session, actor: Principal, meeting_in: MeetingCreate) -> Meeting:
    """Record a meeting with its co-chairs, participants, delegates and agenda."""
    authorize(actor, Action.MEETING_WRITE, object_type="meeting")
    ends_on = meeting_in.ends_on or meeting_in.starts_on
    _check_dates(meeting_in.starts_on, ends_on)
    country = geography.require_country(
        session=session, code=meeting_in.country_code, field="country_code"
    )
    assert country is not None
    series = require_series(session=session, code=meeting_in.series) if meeting_in.series else None
    meeting = Meeting(
        title=meeting_in.title.strip(),
        meeting_type=meeting_in.meeting_type,
        status=meeting_in.status,
        starts_on=meeting_in.starts_on,
        ends_on=ends_on,
        city=clean(meeting_in.city),
        country_code=country,
        theme=clean(meeting_in.theme),
        source_note=clean(meeting_in.source_note),
    )
    _check_unique_title(session, meeting)
    _place_in_series(session, meeting, series, meeting_in.number_in_series)
    _set_co_chairs(session, actor, meeting, meeting_in.co_chairs)
    _set_participants(session, actor, meeting, meeting_in.participants)
    _set_delegates(session, actor, meeting, meeting_in.delegates)
    meeting.agenda = [
        agenda_row(item, position) for position, item in enumerate(meeting_in.agenda, 1)
    ]
    session.add(meeting)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="meeting.create",
        object_type="meeting",
        object_id=meeting.id,
        country=meeting.country_code,
        detail={
            "title": meeting.title,
            "starts_on": meeting.starts_on.isoformat(),
            "series": series.code if series else None,
            "number_in_series": meeting.number_in_series,
            "agenda_items": len(meeting.agenda),
        },
    )
    return meeting


_SCALARS = ("title", "meeting_type", "status", "starts_on", "ends_on", "city", "theme")


def update_meeting(
    *, session: Session, actor: Principal, meeting_id: int, changes: MeetingUpdate
) -> Meeting:
    """Change a meeting: the fields given, and the lists given (which replace the old ones)."""
    authorize(actor, Action.MEETING_WRITE, object_type="meeting", object_id=str(meeting_id))
    meeting = get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    given = changes.model_fields_set
    required = {"title", "meeting_type", "status", "starts_on", "ends_on", "country_code"}
    for name in sorted(given & required):
        if getattr(changes, name) is None:
            raise Invalid(f"{name} cannot be removed", errors=[FieldError(name, "required")])
    for name in _SCALARS:
        if name in given:
            value = getattr(changes, name)
            setattr(meeting, name, clean(value) if name in ("city", "theme") else value)
    if "title" in given:
        meeting.title = meeting.title.strip()
    if "source_note" in given:
        meeting.source_note = clean(changes.source_note)
    if "country_code" in given:
        country = geography.require_country(
            session=session, code=changes.country_code, field="country_code"
        )
        assert country is not None
        meeting.country_code = country
    _check_dates(meeting.starts_on, meeting.ends_on)
    _check_unique_title(session, meeting)
    if "series" in given or "number_in_series" in given:
        series = meeting.series
        if "series" in given:
            series = (
                require_series(session=session, code=changes.series) if changes.series else None
            )
        number = changes.number_in_series if "number_in_series" in given else None
        if number is None and series is not None and series is meeting.series:
            number = meeting.number_in_series
        _place_in_series(session, meeting, series, number)
    for name, setter in (
        ("co_chairs", _set_co_chairs),
        ("participants", _set_participants),
        ("delegates", _set_delegates),
    ):
        value = getattr(changes, name)
        if name in given:
            setter(session, actor, meeting, value or [])
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="meeting.update",
        object_type="meeting",
        object_id=meeting.id,
        country=meeting.country_code,
        detail={"fields": sorted(given)},
    )
    return meeting


# --- agenda -------------------------------------------------------------------------------------


def agenda_row(item: AgendaItemIn, position: int) -> AgendaItem:
    """A new agenda item at ``position``, its texts trimmed."""
    return AgendaItem(
        position=position,
        title=item.title.strip(),
        presenter=clean(item.presenter),
        outcome=clean(item.outcome),
    )
