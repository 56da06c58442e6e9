"""Storing the alarms of a detection run as signals: new ones inserted, known ones refreshed (the
figures and ``last_detected_at``; never the triage), in batches of Core statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.errors import Conflict
from healthbridge.surveillance.models import Signal

#: Rows per INSERT or UPDATE statement.
BATCH_SIZE = 2000

#: ``progress(stage, done, total)``: ``("detect", kernel calls done, calls)`` then
#: ``("store", signals stored, signals to store)``.
DetectProgress = Callable[[str, int, int], None]

T = TypeVar("T")
_TABLE = cast(Table, Signal.__table__)
_Key = tuple[str, str | None, str, str, str, str]


def _signal_key(row: dict[str, Any]) -> _Key:
    return (
        row["country_code"],
        row["area_code"],
        row["disease_code"],
        row["source"],
        row["week"],
        row["method"],
    )


def upsert(
    session: Session, rows: list[dict[str, Any]], *, progress: DetectProgress | None
) -> tuple[int, int]:
    """Insert new signals and refresh the figures of stored ones; ``(created, updated)``.

    ``rows`` hold the columns of a signal but its status and times, one per series, week and
    method. :class:`Conflict` when a concurrent run inserted one of them first.
    """
    if not rows:
        if progress is not None:
            progress("store", 0, 0)
        return 0, 0
    now = utcnow()
    stored = _stored_ids(session, rows)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        found = stored.get(_signal_key(row))
        figures = {k: row[k] for k in ("observed", "expected", "upperbound", "score")}
        if found is None:
            new.append({**row, "status": "new", "first_detected_at": now, "last_detected_at": now})
        else:
            changed.append({"id": found, **figures, "last_detected_at": now})
    done = 0
    try:
        for batch in _batches(new):
            session.execute(insert(_TABLE), batch)
            done += len(batch)
            if progress is not None:
                progress("store", done, len(rows))
    except IntegrityError:
        raise Conflict(
            "another detection run stored some of these signals at the same time: run it again"
        ) from None
    for batch in _batches(changed):
        session.execute(update(Signal), batch)
        done += len(batch)
        if progress is not None:
            progress("store", done, len(rows))
    return len(new), len(changed)


def _stored_ids(session: Session, rows: list[dict[str, Any]]) -> dict[_Key, int]:
    query = select(
        Signal.id,
        Signal.country_code,
        Signal.area_code,
        Signal.disease_code,
        Signal.source,
        Signal.week,
        Signal.method,
    ).where(
        Signal.country_code.in_(sorted({r["country_code"] for r in rows})),
        Signal.week.in_(sorted({r["week"] for r in rows})),
        Signal.method.in_(sorted({r["method"] for r in rows})),
    )
    return {
        (country, area, disease, source, week, method): id_
        for id_, country, area, disease, source, week, method in session.execute(query)
    }


def _batches(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]
