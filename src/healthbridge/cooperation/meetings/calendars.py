"""Meetings on calendars: the month grid of the meetings page, and the iCalendar feed."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.cooperation.meetings.service import PartyNames
from healthbridge.errors import FieldError, Invalid
from healthbridge.interop import ical

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ICAL_STATUS: dict[str, ical.EventStatus] = {
    "planned": "TENTATIVE",
    "held": "CONFIRMED",
    "cancelled": "CANCELLED",
}
FIRST_YEAR, LAST_YEAR = 1900, 2999
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_month(value: str | None, *, today: dt.date) -> dt.date:
    """The first day of the month ``YYYY-MM`` (default: this month); :class:`Invalid` naming
    ``month`` otherwise."""
    if not value:
        return today.replace(day=1)
    match = MONTH.match(value.strip())
    if (
        match is None
        or not 1 <= int(match.group(2)) <= 12
        or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR
    ):
        raise Invalid(
            f"'{value}' is not a month the calendar shows",
            errors=[
                FieldError(
                    "month", f"a month as YYYY-MM, e.g. 2026-08, {FIRST_YEAR} to {LAST_YEAR}"
                )
            ],
        )
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


@dataclass(frozen=True)
class Day:
    day: dt.date
    in_month: bool
    is_today: bool
    meetings: list[Meeting]


@dataclass(frozen=True)
class MonthGrid:
    """Weeks (Monday first) covering a month, each day with the meetings held on it."""

    first: dt.date
    weeks: list[list[Day]]
    previous: str
    next: str

    @property
    def label(self) -> str:
        return self.first.strftime("%B %Y")

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def last(self) -> dt.date:
        return self.first.replace(day=calendar.monthrange(self.first.year, self.first.month)[1])


def month_bounds(first: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day the grid of the month shows (whole weeks)."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return weeks[0][0], weeks[-1][-1]


def _shift(first: dt.date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def month_grid(first: dt.date, meetings: Sequence[Meeting], *, today: dt.date) -> MonthGrid:
    """The grid of the month starting on ``first``, with ``meetings`` on the days they run."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ordered = sorted(meetings, key=lambda m: (m.starts_on, m.title))
    return MonthGrid(
        first=first,
        weeks=[
            [
                Day(
                    day=day,
                    in_month=day.month == first.month,
                    is_today=day == today,
                    meetings=[m for m in ordered if m.starts_on <= day <= m.ends_on],
                )
                for day in week
            ]
            for week in weeks
        ],
        previous=_shift(first, -1),
        next=_shift(first, 1),
    )


def calendar_events(
    meetings: Sequence[Meeting], names: PartyNames, *, base_url: str
) -> list[ical.CalendarEvent]:
    """The meetings as all-day iCalendar events; the UID of a meeting never changes."""
    events = []
    for meeting in meetings:
        place = ", ".join(p for p in (meeting.city, names.country(meeting.country_code)) if p)
        chairs = ", ".join(
            names.country(c.country_code)
            if c.country_code
            else names.organisation(c.organisation_code or "")
            for c in meeting.co_chairs
        )
        description = "\n".join(
            line
            for line in (
                meeting.theme,
                f"Co-chairs: {chairs}" if chairs else None,
                f"Status: {meeting.status}",
                f"{base_url}/meetings/{meeting.id}",
            )
            if line
        )
        events.append(
            ical.CalendarEvent(
                uid=f"meeting-{meeting.id}@healthbridge",
                starts_on=meeting.starts_on,
                ends_on=meeting.ends_on,
                summary=meeting.title,
                status=ICAL_STATUS[meeting.status],
                location=place or None,
                description=description,
                url=f"{base_url}/meetings/{meeting.id}",
                last_modified=meeting.updated_at,
            )
        )
    return events
