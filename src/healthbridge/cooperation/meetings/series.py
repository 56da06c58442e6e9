"""Meeting series, the rotation of their co-chairs, and scheduling the next meeting.

The ASEAN–Republic of Korea Health Ministers' Meeting meets every two years, co-chaired by Korea
and by an ASEAN member state; the ASEAN co-chair rotates in English alphabetical order of the
member states' names (Indonesia in 2022, Lao PDR in 2024, so Malaysia in 2026).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.cooperation.meetings import service
from healthbridge.cooperation.meetings.models import Meeting, MeetingSeries
from healthbridge.cooperation.meetings.schemas import MeetingCreate, PartyIn, SeriesCreate
from healthbridge.errors import Conflict, FieldError, NotFound
from healthbridge.geography import service as geography
from healthbridge.paging import MAX_LIMIT, PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize

if TYPE_CHECKING:  # the geography service hands these out; only their type is named here
    from healthbridge.geography.models import Country

ASEAN = "ASEAN"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 31st becomes the month's last day where needed."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... ``11th``, ``12th``, ``13th``, ``21st``."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _asean_countries(*, session: Session, actor: Principal) -> list[Country]:
    """Every country that is or was an ASEAN member, with its memberships."""
    countries, _ = geography.list_countries(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT), group=ASEAN
    )
    return countries


def _member_on(country: Country, on: dt.date) -> bool:
    return any(
        m.group_code == ASEAN and m.since <= on and (m.until is None or on < m.until)
        for m in country.memberships
    )


def asean_members_on(*, session: Session, actor: Principal, on: dt.date) -> list[tuple[str, str]]:
    """``(code, English name)`` of the ASEAN member states on ``on``, in alphabetical order."""
    members = [
        (country.code, country.name_en)
        for country in _asean_countries(session=session, actor=actor)
        if _member_on(country, on)
    ]
    return sorted(members, key=lambda member: member[1])


def next_rotating_co_chair(
    *,
    session: Session,
    actor: Principal,
    series: MeetingSeries,
    on: dt.date,
    previous: Meeting | None,
) -> str | None:
    """The country whose turn it is to co-chair the meeting of ``series`` on ``on``.

    Under ``asean_alphabetical``: the first member state (on that day) whose English name comes
    after the name of the previous meeting's ASEAN co-chair, wrapping round to the start (so a
    state that joins or leaves takes or loses its place); the first member state when there was
    no previous ASEAN co-chair. ``None`` when the series does not rotate.
    """
    if series.rotation_rule != "asean_alphabetical":
        return None
    countries = _asean_countries(session=session, actor=actor)
    members = sorted((c.name_en, c.code) for c in countries if _member_on(c, on))
    if not members:
        return None
    names = {c.code: c.name_en for c in countries}
    last = None
    if previous is not None:
        last = next(
            (
                chair.country_code
                for chair in previous.co_chairs
                if chair.country_code in names and chair.country_code != series.fixed_co_chair_code
            ),
            None,
        )
    if last is None:
        return members[0][1]
    after = [code for name, code in members if name > names[last]]
    return after[0] if after else members[0][1]


def _series_options() -> list[object]:
    return [selectinload(MeetingSeries.meetings).selectinload(Meeting.co_chairs)]


def list_series(
    *, session: Session, actor: Principal, page: PageRequest
) -> tuple[list[MeetingSeries], int]:
    """The meeting series, by code."""
    authorize(actor, Action.COOPERATION_READ)
    query = select(MeetingSeries).options(*_series_options())  # type: ignore[arg-type]
    return paginate(
        session,
        query,
        page,
        sortable={"code": MeetingSeries.code, "name": MeetingSeries.name},
        default_sort="code",
    )


def get_series(*, session: Session, actor: Principal, code: str) -> MeetingSeries:
    """One series by code (case-insensitive); :class:`NotFound` when there is none."""
    authorize(actor, Action.COOPERATION_READ)
    series = service.find_series(session=session, code=code)
    if series is None:
        raise NotFound(f"no meeting series with code '{code}'")
    return series


def create_series(*, session: Session, actor: Principal, series_in: SeriesCreate) -> MeetingSeries:
    """Record a meeting series; :class:`Conflict` naming ``code`` when the code is taken."""
    authorize(actor, Action.MEETING_WRITE, object_type="meeting_series")
    code = series_in.code.upper()
    if service.find_series(session=session, code=code) is not None:
        raise Conflict(
            f"a meeting series with code '{code}' exists",
            errors=[FieldError("code", "already taken")],
        )
    series = MeetingSeries(
        code=code,
        name=series_in.name.strip(),
        meeting_type=series_in.meeting_type,
        rhythm_months=series_in.rhythm_months,
        fixed_co_chair_code=geography.require_country(
            session=session, code=series_in.fixed_co_chair_country, field="fixed_co_chair_country"
        ),
        rotation_rule=series_in.rotation_rule,
        description=(series_in.description or "").strip() or None,
    )
    session.add(series)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="meeting_series.create",
        object_type="meeting_series",
        object_id=series.code,
        detail={"name": series.name, "rhythm_months": series.rhythm_months},
    )
    return series


def schedule_next(
    *, session: Session, actor: Principal, series: MeetingSeries
) -> tuple[Meeting, bool]:
    """The next meeting of ``series``, planned; ``(meeting, created)``.

    It is due ``rhythm_months`` after the last meeting that was not cancelled, co-chaired by the
    series' fixed co-chair and the country whose turn it is, and held in that country. When the
    last meeting is itself still planned, it is the next one: it is returned, not duplicated.
    """
    authorize(actor, Action.MEETING_WRITE, object_type="meeting_series", object_id=series.code)
    meetings = session.scalars(
        select(Meeting)
        .where(Meeting.series_id == series.id, Meeting.status != "cancelled")
        .options(selectinload(Meeting.co_chairs))
        .order_by(Meeting.starts_on.desc(), Meeting.id.desc())
    ).all()
    if not meetings:
        raise Conflict(
            f"{series.code} has no meeting yet: record the first one, then schedule the next",
            errors=[FieldError("series", "no meeting to count from")],
        )
    last = meetings[0]
    if last.status == "planned":
        return last, False
    starts_on = add_months(last.starts_on, series.rhythm_months)
    ends_on = starts_on + (last.ends_on - last.starts_on)
    rotating = next_rotating_co_chair(
        session=session, actor=actor, series=series, on=starts_on, previous=last
    )
    co_chairs = [code for code in (series.fixed_co_chair_code, rotating) if code]
    host = rotating or series.fixed_co_chair_code or last.country_code
    # Numbers are never reused, not even those of cancelled meetings.
    number = (
        session.scalar(
            select(func.max(Meeting.number_in_series)).where(Meeting.series_id == series.id)
        )
        or 0
    ) + 1
    meeting = service.create_meeting(
        session=session,
        actor=actor,
        meeting_in=MeetingCreate(
            title=f"{ordinal(number)} {series.name}",
            meeting_type=series.meeting_type,
            series=series.code,
            number_in_series=number,
            status="planned",
            starts_on=starts_on,
            ends_on=ends_on,
            country_code=host,
            co_chairs=[PartyIn(country_code=code) for code in co_chairs],
            source_note=(
                f"Scheduled by HealthBridge: {series.rhythm_months} months after the "
                f"{ordinal(last.number_in_series or number - 1)} meeting; dates and venue "
                "to be confirmed."
            ),
        ),
    )
    audit.record(
        session=session,
        actor=actor,
        action="meeting_series.schedule_next",
        object_type="meeting_series",
        object_id=series.code,
        country=host,
        detail={
            "meeting_id": meeting.id,
            "starts_on": starts_on.isoformat(),
            "co_chairs": co_chairs,
        },
    )
    return meeting, True
