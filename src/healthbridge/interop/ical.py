"""iCalendar (RFC 5545) for meetings: a pure function from plain records to calendar text.

Only what a published meeting calendar needs: one ``VCALENDAR`` with all-day ``VEVENT``s. Written
by hand rather than with a library because the rules are few and exact:

- content lines end with CRLF (RFC 5545 section 3.1);
- lines longer than 75 octets are folded: CRLF followed by one space, never inside a UTF-8
  sequence (section 3.1);
- TEXT values escape backslash, semicolon, comma and newline (section 3.3.11);
- all-day events have ``DTSTART;VALUE=DATE`` and an exclusive ``DTEND`` (section 3.6.1);
- ``DTSTAMP`` is a UTC date-time (section 3.8.7.2).

No database, no web: callers turn their records into :class:`CalendarEvent` first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

CRLF = "\r\n"
#: Octets per content line, not counting the line break (RFC 5545 section 3.1).
MAX_LINE_OCTETS = 75
EventStatus = Literal["TENTATIVE", "CONFIRMED", "CANCELLED"]
#: Control characters are not allowed in TEXT values (RFC 5545 section 3.3.11), except the
#: newline, which is escaped; tabs are allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    """An all-day event: ``ends_on`` is the last day (inclusive), as meetings record it."""

    uid: str
    starts_on: dt.date
    ends_on: dt.date
    summary: str
    status: EventStatus
    location: str | None = None
    description: str | None = None
    url: str | None = None
    last_modified: dt.datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 section 3.3.11); line breaks become ``\\n``."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def unescape_text(value: str) -> str:
    """The inverse of :func:`escape_text` (``\\N`` is read as a newline too)."""
    out: list[str] = []
    characters = iter(value)
    for character in characters:
        if character != "\\":
            out.append(character)
            continue
        following = next(characters, "")
        out.append("\n" if following in ("n", "N") else following)
    return "".join(out)


def fold_line(line: str) -> str:
    """One content line folded into chunks of at most 75 octets, joined by CRLF and a space.

    Chunks end on UTF-8 character boundaries: a multi-byte character is never split.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    limit = MAX_LINE_OCTETS
    for character in line:
        width = len(character.encode("utf-8"))
        if size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
            limit = MAX_LINE_OCTETS - 1  # continuation lines start with a space
        current.append(character)
        size += width
    chunks.append("".join(current))
    return (CRLF + " ").join(chunks)


def unfold(text: str) -> list[str]:
    """The content lines of calendar text: folds removed, CRLF line ends split off."""
    return text.replace(CRLF + " ", "").replace(CRLF + "\t", "").split(CRLF)[:-1]


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("iCalendar time stamps need an aware datetime")
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_lines(event: CalendarEvent, stamp: dt.datetime) -> list[str]:
    if event.ends_on < event.starts_on:
        raise ValueError(f"event {event.uid} ends before it starts")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART;VALUE=DATE:{_date(event.starts_on)}",
        # DTEND is exclusive: the day after the last day of the meeting.
        f"DTEND;VALUE=DATE:{_date(event.ends_on + dt.timedelta(days=1))}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{event.status}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.last_modified)}")
    lines.append("TRANSP:TRANSPARENT")
    lines.append("END:VEVENT")
    return lines


def calendar(
    events: Iterable[CalendarEvent],
    *,
    stamp: dt.datetime,
    name: str = "HealthBridge meetings",
    product_id: str = "-//HealthBridge//Meetings//EN",
) -> str:
    """An RFC 5545 ``VCALENDAR`` with one ``VEVENT`` per event, CRLF-terminated and folded.

    ``stamp`` (aware) is the ``DTSTAMP`` of every event: when the calendar was produced.
    """
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{product_id}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + CRLF for line in lines)
