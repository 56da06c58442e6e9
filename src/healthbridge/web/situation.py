"""The figures of the regional situation room, each read through its domain's service.

What a user sees follows the services' policy and data sovereignty:

- events (the map's colour, the counts by risk, the latest sitreps, 7-1-7 timeliness) are those
  the user sees (:func:`healthbridge.eoc.sharing.visible_clause`): their own country's, those
  shared with the region and those shared with their country by name;
- signals, resource requests and commitments are regional information, the same for everyone;
- case-level figures (case reports this week and in the last four weeks) are for a country's
  case readers, of their own country only (``CASE_READ``); a regional user gets none.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from healthbridge import language
from healthbridge.cooperation.commitments import service as commitments
from healthbridge.db import utcnow
from healthbridge.eoc import assessments, queries
from healthbridge.eoc.models import RISK_LEVELS
from healthbridge.geography import service as geography
from healthbridge.interop.isoweek import week_of
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.resources import requests as resource_requests
from healthbridge.surveillance import case_queries, signal_queue

#: The countries on the map, in the order of the text alternative.
MAP_COUNTRIES = (
    "BRN",
    "KHM",
    "IDN",
    "LAO",
    "MYS",
    "MMR",
    "PHL",
    "SGP",
    "THA",
    "TLS",
    "VNM",
    "CHN",
    "JPN",
    "KOR",
)
#: The panels of the page, each refreshed on its own (``/situation/panels/{name}``).
PANELS = ("map", "events", "timeliness", "requests", "commitments", "sitreps", "cases")
#: The risk of an open event that has no rapid risk assessment yet.
UNASSESSED = "unassessed"
#: Signals of this many weeks (the current one included) count as recent.
SIGNAL_WEEKS = 4
#: Commitments due within this many days are shown beside the overdue ones.
DUE_WITHIN_DAYS = 30
#: Rows a list panel shows at most.
PANEL_ROWS = 8
_BATCH = MAX_LIMIT
_CLOSED_SIGNAL = "discarded"
_UNMET_STATUSES = ("endorsed", "approved")


@dataclass(frozen=True)
class CountryStatus:
    """One country on the map: the highest risk of its open events the user sees (None: no
    open event), how many, and its open signals of the last four weeks."""

    code: str
    name: str
    risk: str | None
    open_events: int
    open_signals: int


@dataclass(frozen=True)
class EventLine:
    """An event in a list panel."""

    id: int
    title: str
    country: str
    status: str
    risk: str | None
    updated_at: dt.datetime


@dataclass(frozen=True)
class TimelinessLine:
    """7-1-7 targets of one country in the quarter: met and missed (pending left out)."""

    country: str
    events: int
    detection_met: int
    detection_missed: int
    notification_met: int
    notification_missed: int
    response_met: int
    response_missed: int


@dataclass(frozen=True)
class RequestLine:
    """A critical resource request still not fully received."""

    id: int
    country: str
    what: str
    status: str
    quantity: int
    allocated: int
    received: int
    needed_by: dt.date


@dataclass(frozen=True)
class CommitmentLine:
    """A commitment overdue or due soon."""

    id: int
    text: str
    owed_by: str
    due_on: dt.date
    overdue: bool


@dataclass(frozen=True)
class CaseFigures:
    """Case reports of the user's own country (by report date)."""

    country: str
    this_week: int
    last_four_weeks: int
    since: dt.date


@dataclass
class Situation:
    """The situation room as one user sees it on ``as_of``; a panel the user may not read, or
    that was not asked for, stays None."""

    as_of: dt.date
    country: str | None
    countries: list[CountryStatus] | None = None
    open_events: int | None = None
    events_by_risk: dict[str, int] | None = None
    signals_since: dt.date | None = None
    open_signals: int | None = None
    quarter: str | None = None
    timeliness: list[TimelinessLine] | None = None
    critical_requests: list[RequestLine] | None = None
    critical_requests_total: int | None = None
    overdue_commitments: int | None = None
    due_commitments: int | None = None
    commitments: list[CommitmentLine] | None = None
    latest_events: list[EventLine] | None = None
    cases: CaseFigures | None = None
    panels: list[str] = field(default_factory=list)


def previous_quarter(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The last complete calendar quarter before ``day``: ``("2026-Q3", first, last day)``."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    end = dt.date(day.year, first_month, 1) - dt.timedelta(days=1)
    start = dt.date(end.year, end.month - 2, 1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", start, end


def _open_events(session: Session, actor: Principal) -> list[EventLine]:
    where = queries.check_filter(open_only=True)
    lines: list[EventLine] = []
    offset = 0
    while True:
        page = PageRequest(limit=_BATCH, offset=offset, sort="-updated_at")
        rows, total = queries.list_events(session=session, actor=actor, page=page, where=where)
        lines.extend(
            EventLine(e.id, e.title, e.country_code, e.status, e.risk_level, e.updated_at)
            for e in rows
        )
        offset += _BATCH
        if offset >= total or not rows:
            return lines


def _recent_signals(
    session: Session, actor: Principal, today: dt.date
) -> tuple[dt.date, Counter[str]]:
    first = week_of(today).plus(-(SIGNAL_WEEKS - 1))
    where = signal_queue.check_filter(from_week=str(first))
    counts = signal_queue.count_by_country(
        session=session, actor=actor, where=where, except_status=_CLOSED_SIGNAL
    )
    return first.monday, counts


def _highest(levels: list[str | None]) -> str | None:
    assessed = [level for level in levels if level in RISK_LEVELS]
    if assessed:
        return max(assessed, key=RISK_LEVELS.index)
    return UNASSESSED if levels else None


def _map_and_events(session: Session, actor: Principal, situation: Situation) -> None:
    events = _open_events(session, actor) if is_allowed(actor, Action.EVENT_READ) else None
    signals: Counter[str] = Counter()
    if is_allowed(actor, Action.SIGNAL_READ):
        situation.signals_since, signals = _recent_signals(session, actor, situation.as_of)
        situation.open_signals = sum(signals[c] for c in MAP_COUNTRIES)
    names = geography.country_names(session=session, actor=actor)
    by_country: dict[str, list[str | None]] = {code: [] for code in MAP_COUNTRIES}
    for event in events or []:
        by_country.setdefault(event.country, []).append(event.risk)
    situation.countries = [
        CountryStatus(
            code=code,
            name=names.get(code, code),
            risk=_highest(by_country[code]),
            open_events=len(by_country[code]),
            open_signals=signals[code],
        )
        for code in MAP_COUNTRIES
    ]
    if events is not None:
        counts = Counter(event.risk or UNASSESSED for event in events)
        situation.open_events = len(events)
        situation.events_by_risk = {
            level: counts[level] for level in (*reversed(RISK_LEVELS), UNASSESSED)
        }
        situation.latest_events = events[:PANEL_ROWS]


def _timeliness(session: Session, actor: Principal, situation: Situation) -> None:
    if not is_allowed(actor, Action.EVENT_READ):
        return
    quarter, _start, end = previous_quarter(situation.as_of)
    rows = assessments.regional_timeliness(
        session=session, actor=actor, year=end.year, today=situation.as_of
    )
    situation.quarter = quarter
    situation.timeliness = [
        TimelinessLine(
            country=row.country,
            events=row.n_events,
            detection_met=row.detection.n_met,
            detection_missed=row.detection.n_missed,
            notification_met=row.notification.n_met,
            notification_missed=row.notification.n_missed,
            response_met=row.response.n_met,
            response_missed=row.response.n_missed,
        )
        for row in rows
        if row.quarter == quarter
    ]


def _requests(session: Session, actor: Principal, situation: Situation) -> None:
    if not is_allowed(actor, Action.RESOURCE_READ):
        return
    unmet: list[RequestLine] = []
    for status in _UNMET_STATUSES:
        values = resource_requests.RequestFilter(status=status, priority="critical")
        offset = 0
        while True:
            page = PageRequest(limit=_BATCH, offset=offset, sort="needed_by")
            board = resource_requests.list_requests(
                session=session, actor=actor, values=values, page=page
            )
            for request in board.rows:
                allocated, received = board.progress[request.id]
                if received < request.quantity:
                    unmet.append(
                        RequestLine(
                            id=request.id,
                            country=request.country_code,
                            what=request.item.name
                            if request.item is not None
                            else f"{request.team_type or 'team'} team",
                            status=request.status,
                            quantity=request.quantity,
                            allocated=allocated,
                            received=received,
                            needed_by=request.needed_by,
                        )
                    )
            offset += _BATCH
            if offset >= board.total or not board.rows:
                break
    unmet.sort(key=lambda r: (r.needed_by, r.id))
    situation.critical_requests_total = len(unmet)
    situation.critical_requests = unmet[:PANEL_ROWS]


def _commitments(session: Session, actor: Principal, situation: Situation) -> None:
    if not is_allowed(actor, Action.COOPERATION_READ):
        return
    on = situation.as_of
    page = PageRequest(limit=PANEL_ROWS)
    overdue, n_overdue = commitments.list_commitments(
        session=session, actor=actor, page=page, overdue=True, on=on
    )
    due, n_due = commitments.list_commitments(
        session=session, actor=actor, page=page, due_within=DUE_WITHIN_DAYS, on=on
    )
    situation.overdue_commitments = n_overdue
    situation.due_commitments = n_due
    situation.commitments = [
        CommitmentLine(
            id=c.id,
            text=c.text,
            owed_by=c.owed_by_country or c.owed_by_organisation or "",
            due_on=c.due_on,
            overdue=c.due_on < on,
        )
        for c in [*overdue, *due][:PANEL_ROWS]
        if c.due_on is not None
    ]


def _cases(session: Session, actor: Principal, situation: Situation) -> None:
    country = actor.country
    if country is None or not is_allowed(actor, Action.CASE_READ, country=country):
        return
    this_week = week_of(situation.as_of)
    since = this_week.plus(-(SIGNAL_WEEKS - 1)).monday
    figures = case_queries.count_cases_since(
        session=session, actor=actor, starts=(this_week.monday, since)
    )
    situation.cases = CaseFigures(
        country=country, this_week=figures[0], last_four_weeks=figures[1], since=since
    )


def situation_of(
    *,
    session: Session,
    actor: Principal,
    panels: tuple[str, ...] = PANELS,
    today: dt.date | None = None,
) -> Situation:
    """The situation room of ``actor`` on ``today`` (default: today, UTC), with only
    ``panels`` filled in (``map`` and ``events`` come together, as do ``sitreps``)."""
    situation = Situation(as_of=today or utcnow().date(), country=actor.country)
    wanted = set(panels)
    if wanted & {"map", "events", "sitreps"}:
        _map_and_events(session, actor, situation)
    if "timeliness" in wanted:
        _timeliness(session, actor, situation)
    if "requests" in wanted:
        _requests(session, actor, situation)
    if "commitments" in wanted:
        _commitments(session, actor, situation)
    if "cases" in wanted:
        _cases(session, actor, situation)
    situation.panels = [p for p in PANELS if p in wanted]
    return situation


class SharedSituations:
    """Situations computed at most once every ``max_age`` seconds for all the users who see the
    same one, and served again in between.

    Every open situation room polls, and at region scale computing one takes a dozen queries;
    what it shows depends only on what the user may see — their role and country — and on the
    language and the day, which make the key. Figures are then at most ``max_age`` seconds old
    (the panels reload every minute). ``max_age`` 0 computes every time.
    """

    def __init__(self, max_age: float, entries: int = 256) -> None:
        self.max_age = max_age
        self.entries = entries
        self._kept: dict[tuple[Any, ...], tuple[float, Situation]] = {}
        self._lock = threading.Lock()

    def get(
        self, *, session: Session, actor: Principal, panels: tuple[str, ...] = PANELS
    ) -> Situation:
        """:func:`situation_of` for ``actor``, as computed at most ``max_age`` seconds ago."""
        today = utcnow().date()
        if self.max_age <= 0:
            return situation_of(session=session, actor=actor, panels=panels, today=today)
        key = (actor.role, actor.country, panels, today, language.current())
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        situation = situation_of(session=session, actor=actor, panels=panels, today=today)
        with self._lock:
            if len(self._kept) >= self.entries:
                self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
                if len(self._kept) >= self.entries:
                    self._kept.clear()
            self._kept[key] = (now + self.max_age, situation)
        return situation
