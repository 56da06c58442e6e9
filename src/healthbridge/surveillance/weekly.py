"""Weekly counts: the regional layer of surveillance (country, area, disease, ISO week, cases,
deaths), its CSV import, its lists and the series an epicurve draws.

Weekly counts are aggregates, not personal data: every role of every country reads them. Reporting
them is a country's: an importer may send only their own country's rows (a regional reporter,
any country's).

An import is atomic and idempotent: every row is read and checked, and every country it touches
authorised, before anything is written; new counts are inserted and changed ones updated in
batches, in the caller's transaction, which the border commits once. The same file imported
twice stores its counts once (the second time they are all ``unchanged``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar, cast

from sqlalchemy import Select, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.interop import weekly_csv
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week, week_of, weeks_between
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance.models import (
    SOURCE_AGGREGATE,
    WEEKLY_COUNT_SOURCES,
    Disease,
    WeeklyCount,
)

#: Rows per INSERT or UPDATE statement (each a single executemany round of the driver).
BATCH_SIZE = 2000
MAX_FILENAME_LENGTH = 200

#: ``progress(stage, done, total)``: ``("read", bytes read, None)`` while the file is checked,
#: then ``("store", rows stored, rows to store)``.
ImportProgress = Callable[[str, int, int | None], None]

#: What a series covers when no area is asked for.
LEVEL_AREA = "area"
LEVEL_NATIONAL = "national"
LEVEL_SUM_OF_AREAS = "sum_of_areas"

T = TypeVar("T")
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
_Key = tuple[str, str | None, str, str]
# Core inserts: the rows are plain values, so the ORM's per-row bookkeeping is not needed.
_TABLE = cast(Table, WeeklyCount.__table__)


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyImportReport:
    """What an import did with the file's rows."""

    filename: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    countries: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    first_week: str | None = None
    last_week: str | None = None


def import_weekly_csv(
    *,
    session: Session,
    actor: Principal,
    data: bytes | BinaryIO,
    filename: str | None,
    progress: ImportProgress | None = None,
    today: dt.date | None = None,
) -> WeeklyImportReport:
    """Store the counts of a weekly-counts CSV (layout: :mod:`healthbridge.interop.weekly_csv`).

    ``data`` is the file's bytes or a binary file object (read as it streams). A bad row is
    :class:`Invalid` naming the file, the row and the column (every problem, up to 50); a row of
    a country outside the actor's scope is :class:`Forbidden` naming the row. Either way nothing
    is written. Counts already stored with the same values are ``unchanged``; others are
    ``updated`` (an empty ``deaths`` cell clears stored deaths: the file is the country's latest
    word). Weeks that have not begun by ``today`` (default: today in UTC) are refused. One
    audit entry records the counts.
    """
    authorize(actor, Action.SURVEILLANCE_REPORT)
    name = _clean_filename(filename)
    now = utcnow()
    latest = week_of((today or now.date()) + dt.timedelta(days=1))
    parsed = weekly_csv.read_weekly_csv(
        data,
        filename=name,
        references=_references(session, actor),
        latest=latest,
        progress=(lambda done: progress("read", done, None)) if progress else None,
    )
    _authorize_rows(actor, parsed.counts, name)
    created, updated, unchanged = _store(
        session, parsed.counts, source=SOURCE_AGGREGATE, now=now, progress=progress
    )
    weeks = [str(c.week) for c in parsed.counts]
    report = WeeklyImportReport(
        filename=name,
        rows=parsed.rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        countries=parsed.countries,
        diseases=parsed.diseases,
        first_week=min(weeks) if weeks else None,
        last_week=max(weeks) if weeks else None,
    )
    audit.record(
        session=session,
        actor=actor,
        action="weekly_counts.import",
        object_type="weekly_count_import",
        object_id=name,
        country=report.countries[0] if len(report.countries) == 1 else None,
        detail={
            "sha256": parsed.sha256,
            "bytes": parsed.size,
            "rows": report.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "countries": report.countries,
            "diseases": report.diseases,
            "first_week": report.first_week,
            "last_week": report.last_week,
        },
    )
    return report


def _clean_filename(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:MAX_FILENAME_LENGTH] or "upload.csv"


def _references(session: Session, actor: Principal) -> weekly_csv.WeeklyReferences:
    """Every code a file may use, in a few queries (never one per row)."""
    return weekly_csv.WeeklyReferences(
        countries=frozenset(geography.country_codes(session=session)),
        areas=_subdivision_countries(session, actor),
        diseases=_disease_codes(session),
    )


def _disease_codes(session: Session) -> weekly_csv.DiseaseCodes:
    return weekly_csv.DiseaseCodes.from_records(
        (code, icd10, codes)
        for code, icd10, codes in session.execute(
            select(Disease.code, Disease.icd10, Disease.icd10_codes)
        )
    )


def _subdivision_countries(session: Session, actor: Principal) -> dict[str, str]:
    """ISO 3166-2 code → alpha-3 code of every first-level subdivision."""
    found: dict[str, str] = {}
    while True:
        rows, total = geography.list_subdivisions(
            session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT, offset=len(found))
        )
        found.update((s.code, s.country_code) for s in rows)
        if not rows or len(found) >= total:
            return found


def _authorize_rows(actor: Principal, counts: list[weekly_csv.WeeklyRow], filename: str) -> None:
    """Every row's country must be within the actor's scope, or nothing is imported."""
    first_rows: dict[str, int] = {}
    for count in counts:
        first_rows.setdefault(count.country, count.row)
    for country, row in first_rows.items():
        try:
            authorize(
                actor,
                Action.SURVEILLANCE_REPORT,
                country=country,
                object_type="weekly_count_import",
                object_id=filename,
            )
        except Forbidden as refused:
            raise Forbidden(
                f"{filename} row {row}: {refused.detail}; nothing was imported",
                errors=[
                    FieldError(
                        "country",
                        f"{country} is outside your scope ({actor.country or 'region'}): "
                        "you may report only your own country's counts",
                        row=row,
                    )
                ],
                context=refused.context,
            ) from None


def _store(
    session: Session,
    counts: list[weekly_csv.WeeklyRow],
    *,
    source: str,
    now: dt.datetime,
    progress: ImportProgress | None,
) -> tuple[int, int, int]:
    """Insert the new counts and update the changed ones, in batches; ``(created, updated,
    unchanged)``."""
    stored = _stored(session, counts, source)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    for count in counts:
        week = str(count.week)
        found = stored.get((count.country, count.area, count.disease, week))
        if found is None:
            new.append(
                {
                    "country_code": count.country,
                    "area_code": count.area,
                    "disease_code": count.disease,
                    "week": week,
                    "week_start": count.week.monday,
                    "cases": count.cases,
                    "deaths": count.deaths,
                    "source": source,
                    "reported_at": now,
                    "updated_at": now,
                }
            )
        elif found[1:] == (count.cases, count.deaths):
            unchanged += 1
        else:
            changed.append(
                {"id": found[0], "cases": count.cases, "deaths": count.deaths, "updated_at": now}
            )
    total = len(new) + len(changed)
    done = 0
    try:
        for batch in _batches(new):
            session.execute(insert(_TABLE), batch)
            done += len(batch)
            if progress is not None:
                progress("store", done, total)
    except IntegrityError:
        # Only a concurrent import of the same weeks gets here: we looked the keys up first.
        raise Conflict(
            "another import stored some of these weekly counts at the same time; "
            "nothing was imported: send the file again"
        ) from None
    for batch in _batches(changed):
        session.execute(update(WeeklyCount), batch)
        done += len(batch)
        if progress is not None:
            progress("store", done, total)
    if progress is not None and total == 0:
        progress("store", 0, 0)
    return len(new), len(changed), unchanged


def _stored(
    session: Session, counts: list[weekly_csv.WeeklyRow], source: str
) -> dict[_Key, tuple[int, int, int | None]]:
    """``key → (id, cases, deaths)`` of the stored counts in the file's countries, diseases and
    weeks: one query, however many rows."""
    if not counts:
        return {}
    query = select(
        WeeklyCount.id,
        WeeklyCount.country_code,
        WeeklyCount.area_code,
        WeeklyCount.disease_code,
        WeeklyCount.week,
        WeeklyCount.cases,
        WeeklyCount.deaths,
    ).where(
        WeeklyCount.source == source,
        WeeklyCount.country_code.in_(sorted({c.country for c in counts})),
        WeeklyCount.disease_code.in_(sorted({c.disease for c in counts})),
        WeeklyCount.week_start.between(
            min(c.week for c in counts).monday, max(c.week for c in counts).monday
        ),
    )
    return {
        (country, area, disease, week): (id_, cases, deaths)
        for id_, country, area, disease, week, cases, deaths in session.execute(query)
    }


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


# --- reading -------------------------------------------------------------------------------------


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
        disease_code, why = _disease_codes(session).resolve(disease.strip())
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
