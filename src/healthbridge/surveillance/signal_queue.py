"""The triage queue of signals: lists, one signal, its triage, and a series' epicurve data.

Signals are aggregate: every role of every country reads them. Triage is a country's officers'
(and the regional ones'): the status (``new``, ``monitor``, ``verify``, ``discarded``) with a
note, recorded with who and when, and audited. Detection reruns never reset it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week, week_of
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance.models import (
    SIGNAL_STATUSES,
    SOURCE_AGGREGATE,
    WEEKLY_COUNT_SOURCES,
    Signal,
    WeeklyCount,
)
from healthbridge.surveillance.signals import (
    DETECTION_METHODS,
    SeriesKey,
    check_week,
    history_weeks,
    run_method,
    score,
)

#: A SELECT of signals or of figures about them, filtered the same way.
_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])

MAX_NOTE_LENGTH = 2000
#: Weeks an epicurve shows by default: two years up to the series' latest count.
DEFAULT_SHOWN_WEEKS = 104
MAX_SHOWN_WEEKS = 520
_MARGIN_WEEKS = 8


@dataclass(frozen=True)
class SignalFilter:
    """Checked filters of the queue."""

    status: str | None = None
    country: str | None = None
    area: str | None = None
    disease: str | None = None
    method: str | None = None
    source: str | None = None
    from_week: IsoWeek | None = None
    to_week: IsoWeek | None = None
    min_score: float | None = None


def check_filter(
    *,
    status: str | None = None,
    country: str | None = None,
    area: str | None = None,
    disease: str | None = None,
    method: str | None = None,
    source: str | None = None,
    from_week: str | None = None,
    to_week: str | None = None,
    min_score: float | None = None,
) -> SignalFilter:
    """Normalise the queue's filters; :class:`Invalid` naming every bad one."""
    errors: list[FieldError] = []
    if status and status not in SIGNAL_STATUSES:
        errors.append(FieldError("status", f"one of: {', '.join(SIGNAL_STATUSES)}"))
    if method and method not in DETECTION_METHODS:
        errors.append(FieldError("method", f"one of: {', '.join(DETECTION_METHODS)}"))
    if source and source not in WEEKLY_COUNT_SOURCES:
        errors.append(FieldError("source", f"one of: {', '.join(WEEKLY_COUNT_SOURCES)}"))
    weeks: dict[str, IsoWeek | None] = {}
    for name, text in (("from_week", from_week), ("to_week", to_week)):
        weeks[name] = None
        if text:
            try:
                weeks[name] = parse_week(text)
            except InvalidWeek as bad:
                errors.append(FieldError(name, str(bad)))
    first, last = weeks["from_week"], weeks["to_week"]
    if first is not None and last is not None and first > last:
        errors.append(FieldError("to_week", f"{last} is before from_week {first}"))
    if min_score is not None and not np.isfinite(min_score):
        errors.append(FieldError("min_score", "a finite number"))
    if errors:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid signal filter: {fields}", errors=errors)
    return SignalFilter(
        status=status or None,
        country=(country or "").strip().upper() or None,
        area=(area or "").strip().upper() or None,
        disease=(disease or "").strip() or None,
        method=method or None,
        source=source or None,
        from_week=first,
        to_week=last,
        min_score=min_score,
    )


def _filtered(query: _Query, where: SignalFilter) -> _Query:
    if where.status:
        query = query.where(Signal.status == where.status)
    if where.country:
        query = query.where(Signal.country_code == where.country)
    if where.area:
        query = query.where(Signal.area_code == where.area)
    if where.disease:
        query = query.where(Signal.disease_code == where.disease)
    if where.method:
        query = query.where(Signal.method == where.method)
    if where.source:
        query = query.where(Signal.source == where.source)
    if where.from_week:
        query = query.where(Signal.week_start >= where.from_week.monday)
    if where.to_week:
        query = query.where(Signal.week_start <= where.to_week.monday)
    if where.min_score is not None:
        query = query.where(Signal.score >= where.min_score)
    return query


_SCORE = func.coalesce(Signal.score, -1.0e300)
#: Sort keys; ties are broken by week (newest first), score (highest first) and id.
SORTABLE: dict[str, Any] = {
    "week": Signal.week_start,
    "score": _SCORE,
    "observed": Signal.observed,
    "country": Signal.country_code,
    "disease": Signal.disease_code,
    "last_detected_at": Signal.last_detected_at,
}
DEFAULT_SORT = "-week"


def list_signals(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    where: SignalFilter | None = None,
) -> tuple[list[Signal], int]:
    """Signals matching ``where``, newest week first (then highest score) by default; ``sort``
    by week, score, observed, country, disease or last_detected_at, ``-`` for descending."""
    authorize(actor, Action.SIGNAL_READ)
    key = page.sort or DEFAULT_SORT
    column = SORTABLE.get(key.removeprefix("-"))
    if column is None:
        raise Invalid(
            f"cannot sort by '{key}'",
            errors=[
                FieldError(
                    "sort", f"one of: {', '.join(sorted(SORTABLE))}, with '-' for descending"
                )
            ],
        )
    query = _filtered(select(Signal), where or SignalFilter())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    first = column.desc() if key.startswith("-") else column.asc()
    ordered = query.order_by(
        first, Signal.week_start.desc(), _SCORE.desc(), Signal.id.desc()
    ).limit(page.limit)
    rows = session.scalars(ordered.offset(page.offset))
    return list(rows), total


def count_by_country(
    *,
    session: Session,
    actor: Principal,
    where: SignalFilter | None = None,
    except_status: str | None = None,
) -> Counter[str]:
    """How many signals match ``where`` in each country, leaving out those of ``except_status``:
    one grouped count in the database (the situation room's map), not the signals themselves."""
    authorize(actor, Action.SIGNAL_READ)
    query = _filtered(select(Signal.country_code, func.count()), where or SignalFilter())
    if except_status is not None:
        query = query.where(Signal.status != except_status)
    rows = session.execute(query.group_by(Signal.country_code)).all()
    return Counter({country: count for country, count in rows})


def get_signal(*, session: Session, actor: Principal, signal_id: int) -> Signal:
    """One signal; :class:`NotFound` when there is none with that id."""
    authorize(actor, Action.SIGNAL_READ)
    found = session.get(Signal, signal_id)
    if found is None:
        raise NotFound(f"no signal with id {signal_id}")
    return found


def triage_signal(
    *,
    session: Session,
    actor: Principal,
    signal_id: int,
    status: str,
    note: str | None = None,
) -> Signal:
    """Set a signal's status (``new``, ``monitor``, ``verify`` or ``discarded``) with a note.

    Only the officers of the signal's country (and regional ones) may; the change is audited
    with the previous status, and records when and by whom.
    """
    signal = get_signal(session=session, actor=actor, signal_id=signal_id)
    authorize(
        actor,
        Action.SIGNAL_TRIAGE,
        country=signal.country_code,
        object_type="signal",
        object_id=str(signal_id),
    )
    errors: list[FieldError] = []
    if status not in SIGNAL_STATUSES:
        errors.append(FieldError("status", f"one of: {', '.join(SIGNAL_STATUSES)}"))
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_NOTE_LENGTH:
        errors.append(FieldError("note", f"at most {MAX_NOTE_LENGTH} characters"))
    if errors:
        raise Invalid("invalid triage", errors=errors)
    before = signal.status
    signal.status = status
    signal.triage_note = cleaned
    signal.triaged_at = utcnow()
    signal.triaged_by = actor.actor_label
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="signal.triage",
        object_type="signal",
        object_id=signal.id,
        country=signal.country_code,
        detail={"from": before, "to": status, "note": cleaned},
    )
    return signal


# --- a series with its threshold -----------------------------------------------------------------


@dataclass(frozen=True)
class SignalSeries:
    """A series' weekly counts with, per week, a method's expected count, upper bound, alarm and
    score (None where the method gives none), and the stored signals of that method."""

    key: SeriesKey
    method: str
    weeks: list[str]
    week_starts: list[dt.date]
    cases: list[int | None]
    expected: list[float | None]
    upperbound: list[float | None]
    alarm: list[bool]
    score: list[float | None]
    signals: list[Signal]

    @property
    def alarms(self) -> int:
        return sum(self.alarm)


def signal_series(
    *,
    session: Session,
    actor: Principal,
    country: str,
    disease: str,
    method: str,
    area: str | None = None,
    source: str = SOURCE_AGGREGATE,
    from_week: str | None = None,
    to_week: str | None = None,
) -> SignalSeries:
    """One series (``area`` None: the national total) from ``from_week`` to ``to_week``
    (default: the :data:`DEFAULT_SHOWN_WEEKS` weeks up to its latest count), with ``method``
    recomputed over every shown week so that the threshold can be drawn along the whole curve.
    """
    authorize(actor, Action.SIGNAL_READ)
    errors = [
        FieldError(name, "required")
        for name, value in (("country", country), ("disease", disease), ("method", method))
        if not value
    ]
    if method and method not in DETECTION_METHODS:
        errors.append(FieldError("method", f"one of: {', '.join(DETECTION_METHODS)}"))
    if source not in WEEKLY_COUNT_SOURCES:
        errors.append(FieldError("source", f"one of: {', '.join(WEEKLY_COUNT_SOURCES)}"))
    shown: dict[str, IsoWeek | None] = {"from_week": None, "to_week": None}
    for name, text in (("from_week", from_week), ("to_week", to_week)):
        if text:
            try:
                shown[name] = check_week(parse_week(text), name)
            except InvalidWeek as bad:
                errors.append(FieldError(name, str(bad)))
            except Invalid as bad:
                errors.extend(bad.errors)
    if errors:
        raise Invalid("invalid series", errors=errors)
    key = SeriesKey(country.strip().upper(), (area or "").strip().upper() or None, disease, source)
    area_match = (
        WeeklyCount.area_code.is_(None) if key.area is None else WeeklyCount.area_code == key.area
    )
    base = select(WeeklyCount.week_start, WeeklyCount.cases).where(
        WeeklyCount.country_code == key.country,
        WeeklyCount.disease_code == key.disease,
        WeeklyCount.source == key.source,
        area_match,
    )
    last = shown["to_week"]
    if last is None:
        latest = session.scalar(select(func.max(base.subquery().c.week_start)))
        last = week_of(latest) if latest is not None else None
    first = shown["from_week"] or (last.plus(-(DEFAULT_SHOWN_WEEKS - 1)) if last else None)
    if last is None or first is None:
        return SignalSeries(key, method, [], [], [], [], [], [], [], [])
    if first > last or first.until(last) >= MAX_SHOWN_WEEKS:
        raise Invalid(
            "invalid series window",
            errors=[
                FieldError(
                    "from_week", f"from {first} to {last} must be 1 to {MAX_SHOWN_WEEKS} weeks"
                )
            ],
        )
    start = first.plus(-(history_weeks(method) + _MARGIN_WEEKS))
    points = {
        day: cases
        for day, cases in session.execute(
            base.where(WeeklyCount.week_start.between(start.monday, last.monday))
        )
    }
    n_weeks = start.until(last) + 1
    mondays = [start.monday + dt.timedelta(weeks=i) for i in range(n_weeks)]
    counts = np.array([[points.get(d, np.nan) for d in mondays]], dtype=np.float64)
    offset = start.until(first)
    reported = np.flatnonzero(~np.isnan(counts[0]))
    begin = int(reported[0]) if reported.size else n_weeks
    expected = np.full(n_weeks, np.nan)
    upper = np.full(n_weeks, np.nan)
    alarm = np.zeros(n_weeks, dtype=bool)
    monitor = np.arange(max(offset, begin), n_weeks, dtype=np.int64) - begin
    if monitor.size:
        # As detection runs it: the series from its first count in the window.
        output = run_method(method, counts[:, begin:], monitor=monitor, dates=mondays[begin:])
        upper[begin:] = output.upperbound[0]
        alarm[begin:] = output.alarm[0]
        if output.expected is not None:
            expected[begin:] = output.expected[0]
    window = slice(offset, n_weeks)
    cases = [None if np.isnan(c) else int(c) for c in counts[0, window]]
    exp = [_number(v) for v in expected[window]]
    ub = [_number(v) for v in upper[window]]
    signals = session.scalars(
        select(Signal)
        .where(
            Signal.country_code == key.country,
            Signal.area_code.is_(None) if key.area is None else Signal.area_code == key.area,
            Signal.disease_code == key.disease,
            Signal.source == key.source,
            Signal.method == method,
            Signal.week_start.between(first.monday, last.monday),
        )
        .order_by(Signal.week_start)
    )
    return SignalSeries(
        key=key,
        method=method,
        weeks=[str(week_of(d)) for d in mondays[window]],
        week_starts=list(mondays[window]),
        cases=cases,
        expected=exp,
        upperbound=ub,
        alarm=[bool(a) for a in alarm[window]],
        score=[
            None if c is None else score(c, e, u) for c, e, u in zip(cases, exp, ub, strict=True)
        ],
        signals=list(signals),
    )


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
