"""iCalendar (RFC 5545) by hand: structure, escaping, folding, and properties that always hold."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthbridge.interop import ical

STAMP = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


def event(**overrides: object) -> ical.CalendarEvent:
    values: dict[str, object] = {
        "uid": "meeting-7@healthbridge",
        "starts_on": dt.date(2024, 8, 29),
        "ends_on": dt.date(2024, 8, 30),
        "summary": "2nd ASEAN–Republic of Korea Health Ministers' Meeting",
        "status": "CONFIRMED",
        "location": "Vientiane, Lao PDR",
        "description": "Theme; with, specials\\ and\nlines",
    }
    values.update(overrides)
    return ical.CalendarEvent(**values)  # type: ignore[arg-type]


def test_a_calendar_with_one_event() -> None:
    text = ical.calendar([event()], stamp=STAMP)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert ical.unfold(text) == [
        "BEGIN:VCALENDAR",
        "PRODID:-//HealthBridge//Meetings//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:HealthBridge meetings",
        "BEGIN:VEVENT",
        "UID:meeting-7@healthbridge",
        "DTSTAMP:20261126T093000Z",
        "DTSTART;VALUE=DATE:20240829",
        "DTEND;VALUE=DATE:20240831",
        "SUMMARY:2nd ASEAN–Republic of Korea Health Ministers' Meeting",
        "STATUS:CONFIRMED",
        "LOCATION:Vientiane\\, Lao PDR",
        "DESCRIPTION:Theme\\; with\\, specials\\\\ and\\nlines",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_optional_properties_and_an_empty_calendar() -> None:
    minimal = event(location=None, description=None, status="TENTATIVE")
    lines = ical.unfold(
        ical.calendar(
            [minimal],
            stamp=STAMP,
            name="Planned",
        )
    )
    assert not any(line.startswith(("LOCATION", "DESCRIPTION", "URL")) for line in lines)
    assert "STATUS:TENTATIVE" in lines
    assert "X-WR-CALNAME:Planned" in lines
    detailed = event(
        url="https://example.org/meetings/7",
        last_modified=dt.datetime(2024, 9, 1, 1, 2, 3, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    lines = ical.unfold(ical.calendar([detailed], stamp=STAMP))
    assert "URL:https://example.org/meetings/7" in lines
    assert "LAST-MODIFIED:20240831T180203Z" in lines
    assert ical.unfold(ical.calendar([], stamp=STAMP)).count("BEGIN:VEVENT") == 0


def test_a_one_day_event_ends_the_next_day() -> None:
    lines = ical.unfold(ical.calendar([event(ends_on=dt.date(2024, 8, 29))], stamp=STAMP))
    assert "DTEND;VALUE=DATE:20240830" in lines


def test_bad_events_and_stamps_are_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        ical.calendar([event(ends_on=dt.date(2024, 8, 1))], stamp=STAMP)
    with pytest.raises(ValueError, match="aware"):
        ical.calendar([event()], stamp=dt.datetime(2026, 1, 1))


def test_escaping() -> None:
    assert ical.escape_text("a\\b;c,d\ne\r\nf\rg") == "a\\\\b\\;c\\,d\\ne\\nf\\ng"
    assert ical.escape_text("tab\tkept, bell\x07 dropped") == "tab\tkept\\, bell dropped"
    assert ical.unescape_text("a\\\\b\\;c\\,d\\ne\\Nf") == "a\\b;c,d\ne\nf"


def test_folding_never_splits_a_character() -> None:
    line = "SUMMARY:" + "한국" * 40  # three octets each
    folded = ical.fold_line(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert ical.fold_line("x" * 75) == "x" * 75
    assert ical.fold_line("x" * 76) == "x" * 75 + "\r\n x"


# --- properties ---------------------------------------------------------------------------------

#: Text as people type it: any character but the control characters RFC 5545 forbids in TEXT
#: (the newline, allowed, is escaped) and lone surrogates, which UTF-8 cannot encode.
texts = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10)) + "\x7f",
    ),
    max_size=300,
)
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 1))


@st.composite
def events(draw: st.DrawFn) -> ical.CalendarEvent:
    starts_on = draw(days)
    return ical.CalendarEvent(
        uid=f"meeting-{draw(st.integers(1, 10**9))}@healthbridge",
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=draw(st.integers(0, 20))),
        summary=draw(texts),
        status=draw(st.sampled_from(["TENTATIVE", "CONFIRMED", "CANCELLED"])),
        location=draw(st.none() | texts),
        description=draw(st.none() | texts),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(events(), max_size=5))
def test_every_line_is_at_most_75_octets_and_crlf_terminated(
    items: list[ical.CalendarEvent],
) -> None:
    raw = ical.calendar(items, stamp=STAMP).encode("utf-8")
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines)
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    raw.decode("utf-8")  # folding split no character


@settings(max_examples=300, deadline=None)
@given(events())
def test_unfolding_and_unescaping_gives_back_the_text(item: ical.CalendarEvent) -> None:
    lines = ical.unfold(ical.calendar([item], stamp=STAMP))
    values = {}
    for line in lines:
        name, _, value = line.partition(":")
        values[name] = value
    assert ical.unescape_text(values["SUMMARY"]) == item.summary
    if item.location:
        assert ical.unescape_text(values["LOCATION"]) == item.location
    if item.description:
        assert ical.unescape_text(values["DESCRIPTION"]) == item.description
    assert values["STATUS"] == item.status
    assert values["DTSTART;VALUE=DATE"] == item.starts_on.strftime("%Y%m%d")
    end = dt.datetime.strptime(values["DTEND;VALUE=DATE"], "%Y%m%d").date()
    assert end == item.ends_on + dt.timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_fold_then_unfold_is_identity(text: str) -> None:
    line = "X:" + text.replace("\r", "").replace("\n", "")
    folded = ical.fold_line(line)
    assert ical.unfold(folded + "\r\n") == [line]
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))


@given(texts)
def test_escape_then_unescape_is_identity(text: str) -> None:
    escaped = ical.escape_text(text)
    assert "\n" not in escaped
    assert ical.unescape_text(escaped) == text
