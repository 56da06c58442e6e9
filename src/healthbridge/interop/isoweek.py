"""ISO 8601 weeks: ``2024-W07`` ⇄ ``IsoWeek(2024, 7)`` ⇄ its Monday.

An ISO week runs Monday to Sunday and belongs to the year that holds its Thursday, so a year has
52 or 53 weeks and 29 December to 3 January may fall in the neighbouring year's week. HealthBridge
stores weeks as ``YYYY-Www`` strings, which sort as the weeks do.

The parser also takes DHIS2's weekly period ``2024W7`` / ``2024W07`` (DHIS2's ``Weekly`` period
type is the ISO week). Anything else raises :class:`InvalidWeek`, a :class:`ValueError` whose
message says what a week looks like.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

FIRST_YEAR = 1
LAST_YEAR = 9999

# ISO: exactly two digits after "-W"; DHIS2: one or two digits after "W" with no hyphen.
_ISO = re.compile(r"(?P<year>\d{4})-[Ww](?P<week>\d{2})")
_DHIS2 = re.compile(r"(?P<year>\d{4})[Ww](?P<week>\d{1,2})")
_SHOWN = 40


class InvalidWeek(ValueError):
    """Text that is not an ISO week (or a week its year does not have)."""


class IsoWeek(NamedTuple):
    """An ISO 8601 week: its ISO year and its number (1 to 52 or 53)."""

    year: int
    week: int

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> dt.date:
        """The week's first day."""
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        """The week's last day."""
        return dt.date.fromisocalendar(self.year, self.week, 7)

    def plus(self, weeks: int) -> IsoWeek:
        """The week ``weeks`` later (earlier when negative)."""
        return week_of(self.monday + dt.timedelta(weeks=weeks))

    def until(self, other: IsoWeek) -> int:
        """How many weeks from this week to ``other`` (negative when ``other`` is earlier)."""
        return (other.monday - self.monday).days // 7


@functools.cache
def weeks_in_year(year: int) -> int:
    """52 or 53: the number of ISO weeks of ``year`` (28 December is always in the last one)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidWeek(f"year {year} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return dt.date(year, 12, 28).isocalendar().week


def format_week(year: int, week: int) -> str:
    """``"2024-W07"`` for ``(2024, 7)``; :class:`InvalidWeek` when the year has no such week."""
    _check(year, week, f"{year}-W{week:02d}")
    return f"{year:04d}-W{week:02d}"


def parse_week(text: str) -> IsoWeek:
    """The week written ``2024-W07`` (ISO 8601) or ``2024W07`` / ``2024W7`` (DHIS2).

    Surrounding spaces are ignored and ``w`` may be lower case. Raises :class:`InvalidWeek` with
    a message that quotes the text and says what is wrong.
    """
    cleaned = text.strip()
    match = (_ISO.fullmatch(cleaned) or _DHIS2.fullmatch(cleaned)) if cleaned.isascii() else None
    if match is None:
        raise InvalidWeek(
            f"'{_shown(text)}' is not an ISO week: write it like 2024-W07 "
            "(or 2024W07, as DHIS2 does)"
        )
    year, week = int(match["year"]), int(match["week"])
    _check(year, week, cleaned)
    return IsoWeek(year, week)


def week_of(day: dt.date) -> IsoWeek:
    """The ISO week that contains ``day``."""
    calendar = day.isocalendar()
    return IsoWeek(calendar.year, calendar.week)


def monday_of(text: str) -> dt.date:
    """The Monday of the week written ``text`` (see :func:`parse_week`)."""
    return parse_week(text).monday


def weeks_between(first: IsoWeek, last: IsoWeek) -> Iterator[IsoWeek]:
    """Every week from ``first`` to ``last``, both included (nothing when ``last`` is earlier)."""
    day, end = first.monday, last.monday
    while day <= end:
        yield week_of(day)
        day += dt.timedelta(weeks=1)


def _check(year: int, week: int, shown: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidWeek(f"'{_shown(shown)}': the year must be between 0001 and 9999")
    if week < 1:
        raise InvalidWeek(f"'{_shown(shown)}': weeks are numbered from 1")
    last = weeks_in_year(year)
    if week > last:
        raise InvalidWeek(f"'{_shown(shown)}': {year} has {last} ISO weeks, not {week}")


def _shown(text: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= _SHOWN else printable[: _SHOWN - 1] + "…"
