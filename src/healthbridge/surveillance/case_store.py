"""Writing checked case reports and lab results in bulk (the store behind every case import).

Rows are written on the session's own connection, so they are part of the caller's
transaction, in batches of :data:`BATCH_SIZE`, without ORM objects: new rows with PostgreSQL's
``COPY ... FROM STDIN`` (psycopg's binary-free text protocol, several times faster than
``INSERT``), on SQLite and for updates with the driver's ``executemany``: a million cases take
seconds, not minutes. What is stored already is loaded in one query per
table (for the batch's countries) and compared by ``content_hash``: a digest (BLAKE2b,
16 bytes, hex) of the reported values, so that a re-import tells unchanged records apart without
comparing every column.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import marshal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthbridge.errors import Conflict
from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.surveillance.models import CaseReport, LabResult

#: Rows per ``executemany``.
BATCH_SIZE = 20_000
#: marshal's format of strings, integers, booleans and None (stable since Python 3.4): a fast,
#: exact serialisation of a record's values (dates as ordinals) for its content hash.
_MARSHAL = 4
#: SQLite page cache while an import writes, in KiB.
SQLITE_CACHE_KIB = 256 * 1024
#: ``(country, case_id)`` → ``(id, content_hash, disease_code, week)`` of stored cases.
StoredCases = dict[tuple[str, str], tuple[int, str, str, str]]
#: ``(country, disease, week)``: one week of one series of the case rollup.
RollupKey = tuple[str, str, str]
Progress = Callable[[str, int, int | None], None]

CASE_COLUMNS = (
    "country_code",
    "case_id",
    "disease_code",
    "classification",
    "onset_date",
    "report_date",
    "notification_date",
    "area_code",
    "age_group",
    "sex",
    "outcome",
    "hospitalised",
    "travelled",
    "travel_countries",
    "week",
    "week_start",
    "source_format",
    "batch_id",
    "content_hash",
    "updated_at",
)
LAB_COLUMNS = (
    "country_code",
    "sample_id",
    "test_type",
    "pathogen",
    "case_report_id",
    "specimen",
    "subtype",
    "result",
    "sample_date",
    "result_date",
    "turnaround_days",
    "laboratory",
    "batch_id",
    "content_hash",
    "updated_at",
)


@functools.lru_cache(maxsize=8192)
def week_of_day(day: dt.date) -> tuple[str, dt.date]:
    """``("2024-W07", its Monday)`` of the ISO week holding ``day``."""
    year, week, weekday = day.isocalendar()
    return f"{year:04d}-W{week:02d}", day - dt.timedelta(days=weekday - 1)


def case_hash(case: CaseRecord, disease: str) -> str:
    """The content hash of a case: its reported values (with the disease resolved)."""
    onset, notified = case.onset_date, case.notification_date
    values = (
        disease,
        case.classification,
        onset.toordinal() if onset else None,
        case.report_date.toordinal(),
        notified.toordinal() if notified else None,
        case.area,
        case.age_group,
        case.sex,
        case.outcome,
        case.hospitalised,
        case.travelled,
        case.travel_countries,
    )
    return hashlib.blake2b(marshal.dumps(values, _MARSHAL), digest_size=16).hexdigest()


def lab_hash(lab: LabRecord) -> str:
    """The content hash of a lab result: its case and its reported values."""
    resulted = lab.result_date
    values = (
        lab.case_id,
        lab.specimen,
        lab.subtype,
        lab.result,
        lab.sample_date.toordinal(),
        resulted.toordinal() if resulted else None,
        lab.laboratory,
    )
    return hashlib.blake2b(marshal.dumps(values, _MARSHAL), digest_size=16).hexdigest()


def load_cases(session: Session, countries: Sequence[str]) -> StoredCases:
    """The stored cases of ``countries``, in one query."""
    if not countries:
        return {}
    query = select(
        CaseReport.country_code,
        CaseReport.case_id,
        CaseReport.id,
        CaseReport.content_hash,
        CaseReport.disease_code,
        CaseReport.week,
    ).where(CaseReport.country_code.in_(countries))
    return {(c, k): (i, h, d, w) for c, k, i, h, d, w in session.execute(query)}


@dataclass
class Stored:
    """What :func:`store` did: ``(created, updated, unchanged)`` of each kind."""

    cases: tuple[int, int, int] = (0, 0, 0)
    labs: tuple[int, int, int] = (0, 0, 0)
    rollup_keys: set[RollupKey] = field(default_factory=set)


class _Writer:
    """``executemany`` on the session's driver connection, with the dialect's parameters."""

    def __init__(self, session: Session, progress: Progress | None, total: int) -> None:
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        self.marker = "?" if self.sqlite else "%s"
        self.driver = cast(Any, connection.connection.driver_connection)
        self.progress = progress
        self.total = total
        self.done = 0
        self.days: dict[dt.date, str] = {}
        self.cache_size: int | None = None
        if self.sqlite:
            # Index pages of a big import stay in memory (SQLite's default cache is 2 MB);
            # the connection's own setting comes back when the writes are done.
            cursor = self.driver.cursor()
            self.cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
            cursor.close()

    def close(self) -> None:
        """Give the connection its settings back."""
        if self.cache_size is not None:
            self.driver.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
            self.cache_size = None

    def day(self, value: dt.date | None) -> Any:
        if value is None or not self.sqlite:
            return value
        text = self.days.get(value)
        if text is None:
            text = self.days[value] = value.isoformat()
        return text

    def moment(self, value: dt.datetime) -> Any:
        if not self.sqlite:
            return value
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def inserter(self, table: str, columns: Sequence[str]) -> _Inserter:
        """Rows added to it are inserted a batch at a time (``COPY`` on PostgreSQL)."""
        names = ", ".join(columns)
        if not self.sqlite:
            return _Inserter(self, f"COPY {table} ({names}) FROM STDIN", copy=True)
        marks = ", ".join([self.marker] * len(columns))
        return _Inserter(self, f"INSERT INTO {table} ({names}) VALUES ({marks})")  # noqa: S608

    def skip(self) -> None:
        """One record needs no write (unchanged)."""
        self.done += 1
        if self.progress is not None and self.done % BATCH_SIZE == 0:
            self.progress("store", self.done, self.total)

    def update(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """``rows`` hold the values of ``columns`` and then the id."""
        sets = ", ".join(f"{name} = {self.marker}" for name in columns)
        self.run(f"UPDATE {table} SET {sets} WHERE id = {self.marker}", rows)  # noqa: S608

    def run(self, statement: str, rows: list[tuple[Any, ...]], *, copy: bool = False) -> None:
        """``statement`` for every row: ``executemany``, or with ``copy`` a ``COPY FROM STDIN``
        that the rows are streamed into (PostgreSQL)."""
        cursor = self.driver.cursor()
        try:
            for start in range(0, len(rows), BATCH_SIZE):
                part = rows[start : start + BATCH_SIZE]
                if copy:
                    with cursor.copy(statement) as stream:
                        for row in part:
                            stream.write_row(row)
                else:
                    cursor.executemany(statement, part)
                self.done += len(part)
                if self.progress is not None:
                    self.progress("store", self.done, self.total)
        except Exception as exc:
            if _is_integrity_error(exc):
                raise Conflict(
                    "another import stored some of these records at the same time; nothing "
                    "was imported: send the file again"
                ) from None
            raise
        finally:
            cursor.close()


class _Inserter:
    def __init__(self, writer: _Writer, statement: str, *, copy: bool = False) -> None:
        self.writer = writer
        self.statement = statement
        self.copy = copy
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.run(self.statement, self.rows, copy=self.copy)
            self.rows = []


def _is_integrity_error(exc: Exception) -> bool:
    # psycopg's errors (raised by COPY and executemany on the raw connection) derive from its
    # own IntegrityError, sqlite3's is called that too.
    return isinstance(exc, IntegrityError) or any(
        cls.__name__ == "IntegrityError" for cls in type(exc).__mro__
    )


def store(
    session: Session,
    *,
    cases: list[CaseRecord],
    labs: list[LabRecord],
    diseases: dict[str, str],
    existing: StoredCases,
    source_format: str,
    batch_id: int,
    now: dt.datetime,
    progress: Progress | None = None,
) -> Stored:
    """Insert the new cases and lab results, update the changed ones (records already checked
    by the caller); the rollup keys of every created or changed case (old and new week).

    New rows are written batch by batch as they are built, so that only one batch of rows is
    held at a time. On SQLite the new cases take ids counted on from the largest (the import
    holds the database's write lock since the batch row was flushed, so no other writer can
    take them): their lab results are linked without reading the cases back.
    """
    session.flush()
    stored_labs = _load_labs(session, sorted({lab.country for lab in labs})) if labs else {}
    ids: dict[tuple[str, str], int] | None = None
    next_id: int | None = None
    if labs:
        ids = {k: v[0] for k, v in existing.items()}
    if session.get_bind().dialect.name == "sqlite":
        next_id = (session.scalar(select(func.max(CaseReport.id))) or 0) + 1
    writer = _Writer(session, progress, len(cases) + len(labs))
    stamp = writer.moment(now)
    try:
        stored = _write(
            session,
            writer,
            cases=cases,
            labs=labs,
            diseases=diseases,
            existing=existing,
            stored_labs=stored_labs,
            source_format=source_format,
            batch_id=batch_id,
            stamp=stamp,
            ids=ids,
            next_id=next_id,
        )
    finally:
        writer.close()
    if progress is not None:
        progress("store", writer.total, writer.total)
    return stored


def _write(
    session: Session,
    writer: _Writer,
    *,
    cases: list[CaseRecord],
    labs: list[LabRecord],
    diseases: dict[str, str],
    existing: StoredCases,
    stored_labs: dict[tuple[str, str, str, str], tuple[int, str]],
    source_format: str,
    batch_id: int,
    stamp: Any,
    ids: dict[tuple[str, str], int] | None,
    next_id: int | None,
) -> Stored:
    keys: set[RollupKey] = set()
    day = writer.day
    with_ids = ("id",) if next_id is not None else ()
    insert_cases = writer.inserter("case_reports", (*with_ids, *CASE_COLUMNS, "created_at"))
    changed_cases: list[tuple[Any, ...]] = []
    created = unchanged = 0
    for case in cases:
        disease = diseases[case.disease]
        digest = case_hash(case, disease)
        key = (case.country, case.case_id)
        found = existing.get(key)
        if found is not None and found[1] == digest:
            unchanged += 1
            writer.skip()
            continue
        week, monday = week_of_day(case.onset_date or case.report_date)
        keys.add((case.country, disease, week))
        values = (
            case.country,
            case.case_id,
            disease,
            case.classification,
            day(case.onset_date),
            day(case.report_date),
            day(case.notification_date),
            case.area,
            case.age_group,
            case.sex,
            case.outcome,
            case.hospitalised,
            case.travelled,
            case.travel_countries,
            week,
            day(monday),
            source_format,
            batch_id,
            digest,
            stamp,
        )
        if found is not None:
            keys.add((case.country, found[2], found[3]))
            changed_cases.append((*values[2:], found[0]))
        elif next_id is not None:
            if ids is not None:
                ids[key] = next_id
            insert_cases.add((next_id, *values, stamp))
            next_id += 1
            created += 1
        else:
            insert_cases.add((*values, stamp))
            created += 1
    insert_cases.flush()
    writer.update("case_reports", CASE_COLUMNS[2:], changed_cases)
    if ids is not None and (next_id is None and (created or changed_cases)):
        ids.update(
            ((c, k), i)
            for c, k, i in session.execute(
                select(CaseReport.country_code, CaseReport.case_id, CaseReport.id).where(
                    CaseReport.batch_id == batch_id
                )
            )
        )
    insert_labs = writer.inserter("lab_results", (*LAB_COLUMNS, "created_at"))
    changed_labs: list[tuple[Any, ...]] = []
    lab_created = lab_unchanged = 0
    for lab in labs:
        digest = lab_hash(lab)
        found_lab = stored_labs.get((lab.country, lab.sample_id, lab.test_type, lab.pathogen))
        if found_lab is not None and found_lab[1] == digest:
            lab_unchanged += 1
            writer.skip()
            continue
        assert ids is not None
        case_report_id = ids.get((lab.country, lab.case_id))
        if case_report_id is None:  # the caller checked: only a concurrent delete gets here
            raise Conflict(
                f"the case {lab.case_id} of lab row {lab.row} was deleted meanwhile; "
                "nothing was imported: send the file again"
            )
        turnaround = (lab.result_date - lab.sample_date).days if lab.result_date else None
        lab_values = (
            lab.country,
            lab.sample_id,
            lab.test_type,
            lab.pathogen,
            case_report_id,
            lab.specimen,
            lab.subtype,
            lab.result,
            day(lab.sample_date),
            day(lab.result_date),
            turnaround,
            lab.laboratory,
            batch_id,
            digest,
            stamp,
        )
        if found_lab is None:
            insert_labs.add((*lab_values, stamp))
            lab_created += 1
        else:
            changed_labs.append((*lab_values[4:], found_lab[0]))
    insert_labs.flush()
    writer.update("lab_results", LAB_COLUMNS[4:], changed_labs)
    return Stored(
        cases=(created, len(changed_cases), unchanged),
        labs=(lab_created, len(changed_labs), lab_unchanged),
        rollup_keys=keys,
    )


def _load_labs(
    session: Session, countries: Sequence[str]
) -> dict[tuple[str, str, str, str], tuple[int, str]]:
    query = select(
        LabResult.country_code,
        LabResult.sample_id,
        LabResult.test_type,
        LabResult.pathogen,
        LabResult.id,
        LabResult.content_hash,
    ).where(LabResult.country_code.in_(countries))
    return {(c, s, t, p): (i, h) for c, s, t, p, i, h in session.execute(query)}
