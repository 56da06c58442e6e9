"""Weekly counts: the regional layer of surveillance (country, area, disease, ISO week, cases,
deaths): their lists and the series an epicurve draws. Their imports are in
:mod:`healthbridge.surveillance.weekly_import`.

Weekly counts are aggregates, not personal data: every role of every country reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.interop import weekly_csv
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week, weeks_between
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance.models import (
    SOURCE_AGGREGATE,
    WEEKLY_COUNT_SOURCES,
    Disease,
    WeeklyCount,
)

#: What a series covers when no area is asked for.
LEVEL_AREA = "area"
LEVEL_NATIONAL = "national"
LEVEL_SUM_OF_AREAS = "sum_of_areas"

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def disease_codes(session: Session) -> weekly_csv.DiseaseCodes:
    """How a file or a filter may name a disease (our code or ICD-10), in one query."""
    return weekly_csv.DiseaseCodes.from_records(
        (code, icd10, codes)
        for code, icd10, codes in session.execute(
            select(Disease.code, Disease.icd10, Disease.icd10_codes)
        )
    )


@dataclass(frozen=True)
class WeeklyFilter:
    """Checked filters of a list or a series."""

    country: str | None = None
    area: str | None = None
    disease: str | None = None
    from_week: IsoWeek | None = None
    to_week: IsoWeek | None = None
    source: str | None = None


def check_filter(
    *,
    session: Session,
    actor: Principal,
    country: str | None = None,
    area: str | None = None,
    disease: str | None = None,
    from_week: str | None = None,
    to_week: str | None = None,
    source: str | None = None,
) -> WeeklyFilter:
    """Normalise and check filters given as text; :class:`Invalid` naming every bad one."""
    errors: list[FieldError] = []
    country_code = area_code = disease_code = None
    if country:
        try:
            country_code = geography.require_country(session=session, code=country)
        except Invalid as bad:
            errors.extend(bad.errors)
    if area:
        try:
            subdivision = geography.get_subdivision(session=session, actor=actor, code=area.strip())
        except NotFound as missing:
            errors.append(FieldError("area", missing.detail))
        else:
            area_code = subdivision.code
            if country_code and subdivision.country_code != country_code:
                errors.append(
                    FieldError(
                        "area",
                        f"{area_code} is in {subdivision.country_code}, not in {country_code}",
                    )
                )
            country_code = country_code or subdivision.country_code
    if disease:
        disease_code, why = disease_codes(session).resolve(disease.strip())
        if disease_code is None:
            errors.append(FieldError("disease", why))
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
    if source and source not in WEEKLY_COUNT_SOURCES:
        errors.append(FieldError("source", f"one of: {', '.join(WEEKLY_COUNT_SOURCES)}"))
    if errors:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid weekly-count filter: {fields}", errors=errors)
    return WeeklyFilter(country_code, area_code, disease_code, first, last, source or None)


def _filtered(query: SelectT, where: WeeklyFilter) -> SelectT:
    if where.country:
        query = query.where(WeeklyCount.country_code == where.country)
    if where.area:
        query = query.where(WeeklyCount.area_code == where.area)
    if where.disease:
        query = query.where(WeeklyCount.disease_code == where.disease)
    if where.from_week:
        query = query.where(WeeklyCount.week_start >= where.from_week.monday)
    if where.to_week:
        query = query.where(WeeklyCount.week_start <= where.to_week.monday)
    if where.source:
        query = query.where(WeeklyCount.source == where.source)
    return query


_AREA_ORDER = func.coalesce(WeeklyCount.area_code, "")
#: Public sort keys; ties are always broken by week, country, area (national first), disease,
#: source and id, so that pages never overlap or skip.
SORTABLE: dict[str, Any] = {
    "week": WeeklyCount.week_start,
    "country": WeeklyCount.country_code,
    "area": _AREA_ORDER,
    "disease": WeeklyCount.disease_code,
    "cases": WeeklyCount.cases,
    "deaths": func.coalesce(WeeklyCount.deaths, -1),
    "updated_at": WeeklyCount.updated_at,
}
_TIES = (
    WeeklyCount.week_start,
    WeeklyCount.country_code,
    _AREA_ORDER,
    WeeklyCount.disease_code,
    WeeklyCount.source,
    WeeklyCount.id,
)


def list_weekly_counts(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    where: WeeklyFilter | None = None,
) -> tuple[list[WeeklyCount], int]:
    """Weekly counts matching ``where`` (see :func:`check_filter`), sorted by ``page.sort``:
    ``week`` (the default), ``country``, ``area``, ``disease``, ``cases``, ``deaths`` or
    ``updated_at``, with ``-`` for descending."""
    authorize(actor, Action.SURVEILLANCE_AGGREGATE_READ)
    key = page.sort or "week"
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
    query = _filtered(select(WeeklyCount), where or WeeklyFilter())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    first = column.desc() if key.startswith("-") else column.asc()
    rows = session.scalars(query.order_by(first, *_TIES).limit(page.limit).offset(page.offset))
    return list(rows), total


@dataclass(frozen=True)
class WeeklySeries:
    """One series of weekly counts, every week from its first to its last, ``None`` where a
    week has no count (not reported is not zero)."""

    country: str
    disease: str
    area: str | None
    source: str
    #: ``area``, ``national`` (the reported national totals) or ``sum_of_areas`` (the country
    #: reported no national total, so its areas' counts are added up).
    level: str
    weeks: list[str]
    week_starts: list[dt.date]
    cases: list[int | None]
    deaths: list[int | None]

    @property
    def total_cases(self) -> int:
        return sum(c for c in self.cases if c is not None)

    @property
    def total_deaths(self) -> int:
        return sum(d for d in self.deaths if d is not None)

    @property
    def reported_weeks(self) -> int:
        return sum(c is not None for c in self.cases)


def weekly_series(
    *,
    session: Session,
    actor: Principal,
    country: str,
    disease: str,
    area: str | None = None,
    from_week: str | None = None,
    to_week: str | None = None,
    source: str | None = None,
) -> WeeklySeries:
    """One country's (or area's) weekly cases and deaths of one disease: an epicurve's data.

    Without ``area`` the series is the national total: the country's national rows when it
    reported any in the range, otherwise the sum of its areas' counts (deaths only in weeks where
    every reporting area gave them).
    """
    authorize(actor, Action.SURVEILLANCE_AGGREGATE_READ)
    errors = [
        FieldError(n, "required") for n, v in (("country", country), ("disease", disease)) if not v
    ]
    if errors:
        raise Invalid("a series needs a country and a disease", errors=errors)
    where = check_filter(
        session=session,
        actor=actor,
        country=country,
        area=area,
        disease=disease,
        from_week=from_week,
        to_week=to_week,
        source=source or SOURCE_AGGREGATE,
    )
    assert where.country is not None and where.disease is not None and where.source is not None
    base = _filtered(select(WeeklyCount.week, WeeklyCount.cases, WeeklyCount.deaths), where)
    if where.area:
        level = LEVEL_AREA
        points = [(w, c, d) for w, c, d in session.execute(base)]
    else:
        level = LEVEL_NATIONAL
        national = base.where(WeeklyCount.area_code.is_(None))
        points = [(w, c, d) for w, c, d in session.execute(national)]
        if not points:
            level = LEVEL_SUM_OF_AREAS
            summed = _filtered(
                select(
                    WeeklyCount.week,
                    func.sum(WeeklyCount.cases),
                    func.sum(WeeklyCount.deaths),
                    func.count(WeeklyCount.deaths) == func.count(),
                ),
                where,
            ).group_by(WeeklyCount.week)
            points = [
                (week, int(cases), int(deaths) if complete and deaths is not None else None)
                for week, cases, deaths, complete in session.execute(summed)
            ]
    by_week = {week: (cases, deaths) for week, cases, deaths in points}
    weeks = (
        list(weeks_between(parse_week(min(by_week)), parse_week(max(by_week)))) if by_week else []
    )
    values = [by_week.get(str(w), (None, None)) for w in weeks]
    return WeeklySeries(
        country=where.country,
        disease=where.disease,
        area=where.area,
        source=where.source,
        level=level,
        weeks=[str(w) for w in weeks],
        week_starts=[w.monday for w in weeks],
        cases=[c for c, _d in values],
        deaths=[d for _c, d in values],
    )


@dataclass(frozen=True)
class ReportedSeries:
    """A country and disease with counts, and how many."""

    country: str
    disease: str
    counts: int


def reported_series(*, session: Session, actor: Principal) -> list[ReportedSeries]:
    """Every (country, disease) that has weekly counts, most counts first."""
    authorize(actor, Action.SURVEILLANCE_AGGREGATE_READ)
    query = (
        select(WeeklyCount.country_code, WeeklyCount.disease_code, func.count())
        .group_by(WeeklyCount.country_code, WeeklyCount.disease_code)
        .order_by(func.count().desc(), WeeklyCount.country_code, WeeklyCount.disease_code)
    )
    return [ReportedSeries(c, d, n) for c, d, n in session.execute(query)]


def reported_areas(*, session: Session, actor: Principal, country: str, disease: str) -> list[str]:
    """The ISO 3166-2 codes of the areas with counts of ``disease`` in ``country``, sorted."""
    authorize(actor, Action.SURVEILLANCE_AGGREGATE_READ)
    query = (
        select(WeeklyCount.area_code)
        .where(
            WeeklyCount.country_code == country,
            WeeklyCount.disease_code == disease,
            WeeklyCount.area_code.is_not(None),
        )
        .distinct()
        .order_by(WeeklyCount.area_code)
    )
    return [code for code in session.scalars(query) if code is not None]
