"""Weekly series for the signal tests: stored directly (no CSV), with an outbreak on demand."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.interop.isoweek import IsoWeek, weeks_between
from healthbridge.surveillance.models import WeeklyCount
from healthbridge.surveillance.signals import SeriesKey

FIRST = IsoWeek(2019, 1)
LAST = IsoWeek(2024, 52)
DENGUE_TH10 = SeriesKey("THA", "TH-10", "dengue")
DENGUE_VN_SG = SeriesKey("VNM", "VN-SG", "dengue")
MEASLES_PHL = SeriesKey("PHL", None, "measles")


def weeks(first: IsoWeek = FIRST, last: IsoWeek = LAST) -> list[IsoWeek]:
    return list(weeks_between(first, last))


def seasonal(n: int, *, seed: int, mean: float = 20.0) -> list[int | None]:
    """Poisson counts around a yearly cosine, the same on every call."""
    rng = np.random.default_rng(seed)
    phase = 2 * math.pi * np.arange(n) / 52.18
    return [int(c) for c in rng.poisson(mean * np.exp(0.5 * np.cos(phase)))]


def with_outbreak(
    counts: Sequence[int | None], *, last: int = 2, size: int = 200
) -> list[int | None]:
    """The counts with ``size`` more cases in each of the ``last`` weeks."""
    out = list(counts)
    for i in range(len(out) - last, len(out)):
        value = out[i]
        out[i] = (value or 0) + size
    return out


def store(
    session: Session,
    key: SeriesKey,
    counts: Sequence[int | None],
    *,
    first: IsoWeek = FIRST,
) -> None:
    """Store ``counts`` from ``first`` on (None: no count that week)."""
    now = utcnow()
    rows = []
    for i, cases in enumerate(counts):
        if cases is None:
            continue
        monday = first.monday + dt.timedelta(weeks=i)
        week = monday.isocalendar()
        rows.append(
            {
                "country_code": key.country,
                "area_code": key.area,
                "disease_code": key.disease,
                "week": f"{week.year:04d}-W{week.week:02d}",
                "week_start": monday,
                "cases": cases,
                "deaths": None,
                "source": key.source,
                "reported_at": now,
                "updated_at": now,
            }
        )
    if rows:
        session.execute(insert(WeeklyCount), rows)


def as_array(counts: Sequence[int | None]) -> np.ndarray:
    return np.array([np.nan if c is None else c for c in counts], dtype=np.float64)


#: Weeks at the end of a series that :func:`with_outbreak` raises by default in the CLI tests.
OUTBREAK_WEEKS = 2


def arrange_signals(session: Session, actor: object) -> None:
    """Dengue outbreaks at the end of 2024 in TH-10 and VN-SG, detected with noufaily and
    EARS C3 (the signals of the route, page and browser tests)."""
    from healthbridge.surveillance import signals

    n = len(weeks())
    store(session, DENGUE_TH10, with_outbreak(seasonal(n, seed=1), last=2, size=150))
    store(session, DENGUE_VN_SG, with_outbreak(seasonal(n, seed=2), last=1, size=120))
    signals.detect_series(
        session=session,
        actor=actor,  # type: ignore[arg-type]
        methods=["noufaily", "ears-c3"],
    )
