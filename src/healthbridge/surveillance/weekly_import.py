"""Imports of weekly counts: the CSV (:mod:`healthbridge.interop.weekly_csv`) and DHIS2's
``dataValueSets`` JSON with its mapping file (:mod:`healthbridge.interop.dhis2`), through one
store, :func:`import_weekly_rows`.

Reporting weekly counts is a country's: an importer may send only their own country's rows (a
regional reporter, any country's).

An import is atomic and idempotent: every row is read and checked, and every country it touches
authorised, before anything is written; new counts are inserted and changed ones updated in
batches (on PostgreSQL through ``COPY`` into a temporary table), in the caller's transaction,
which the border commits once. The same file imported twice stores its counts once (the second
time they are all ``unchanged``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Forbidden
from healthbridge.geography import service as geography
from healthbridge.interop import dhis2, weekly_csv
from healthbridge.interop.isoweek import IsoWeek, week_of
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance import signals
from healthbridge.surveillance.models import SOURCE_AGGREGATE, WeeklyCount
from healthbridge.surveillance.weekly import disease_codes

#: Rows per INSERT or UPDATE statement (each a single executemany round of the driver).
BATCH_SIZE = 2000
MAX_FILENAME_LENGTH = 200
FORMAT_CSV = "csv"
FORMAT_DHIS2 = "dhis2"

#: ``progress(stage, done, total)``: ``("read", bytes read, None)`` while the file is checked,
#: then ``("store", rows stored, rows to store)``.
ImportProgress = Callable[[str, int, int | None], None]
#: The field an import's refusal names for a row's country: ``country`` in a CSV.
CountryField = Callable[[int], str]

T = TypeVar("T")
_Key = tuple[str, str | None, str, str]
#: ``(id or None, country, area, disease, week, week_start, cases, deaths)`` of a count to
#: write: ``None`` for a new count, the stored id for a changed one.
_StageRow = tuple[int | None, str, str | None, str, str, dt.date, int, int | None]
#: Whether PostgreSQL imports write through ``COPY`` and a temporary table (the default), or
#: through the batched ``INSERT`` and ``UPDATE`` statements of SQLite (for the comparisons of the
#: tests and of ``bench/ingest.py``).
COPY_ON_POSTGRESQL = True
_STAGE = "weekly_counts_stage"
_STAGE_COLUMNS = (
    "id",
    "country_code",
    "area_code",
    "disease_code",
    "week",
    "week_start",
    "cases",
    "deaths",
)
# Core inserts: the rows are plain values, so the ORM's per-row bookkeeping is not needed.
_TABLE = cast(Table, WeeklyCount.__table__)


@dataclass(frozen=True)
class WeeklyImportReport:
    """What an import did with the file's rows.

    ``rows`` counts what the file holds (CSV rows, DHIS2 data values); ``created``, ``updated``
    and ``unchanged`` count weekly counts, which in a DHIS2 file may add up several values.
    """

    filename: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    countries: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    first_week: str | None = None
    last_week: str | None = None
    #: Signals the detection run after the import raised (new ones) and refreshed.
    signals_created: int = 0
    signals_updated: int = 0


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
    name = clean_filename(filename, "upload.csv")
    parsed = weekly_csv.read_weekly_csv(
        data,
        filename=name,
        references=references(session, actor),
        latest=_latest(today),
        progress=(lambda done: progress("read", done, None)) if progress else None,
    )
    return import_weekly_rows(
        session=session,
        actor=actor,
        rows=parsed.counts,
        filename=name,
        format=FORMAT_CSV,
        progress=progress,
        read=parsed.rows,
        detail={"sha256": parsed.sha256, "bytes": parsed.size},
    )


def import_dhis2(
    *,
    session: Session,
    actor: Principal,
    data: bytes | BinaryIO,
    filename: str | None,
    mapping: bytes | BinaryIO,
    mapping_filename: str | None,
    progress: ImportProgress | None = None,
    today: dt.date | None = None,
) -> WeeklyImportReport:
    """Store the weekly counts of a DHIS2 ``dataValueSets`` JSON, read through a mapping file
    (both described in :mod:`healthbridge.interop.dhis2`).

    A bad mapping is :class:`Invalid` naming the mapping's keys; a bad data value is
    :class:`Invalid` naming its row (its place in ``dataValues``, from 1) and field
    (``dataValues[17].orgUnit``); an org unit of a country outside the actor's scope is
    :class:`Forbidden` naming the first such data value. Either way nothing is written. As for a
    CSV, stored counts with the same values are ``unchanged`` and the file is the latest word.
    """
    authorize(actor, Action.SURVEILLANCE_REPORT)
    name = clean_filename(filename, "upload.json")
    mapping_name = clean_filename(mapping_filename, "mapping.json")
    if mapping_name == name:
        mapping_name = f"mapping {mapping_name}"
    checked = dhis2.read_mapping(
        mapping, filename=mapping_name, references=references(session, actor)
    )
    parsed = dhis2.read_data_value_set(
        data,
        filename=name,
        mapping=checked,
        latest=_latest(today),
        progress=(lambda done: progress("read", done, None)) if progress else None,
    )
    return import_weekly_rows(
        session=session,
        actor=actor,
        rows=parsed.counts,
        filename=name,
        format=FORMAT_DHIS2,
        progress=progress,
        read=parsed.rows,
        detail={
            "sha256": parsed.sha256,
            "bytes": parsed.size,
            "mapping": mapping_name,
            "mapping_sha256": checked.sha256,
        },
        country_field=lambda row: f"dataValues[{row - 1}].orgUnit",
    )


def import_weekly_rows(
    *,
    session: Session,
    actor: Principal,
    rows: Sequence[weekly_csv.WeeklyRow],
    filename: str,
    format: str,
    progress: ImportProgress | None = None,
    read: int | None = None,
    detail: Mapping[str, Any] | None = None,
    country_field: CountryField | None = None,
) -> WeeklyImportReport:
    """Store checked weekly counts (source ``aggregate``), whatever file they came from.

    Every row's country is authorised first (:class:`Forbidden` naming the first row of a
    country outside the actor's scope, its field given by ``country_field``); then new counts
    are inserted and changed ones updated, in batches. ``read`` is what the file held (default:
    the number of rows); ``format`` and ``detail`` go into the one audit entry.
    """
    authorize(actor, Action.SURVEILLANCE_REPORT)
    _authorize_rows(actor, rows, filename, country_field or (lambda _row: "country"))
    created, updated, unchanged = _store(
        session, rows, source=SOURCE_AGGREGATE, now=utcnow(), progress=progress
    )
    weeks = [str(c.week) for c in rows]
    # Detection runs on the imported series in the import's transaction: the signals land (or
    # not) with the counts that raised them.
    keys = {signals.SeriesKey(c.country, c.area, c.disease, SOURCE_AGGREGATE) for c in rows}
    detection = (
        signals.detect_after_import(session=session, actor=actor, keys=keys)
        if keys
        else signals.DetectionSummary(methods=[], weeks=[], series=0)
    )
    report = WeeklyImportReport(
        filename=filename,
        rows=len(rows) if read is None else read,
        created=created,
        updated=updated,
        unchanged=unchanged,
        countries=sorted({c.country for c in rows}),
        diseases=sorted({c.disease for c in rows}),
        first_week=min(weeks) if weeks else None,
        last_week=max(weeks) if weeks else None,
        signals_created=detection.created,
        signals_updated=detection.updated,
    )
    audit.record(
        session=session,
        actor=actor,
        action="weekly_counts.import",
        object_type="weekly_count_import",
        object_id=filename,
        country=report.countries[0] if len(report.countries) == 1 else None,
        detail={
            "format": format,
            **(detail or {}),
            "rows": report.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "countries": report.countries,
            "diseases": report.diseases,
            "first_week": report.first_week,
            "last_week": report.last_week,
            "signals_created": detection.created,
            "signals_updated": detection.updated,
        },
    )
    return report


def clean_filename(filename: str | None, default: str) -> str:
    """An uploaded file's name as messages show it: no folders, printable, at most 200
    characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:MAX_FILENAME_LENGTH] or default


def references(session: Session, actor: Principal) -> weekly_csv.WeeklyReferences:
    """Every code a file may use, in a few queries (never one per row)."""
    return weekly_csv.WeeklyReferences(
        countries=frozenset(geography.country_codes(session=session)),
        areas=_subdivision_countries(session, actor),
        diseases=disease_codes(session),
    )


def _latest(today: dt.date | None) -> IsoWeek:
    """The last week a count may be for: the one that has begun somewhere by ``today``."""
    return week_of((today or utcnow().date()) + dt.timedelta(days=1))


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


def _authorize_rows(
    actor: Principal,
    counts: Sequence[weekly_csv.WeeklyRow],
    filename: str,
    country_field: CountryField,
) -> None:
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
                        country_field(row),
                        f"{country} is outside your scope ({actor.country or 'region'}): "
                        "you may report only your own country's counts",
                        row=row,
                    )
                ],
                context=refused.context,
            ) from None


def _store(
    session: Session,
    counts: Sequence[weekly_csv.WeeklyRow],
    *,
    source: str,
    now: dt.datetime,
    progress: ImportProgress | None,
) -> tuple[int, int, int]:
    """Insert the new counts and update the changed ones, in batches; ``(created, updated,
    unchanged)``.

    What is stored is looked up first (one query) and compared in Python, whichever the
    database; the writes are then batched ``INSERT`` and ``UPDATE`` statements, or on PostgreSQL
    (with :data:`COPY_ON_POSTGRESQL`) one ``COPY`` into a temporary table and one ``INSERT``
    and one ``UPDATE`` from it (:func:`_merge_with_copy`).
    """
    stored = _stored(session, counts, source)
    new: list[_StageRow] = []
    changed: list[_StageRow] = []
    unchanged = 0
    for count in counts:
        week = str(count.week)
        found = stored.get((count.country, count.area, count.disease, week))
        if found is not None and found[1:] == (count.cases, count.deaths):
            unchanged += 1
            continue
        staged = (
            None if found is None else found[0],
            count.country,
            count.area,
            count.disease,
            week,
            count.week.monday,
            count.cases,
            count.deaths,
        )
        (new if found is None else changed).append(staged)
    if COPY_ON_POSTGRESQL and session.get_bind().dialect.name == "postgresql":
        _merge_with_copy(session, new, changed, source=source, now=now, progress=progress)
    else:
        _write_batches(session, new, changed, source=source, now=now, progress=progress)
    return len(new), len(changed), unchanged


def _write_batches(
    session: Session,
    new: Sequence[_StageRow],
    changed: Sequence[_StageRow],
    *,
    source: str,
    now: dt.datetime,
    progress: ImportProgress | None,
) -> None:
    """Batched Core ``INSERT`` statements of the new counts and ``UPDATE`` statements of the
    changed ones (any database; SQLite's path)."""
    inserts: list[dict[str, Any]] = [
        {
            "country_code": country,
            "area_code": area,
            "disease_code": disease,
            "week": week,
            "week_start": monday,
            "cases": cases,
            "deaths": deaths,
            "source": source,
            "reported_at": now,
            "updated_at": now,
        }
        for _id, country, area, disease, week, monday, cases, deaths in new
    ]
    updates: list[dict[str, Any]] = [
        {"id": id_, "cases": cases, "deaths": deaths, "updated_at": now}
        for id_, *_key, cases, deaths in changed
    ]
    total = len(inserts) + len(updates)
    done = 0
    try:
        for batch in _batches(inserts):
            session.execute(insert(_TABLE), batch)
            done += len(batch)
            if progress is not None:
                progress("store", done, total)
    except IntegrityError:
        # Only a concurrent import of the same weeks gets here: we looked the keys up first.
        raise _concurrent() from None
    for batch in _batches(updates):
        session.execute(update(WeeklyCount), batch)
        done += len(batch)
        if progress is not None:
            progress("store", done, total)
    if progress is not None and total == 0:
        progress("store", 0, 0)


def _merge_with_copy(
    session: Session,
    new: Sequence[_StageRow],
    changed: Sequence[_StageRow],
    *,
    source: str,
    now: dt.datetime,
    progress: ImportProgress | None,
) -> None:
    """PostgreSQL: stream the new and the changed counts (the new ones without an id) into a
    temporary table with ``COPY ... FROM STDIN``, a batch at a time, then insert the new ones
    and update the changed ones (by id) from it, one statement each.

    Everything runs on the session's connection, inside the caller's transaction: a failing
    row aborts it, and the temporary table (dropped here, and in any case at commit) goes with
    it. A unique violation (a concurrent import stored some of the keys after we looked them
    up) or a changed count that is gone meanwhile is :class:`Conflict`.
    """
    total = len(new) + len(changed)
    if total == 0:
        if progress is not None:
            progress("store", 0, 0)
        return
    session.flush()
    driver = cast(Any, session.connection().connection.driver_connection)
    names = ", ".join(_STAGE_COLUMNS)
    values = ", ".join(_STAGE_COLUMNS[1:])
    done = 0
    try:
        with driver.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {_STAGE} (id integer, country_code text, "
                "area_code text, disease_code text, week text, week_start date, "
                "cases integer, deaths integer) ON COMMIT DROP"
            )
            for rows in (new, changed):
                for batch in _batches(rows):
                    with cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as stream:
                        for staged in batch:
                            stream.write_row(staged)
                    done += len(batch)
                    if progress is not None and done < total:
                        progress("store", done, total)
            cursor.execute(
                f"INSERT INTO weekly_counts ({values}, source, reported_at, updated_at) "  # noqa: S608
                f"SELECT {values}, %s, %s, %s FROM {_STAGE} WHERE id IS NULL",
                (source, now, now),
            )
            cursor.execute(
                f"UPDATE weekly_counts AS w SET cases = s.cases, deaths = s.deaths, "  # noqa: S608
                f"updated_at = %s FROM {_STAGE} AS s WHERE w.id = s.id",
                (now,),
            )
            updated = cursor.rowcount
            cursor.execute(f"DROP TABLE {_STAGE}")
    except Exception as exc:
        if any(cls.__name__ == "IntegrityError" for cls in type(exc).__mro__):
            raise _concurrent() from None
        raise
    if updated != len(changed):
        raise _concurrent()
    if progress is not None:
        progress("store", total, total)


def _concurrent() -> Conflict:
    return Conflict(
        "another import stored some of these weekly counts at the same time; "
        "nothing was imported: send the file again"
    )


def _stored(
    session: Session, counts: Sequence[weekly_csv.WeeklyRow], source: str
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
