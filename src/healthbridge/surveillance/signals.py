"""Signals: outbreak detection run over the stored weekly counts, its alarms kept as signals.

:func:`detect_series` runs detection methods over every chosen series (country, area or the
national total, disease, source) for the last few weeks and stores each alarm as a
:class:`~healthbridge.surveillance.models.Signal`, one per series, week and method, however
often it reruns. The triage queue, the reads and the epicurve data are in
:mod:`healthbridge.surveillance.signal_queue`.

Choices, so that a signal says the same as the kernel called on the series alone:

- **Missing weeks are missing, not zero.** A week without a count inside a series' span is NaN
  for the kernels, which treat it as R treats ``NA``: the Farrington family leaves it out of the
  model, EARS gives no bound where it falls in the baseline, and the week itself never alarms.
- **Each series starts at its first count.** Series are grouped by their first week in the
  loaded window and each group is run in one batched call over a matrix that starts there, so a
  series' history is never padded with weeks before it existed. The window reaches back as far
  as the methods look (five years and a few weeks for the Farrington family), which leaves the
  results those of the whole series.
- **Dates.** The Farrington family finds its reference weeks by date (the Mondays of the ISO
  weeks), as R does for an ``sts`` with ``epochAsDate = TRUE``: 53-week years are handled.
- **Too short.** A series with fewer weeks before the last monitored week than a method needs
  (:func:`history_weeks`) is skipped for that method and counted in the summary.
- **CUSUM** (``cusum``) standardises against the mean of the
  :data:`CUSUM_BASELINE_WEEKS` weeks before the first monitored week (missing weeks left out)
  and cumulates over the monitored weeks only; R's defaults otherwise (``k = 1.04``,
  ``h = 2.26``, ``trans = "standard"``).
- **Reruns.** A rerun that raises the same alarm updates the figures and ``last_detected_at``
  and never touches the triage. A signal whose alarm a rerun no longer raises (the counts were
  corrected) is kept as it is: ``last_detected_at`` then shows the last run that raised it.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthbridge.analytics.detection.cusum import cusum
from healthbridge.analytics.detection.methods import METHODS, DetectionOutput
from healthbridge.audit import service as audit
from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week, week_of
from healthbridge.policy import Action, Principal, authorize, visible_countries
from healthbridge.surveillance import signal_store
from healthbridge.surveillance.engines import Engine, KernelCall, LocalEngine
from healthbridge.surveillance.models import (
    SOURCE_AGGREGATE,
    WEEKLY_COUNT_SOURCES,
    WeeklyCount,
)

#: Every method :func:`detect_series` runs, by name: those of ``healthbridge detect``.
CUSUM = "cusum"
DETECTION_METHODS: tuple[str, ...] = (*METHODS, CUSUM)
DEFAULT_METHODS: tuple[str, ...] = ("noufaily",)
#: What runs after an import: the improved Farrington alone. EARS C3 raised nine times as many
#: alarms on seasonal series in ``bench/signals.py``; run it on demand (``detect --all``).
AFTER_IMPORT_METHODS: tuple[str, ...] = ("noufaily",)
#: Weeks monitored by default: the last four, so that late reports are caught.
DEFAULT_WEEKS = 4
MAX_WEEKS = 104
#: The most weeks a backfill (``detect --all`` from the command line) may score at once.
MAX_BACKFILL_WEEKS = 520
#: Weeks before the monitored ones whose mean is CUSUM's in-control mean.
CUSUM_BASELINE_WEEKS = 104
#: R's ``algo.cusum`` defaults.
CUSUM_PRESET: dict[str, Any] = {"k": 1.04, "h": 2.26, "trans": "standard", "alpha": 0.1}
#: Spare weeks loaded before the furthest a method reaches (dated reference weeks may lie a
#: week further back than ``frequency`` weeks a year).
_MARGIN_WEEKS = 8

DetectProgress = signal_store.DetectProgress


class SeriesKey(NamedTuple):
    """One weekly series: ``area`` is None for the country's national total."""

    country: str
    area: str | None
    disease: str
    source: str = SOURCE_AGGREGATE


@dataclass(frozen=True)
class DetectionSummary:
    """What a run of :func:`detect_series` did."""

    methods: list[str]
    #: The monitored weeks, oldest first (empty when there were no counts).
    weeks: list[str]
    #: Series with counts in the window.
    series: int
    #: By method: series skipped as too short for it.
    skipped: dict[str, int] = field(default_factory=dict)
    alarms: int = 0
    created: int = 0
    updated: int = 0
    countries: list[str] = field(default_factory=list)


def history_weeks(method: str) -> int:
    """Weeks a series needs before a monitored week for ``method`` to score it."""
    if method == CUSUM:
        return CUSUM_BASELINE_WEEKS
    return METHODS[method].first_week() - 1


def check_methods(methods: Iterable[str]) -> tuple[str, ...]:
    """The methods, deduplicated in order; :class:`Invalid` naming an unknown one."""
    chosen = tuple(dict.fromkeys(methods))
    unknown = [m for m in chosen if m not in DETECTION_METHODS]
    if unknown or not chosen:
        raise Invalid(
            f"unknown detection method: {', '.join(unknown)}" if unknown else "no method chosen",
            errors=[FieldError("methods", f"one or more of: {', '.join(DETECTION_METHODS)}")],
        )
    return chosen


#: Weeks detection looks at lie within these years (a method reaches years back from them).
FIRST_YEAR, LAST_YEAR = 1900, 2200


def check_week(week: IsoWeek, field: str) -> IsoWeek:
    """``week`` when its year lies within :data:`FIRST_YEAR`..:data:`LAST_YEAR`, else
    :class:`Invalid` naming ``field``."""
    if not FIRST_YEAR <= week.year <= LAST_YEAR:
        raise Invalid(
            "invalid week",
            errors=[
                FieldError(field, f"{week}: the year must lie within {FIRST_YEAR}-{LAST_YEAR}")
            ],
        )
    return week


def parse_until(text: str | None) -> IsoWeek | None:
    """An ISO week given as text, or None; :class:`Invalid` naming ``until``."""
    if text is None or not text.strip():
        return None
    try:
        return check_week(parse_week(text), "until")
    except InvalidWeek as bad:
        raise Invalid("invalid week", errors=[FieldError("until", str(bad))]) from None


def run_method(
    method: str,
    counts: NDArray[np.float64],
    *,
    monitor: NDArray[np.int64],
    dates: Sequence[dt.date],
) -> DetectionOutput:
    """Run ``method`` with its preset over ``counts`` (series, weeks) on the weeks ``monitor``.

    ``dates`` are the weeks' Mondays (the Farrington family finds its reference weeks by them).
    """
    if method == CUSUM:
        first = int(monitor[0])
        window = counts[:, max(0, first - CUSUM_BASELINE_WEEKS) : first]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing baseline is NaN
            mean = np.nanmean(window, axis=1) if window.shape[1] else np.full(len(counts), np.nan)
        result = cusum(counts, monitor=monitor, m=mean, **CUSUM_PRESET)
        return DetectionOutput(result.upperbound, result.alarm, None)
    chosen = METHODS[method]
    days = np.array(dates, dtype="datetime64[D]") if chosen.uses_dates else None
    return chosen.run(counts, monitor=monitor, dates=days)


def score(observed: float, expected: float | None, upperbound: float | None) -> float | None:
    """How far past the threshold (the Signal column's definition); None where undefined."""
    if upperbound is None or not np.isfinite(upperbound):
        return None
    if expected is not None and np.isfinite(expected):
        gap = upperbound - expected
        return (observed - expected) / gap if gap > 0 else None
    return observed / upperbound if upperbound > 0 else None


def series_keys(
    *,
    session: Session,
    actor: Principal,
    country: str | None = None,
    disease: str | None = None,
    source: str | None = None,
) -> list[SeriesKey]:
    """Every series with weekly counts (optionally of one country, disease or source), sorted."""
    authorize(actor, Action.SIGNAL_READ)
    query = select(
        WeeklyCount.country_code,
        WeeklyCount.area_code,
        WeeklyCount.disease_code,
        WeeklyCount.source,
    ).distinct()
    if country:
        query = query.where(WeeklyCount.country_code == country)
    if disease:
        query = query.where(WeeklyCount.disease_code == disease)
    if source:
        query = query.where(WeeklyCount.source == source)
    keys = [SeriesKey(c, a, d, s) for c, a, d, s in session.execute(query)]
    return sorted(keys, key=lambda k: (k.country, k.area or "", k.disease, k.source))


def detect_series(
    *,
    session: Session,
    actor: Principal,
    keys: Iterable[SeriesKey] | None = None,
    methods: Iterable[str] = DEFAULT_METHODS,
    weeks: int = DEFAULT_WEEKS,
    until: IsoWeek | str | None = None,
    progress: DetectProgress | None = None,
    engine: Engine | None = None,
    max_weeks: int = MAX_WEEKS,
) -> DetectionSummary:
    """Run ``methods`` over the series ``keys`` (None: every series the actor may triage) on the
    last ``weeks`` weeks up to ``until`` (default: the latest week with a count among them), and
    store each alarm as a signal (see the module's notes). One audit entry records the run.
    The kernels run on ``engine`` (default: in this process; :mod:`.engines`); ``max_weeks``
    may be raised up to :data:`MAX_BACKFILL_WEEKS` for a backfill of past years.

    The counts are loaded in one query, the kernels run once per method and group of series
    starting the same week, and the signals are inserted and updated in batches. Never commits.

    Raises
    ------
    Invalid
        For an unknown method, ``weeks`` outside 1..:data:`MAX_WEEKS`, a bad ``until`` or key.
    Forbidden
        When the actor may not triage signals of a key's country.
    """
    authorize(actor, Action.SIGNAL_TRIAGE)
    chosen = check_methods(methods)
    limit = min(max_weeks, MAX_BACKFILL_WEEKS)
    if not 1 <= weeks <= limit:
        raise Invalid(
            f"weeks must lie within 1..{limit}",
            errors=[FieldError("weeks", f"a whole number of weeks from 1 to {limit}")],
        )
    last = parse_until(until) if isinstance(until, str) else until
    last = None if last is None else check_week(last, "until")
    wanted = _checked_keys(actor, keys)
    countries = None if wanted is not None else visible_countries(actor, Action.SIGNAL_TRIAGE)
    if last is None:
        last = _latest_week(session, wanted, countries)
    summary = DetectionSummary(methods=list(chosen), weeks=[], series=0)
    if last is None or (wanted is not None and not wanted):
        _audit(session, actor, summary, until=None)
        return summary
    first_monitored = last.plus(-(weeks - 1))
    reach = max(history_weeks(m) for m in chosen) + _MARGIN_WEEKS
    start = first_monitored.plus(-reach)
    matrix, key_list = _load(session, wanted, countries, start=start, end=last)
    n_weeks = start.until(last) + 1
    mondays = [start.monday + dt.timedelta(weeks=i) for i in range(n_weeks)]
    monitored = np.arange(n_weeks - weeks, n_weeks, dtype=np.int64)
    skipped = dict.fromkeys(chosen, 0)
    groups = _groups(_first_weeks(matrix))
    calls: list[KernelCall] = []
    blocks: list[tuple[NDArray[np.int64], int]] = []  # each call's series and first week
    for method in chosen:
        need = history_weeks(method)
        for begin, members in groups:
            long_enough = members if n_weeks - 1 - begin >= need else members[:0]
            skipped[method] += members.size - long_enough.size
            monitor = monitored[monitored >= begin] - begin
            if long_enough.size and monitor.size:
                calls.append(
                    KernelCall(method, matrix[long_enough, begin:], monitor, mondays[begin:])
                )
                blocks.append((long_enough, begin))

    def kernel_progress(done: int, total: int) -> None:
        if progress is not None:
            progress("detect", done, total)

    outputs = (engine or LocalEngine()).run(run_method, calls, kernel_progress)
    rows: list[dict[str, Any]] = []
    for call, output, (members, begin) in zip(calls, outputs, blocks, strict=True):
        rows.extend(
            _alarms(
                call.method,
                output,
                call.counts,
                call.monitor,
                mondays[begin:],
                [key_list[i] for i in members],
            )
        )
    created, updated = signal_store.upsert(session, rows, progress=progress)
    summary = DetectionSummary(
        methods=list(chosen),
        weeks=[str(week_of(mondays[i])) for i in monitored],
        series=len(key_list),
        skipped=skipped,
        alarms=len(rows),
        created=created,
        updated=updated,
        countries=sorted({k.country for k in key_list}),
    )
    _audit(session, actor, summary, until=str(last))
    return summary


def detect_after_import(
    *, session: Session, actor: Principal, keys: Iterable[SeriesKey]
) -> DetectionSummary:
    """Run :data:`AFTER_IMPORT_METHODS` over the imported series ``keys`` for the last
    :data:`DEFAULT_WEEKS` weeks up to the latest week with a count among them: the hook an import
    of weekly counts calls in its own transaction (so that its signals land with its counts)."""
    return detect_series(session=session, actor=actor, keys=keys, methods=AFTER_IMPORT_METHODS)


# --- internals -----------------------------------------------------------------------------------


def _checked_keys(actor: Principal, keys: Iterable[SeriesKey] | None) -> list[SeriesKey] | None:
    if keys is None:
        return None
    unique = list(dict.fromkeys(SeriesKey(*k) for k in keys))
    errors = [
        FieldError("source", f"{k.source!r} is not one of: {', '.join(WEEKLY_COUNT_SOURCES)}")
        for k in unique
        if k.source not in WEEKLY_COUNT_SOURCES
    ]
    if errors:
        raise Invalid("invalid series", errors=errors)
    for country in sorted({k.country for k in unique}):
        authorize(actor, Action.SIGNAL_TRIAGE, country=country, object_type="signal_detection")
    return unique


def _scoped(query: Any, keys: list[SeriesKey] | None, countries: Collection[str] | None) -> Any:
    if keys is not None:
        query = query.where(
            WeeklyCount.country_code.in_(sorted({k.country for k in keys})),
            WeeklyCount.disease_code.in_(sorted({k.disease for k in keys})),
            WeeklyCount.source.in_(sorted({k.source for k in keys})),
        )
    elif countries is not None:
        query = query.where(WeeklyCount.country_code.in_(sorted(countries)))
    return query


def _latest_week(
    session: Session, keys: list[SeriesKey] | None, countries: Collection[str] | None
) -> IsoWeek | None:
    if keys is not None:
        # The latest week of the chosen series themselves, not of their neighbours.
        latest = None
        query = _scoped(
            select(
                WeeklyCount.country_code,
                WeeklyCount.area_code,
                WeeklyCount.disease_code,
                WeeklyCount.source,
                func.max(WeeklyCount.week_start),
            ),
            keys,
            None,
        ).group_by(
            WeeklyCount.country_code,
            WeeklyCount.area_code,
            WeeklyCount.disease_code,
            WeeklyCount.source,
        )
        wanted = set(keys)
        for country, area, disease, source, monday in session.execute(query):
            if SeriesKey(country, area, disease, source) in wanted:
                latest = monday if latest is None else max(latest, monday)
    else:
        latest = session.scalar(_scoped(select(func.max(WeeklyCount.week_start)), None, countries))
    return week_of(latest) if latest is not None else None


def _load(
    session: Session,
    keys: list[SeriesKey] | None,
    countries: Collection[str] | None,
    *,
    start: IsoWeek,
    end: IsoWeek,
) -> tuple[NDArray[np.float64], list[SeriesKey]]:
    """The counts of the window as a (series, weeks) matrix, NaN where a week has none."""
    query = _scoped(
        select(
            WeeklyCount.country_code,
            WeeklyCount.area_code,
            WeeklyCount.disease_code,
            WeeklyCount.source,
            WeeklyCount.week_start,
            WeeklyCount.cases,
        ).where(WeeklyCount.week_start.between(start.monday, end.monday)),
        keys,
        countries,
    )
    wanted = set(keys) if keys is not None else None
    index: dict[SeriesKey, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    values: list[int] = []
    for country, area, disease, source, monday, cases in session.execute(query):
        key = SeriesKey(country, area, disease, source)
        if wanted is not None and key not in wanted:
            continue
        rows.append(index.setdefault(key, len(index)))
        columns.append((monday - start.monday).days // 7)
        values.append(cases)
    matrix = np.full((len(index), start.until(end) + 1), np.nan)
    matrix[rows, columns] = values
    return matrix, list(index)


def _first_weeks(matrix: NDArray[np.float64]) -> NDArray[np.int64]:
    reported = ~np.isnan(matrix)
    return np.asarray(np.argmax(reported, axis=1), dtype=np.int64)


def _groups(firsts: NDArray[np.int64]) -> list[tuple[int, NDArray[np.int64]]]:
    """Series indexes grouped by their first week, earliest first."""
    return [(int(b), np.flatnonzero(firsts == b)) for b in np.unique(firsts)]


def _alarms(
    method: str,
    output: DetectionOutput,
    counts: NDArray[np.float64],
    monitor: NDArray[np.int64],
    mondays: Sequence[dt.date],
    keys: list[SeriesKey],
) -> Iterator[dict[str, Any]]:
    for i, t in zip(*np.nonzero(output.alarm[:, monitor]), strict=True):
        week = int(monitor[t])
        observed = int(counts[i, week])
        bound = float(output.upperbound[i, week])
        expected = None if output.expected is None else float(output.expected[i, week])
        expected = expected if expected is not None and np.isfinite(expected) else None
        upperbound = bound if np.isfinite(bound) else None
        key = keys[i]
        yield {
            "country_code": key.country,
            "area_code": key.area,
            "disease_code": key.disease,
            "source": key.source,
            "week": str(week_of(mondays[week])),
            "week_start": mondays[week],
            "method": method,
            "observed": observed,
            "expected": expected,
            "upperbound": upperbound,
            "score": score(observed, expected, upperbound),
        }


def _audit(
    session: Session, actor: Principal, summary: DetectionSummary, *, until: str | None
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action="signals.detect",
        object_type="signal_detection",
        object_id=until,
        country=summary.countries[0] if len(summary.countries) == 1 else None,
        detail={
            "methods": summary.methods,
            "weeks": summary.weeks,
            "series": summary.series,
            "skipped": summary.skipped,
            "alarms": summary.alarms,
            "created": summary.created,
            "updated": summary.updated,
            "countries": summary.countries,
        },
    )
