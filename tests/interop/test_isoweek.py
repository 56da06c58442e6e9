"""ISO 8601 weeks: parsing (ISO and DHIS2 spellings), formatting, Mondays, 52- and 53-week years,
and property tests (round trips; arbitrary text never crashes and gets a clear error)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbridge.interop.isoweek import (
    InvalidWeek,
    IsoWeek,
    format_week,
    monday_of,
    parse_week,
    week_of,
    weeks_between,
    weeks_in_year,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-W07", IsoWeek(2024, 7)),
        ("2024W07", IsoWeek(2024, 7)),  # DHIS2
        ("2024W7", IsoWeek(2024, 7)),  # DHIS2 without the leading zero
        ("2024-w07", IsoWeek(2024, 7)),
        ("  2024-W07 ", IsoWeek(2024, 7)),
        ("2020-W53", IsoWeek(2020, 53)),
        ("2026W53", IsoWeek(2026, 53)),
        ("2024-W01", IsoWeek(2024, 1)),
    ],
)
def test_parse_week(text: str, expected: IsoWeek) -> None:
    assert parse_week(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-W53", "2024 has 52 ISO weeks, not 53"),
        ("2021W53", "2021 has 52 ISO weeks, not 53"),
        ("2024-W00", "weeks are numbered from 1"),
        ("2024W0", "weeks are numbered from 1"),
        ("2024-W54", "2024 has 52 ISO weeks, not 54"),
        ("0000-W01", "the year must be between 0001 and 9999"),
        ("2024-W7", "is not an ISO week: write it like 2024-W07"),
        ("2024W007", "is not an ISO week"),
        ("2024-07", "is not an ISO week"),
        ("2024-02-12", "is not an ISO week"),
        ("W07-2024", "is not an ISO week"),
        ("", "is not an ISO week"),
        ("２０２４-W07", "is not an ISO week"),  # full-width digits are digits to Python, not to us
        ("2024-W07-1", "is not an ISO week"),
        ("2024-\x00W07", "'2024-?W07' is not an ISO week"),
    ],
)
def test_invalid_weeks_are_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidWeek, match=re.escape(message)) as raised:
        parse_week(text)
    assert isinstance(raised.value, ValueError)


def test_long_text_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidWeek) as raised:
        parse_week("x" * 10_000)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize(
    ("year", "weeks"),
    [(2015, 53), (2019, 52), (2020, 53), (2021, 52), (2024, 52), (2026, 53), (2032, 53)],
)
def test_weeks_in_year(year: int, weeks: int) -> None:
    assert weeks_in_year(year) == weeks


@pytest.mark.parametrize(
    ("week", "monday"),
    [
        ("2024-W01", dt.date(2024, 1, 1)),
        ("2024-W07", dt.date(2024, 2, 12)),
        ("2020-W53", dt.date(2020, 12, 28)),
        ("2021-W01", dt.date(2021, 1, 4)),
        ("2026-W01", dt.date(2025, 12, 29)),  # 1 January 2026 is a Thursday
    ],
)
def test_mondays(week: str, monday: dt.date) -> None:
    assert monday_of(week) == monday
    assert parse_week(week).sunday == monday + dt.timedelta(days=6)


def test_days_at_the_turn_of_the_year_belong_to_the_neighbouring_years_weeks() -> None:
    assert week_of(dt.date(2021, 1, 3)) == IsoWeek(2020, 53)
    assert week_of(dt.date(2024, 12, 30)) == IsoWeek(2025, 1)
    assert str(week_of(dt.date(2024, 2, 14))) == "2024-W07"


def test_format_week() -> None:
    assert format_week(2024, 7) == "2024-W07"
    assert str(IsoWeek(2020, 53)) == "2020-W53"
    with pytest.raises(InvalidWeek, match="2024 has 52 ISO weeks"):
        format_week(2024, 53)
    with pytest.raises(InvalidWeek, match="the year must be"):
        format_week(10_000, 1)


def test_arithmetic_and_ranges() -> None:
    week = IsoWeek(2020, 52)
    assert week.plus(1) == IsoWeek(2020, 53)
    assert week.plus(2) == IsoWeek(2021, 1)
    assert week.plus(-52) == IsoWeek(2019, 52)
    assert week.until(IsoWeek(2021, 1)) == 2
    assert IsoWeek(2021, 1).until(week) == -2
    assert [str(w) for w in weeks_between(IsoWeek(2020, 52), IsoWeek(2021, 2))] == [
        "2020-W52",
        "2020-W53",
        "2021-W01",
        "2021-W02",
    ]
    assert list(weeks_between(IsoWeek(2021, 2), IsoWeek(2021, 1))) == []


# --- properties ----------------------------------------------------------------------------------

days = st.dates(min_value=dt.date(1, 1, 8), max_value=dt.date(9999, 12, 24))


@given(days)
def test_every_day_lies_in_its_week(day: dt.date) -> None:
    week = week_of(day)
    assert week.monday <= day <= week.sunday
    assert week.monday.weekday() == 0
    assert 1 <= week.week <= weeks_in_year(week.year)


@given(days)
def test_formatting_and_parsing_round_trip(day: dt.date) -> None:
    week = week_of(day)
    text = str(week)
    assert len(text) == 8
    assert parse_week(text) == week
    assert parse_week(text.replace("-", "")) == week  # DHIS2
    assert parse_week(f"{week.year:04d}W{week.week}") == week
    assert format_week(*week) == text
    assert week_of(week.monday) == week


@given(days, days)
def test_week_strings_sort_as_the_weeks_do(a: dt.date, b: dt.date) -> None:
    first, second = week_of(a), week_of(b)
    assert (str(first) < str(second)) == (first < second) == (first.monday < second.monday)
    assert first.until(second) == (second.monday - first.monday).days // 7


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=-5, max_value=60))
def test_a_year_and_number_is_a_week_exactly_when_the_year_has_it(year: int, number: int) -> None:
    text = f"{year:04d}-W{number:02d}" if 0 <= number <= 99 else f"{year}-W{number}"
    if 1 <= number <= weeks_in_year(year):
        assert parse_week(text) == IsoWeek(year, number)
    else:
        with pytest.raises(InvalidWeek):
            parse_week(text)


@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        week = parse_week(text)
    except InvalidWeek as refused:
        message = str(refused)
        assert message and message.isprintable()
        assert "ISO week" in message or "week" in message or "year" in message
    else:
        assert parse_week(str(week)) == week
