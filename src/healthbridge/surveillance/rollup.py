"""Weekly counts rolled up from case reports (source ``case_rollup``).

Each week of each (country, disease) series with cases has one row per area with cases and one
national row (``area_code`` NULL) counting every case of the country, those without an area
included. ``cases`` counts the case reports whose week (of onset, else of report) it is, of any
classification; ``deaths`` counts those whose outcome is ``died``. A week whose last case moved
away (to another week, disease or area) loses its row: case-based reporting has no zero reports,
so a missing week stays "not reported" rather than a zero nobody reported.

Only the weeks an import touched are recomputed, with one ``GROUP BY`` over the case reports,
and only rows whose figures differ are written; the rollup rows live beside the countries'
aggregate counts (source ``aggregate``) and never overwrite them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from healthbridge.surveillance.models import SOURCE_CASE_ROLLUP, CaseReport, WeeklyCount

#: ``(country, disease, week)``
RollupKey = tuple[str, str, str]
_TABLE = cast(Table, WeeklyCount.__table__)
_BATCH = 2000


@dataclass(frozen=True)
class RollupSeries:
    """A (country, disease) series whose rolled-up counts changed, and in which weeks."""

    country: str
    disease: str
    weeks: list[str]


def refresh(session: Session, keys: Iterable[RollupKey], *, now: dt.datetime) -> list[RollupSeries]:
    """Recompute the rollup rows of ``keys``; the series (and weeks) whose rows changed."""
    wanted = set(keys)
    if not wanted:
        return []
    countries = sorted({k[0] for k in wanted})
    diseases = sorted({k[1] for k in wanted})
    first = min(k[2] for k in wanted)
    last = max(k[2] for k in wanted)
    died = func.sum(case((CaseReport.outcome == "died", 1), else_=0))
    grouped = (
        select(
            CaseReport.country_code,
            CaseReport.disease_code,
            CaseReport.week,
            CaseReport.area_code,
            func.min(CaseReport.week_start),
            func.count(),
            died,
        )
        .where(
            CaseReport.country_code.in_(countries),
            CaseReport.disease_code.in_(diseases),
            CaseReport.week.between(first, last),
        )
        .group_by(
            CaseReport.country_code,
            CaseReport.disease_code,
            CaseReport.week,
            CaseReport.area_code,
        )
    )
    #: key → area (None: national) → (cases, deaths); key → Monday
    desired: dict[RollupKey, dict[str | None, tuple[int, int]]] = {}
    mondays: dict[RollupKey, dt.date] = {}
    for country, disease, week, area, monday, cases, deaths in session.execute(grouped):
        key = (country, disease, week)
        if key not in wanted:
            continue
        rows = desired.setdefault(key, {})
        mondays[key] = monday
        if area is not None:
            rows[area] = (int(cases), int(deaths or 0))
        total = rows.get(None, (0, 0))
        rows[None] = (total[0] + int(cases), total[1] + int(deaths or 0))
    stored_query = select(
        WeeklyCount.id,
        WeeklyCount.country_code,
        WeeklyCount.disease_code,
        WeeklyCount.week,
        WeeklyCount.area_code,
        WeeklyCount.cases,
        WeeklyCount.deaths,
    ).where(
        WeeklyCount.source == SOURCE_CASE_ROLLUP,
        WeeklyCount.country_code.in_(countries),
        WeeklyCount.disease_code.in_(diseases),
        WeeklyCount.week.between(first, last),
    )
    stored: dict[RollupKey, dict[str | None, tuple[int, int, int | None]]] = {}
    for id_, country, disease, week, area, cases, deaths in session.execute(stored_query):
        key = (country, disease, week)
        if key in wanted:
            stored.setdefault(key, {})[area] = (id_, cases, deaths)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    gone: list[int] = []
    touched: dict[tuple[str, str], set[str]] = {}
    for key in wanted:
        target = desired.get(key, {})
        current = stored.get(key, {})
        differs = False
        for area, (cases, deaths) in target.items():
            found = current.get(area)
            if found is None:
                new.append(
                    {
                        "country_code": key[0],
                        "area_code": area,
                        "disease_code": key[1],
                        "week": key[2],
                        "week_start": mondays[key],
                        "cases": cases,
                        "deaths": deaths,
                        "source": SOURCE_CASE_ROLLUP,
                        "reported_at": now,
                        "updated_at": now,
                    }
                )
                differs = True
            elif found[1:] != (cases, deaths):
                changed.append(
                    {"id": found[0], "cases": cases, "deaths": deaths, "updated_at": now}
                )
                differs = True
        for area, found in current.items():
            if area not in target:
                gone.append(found[0])
                differs = True
        if differs:
            touched.setdefault((key[0], key[1]), set()).add(key[2])
    for start in range(0, len(gone), _BATCH):
        session.execute(delete(WeeklyCount).where(WeeklyCount.id.in_(gone[start : start + _BATCH])))
    for start in range(0, len(new), _BATCH):
        session.execute(insert(_TABLE), new[start : start + _BATCH])
    for start in range(0, len(changed), _BATCH):
        session.execute(update(WeeklyCount), changed[start : start + _BATCH])
    return [
        RollupSeries(country, disease, sorted(weeks))
        for (country, disease), weeks in sorted(touched.items())
    ]


def series_keys(
    session: Session, changed: Iterable[RollupSeries]
) -> list[tuple[str, str | None, str, str]]:
    """``(country, area or None, disease, "case_rollup")`` of every rolled-up series of the
    changed (country, disease) pairs: the national one and each area's."""
    pairs = sorted({(s.country, s.disease) for s in changed})
    if not pairs:
        return []
    found = session.execute(
        select(WeeklyCount.country_code, WeeklyCount.area_code, WeeklyCount.disease_code)
        .where(
            WeeklyCount.source == SOURCE_CASE_ROLLUP,
            WeeklyCount.country_code.in_(sorted({p[0] for p in pairs})),
            WeeklyCount.disease_code.in_(sorted({p[1] for p in pairs})),
        )
        .distinct()
    ).all()
    wanted = set(pairs)
    return sorted(
        (
            (country, area, disease, SOURCE_CASE_ROLLUP)
            for country, area, disease in found
            if (country, disease) in wanted
        ),
        key=lambda k: (k[0], k[1] or "", k[2]),
    )
