"""The database layer: timestamps in UTC on both databases, engine set-up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from healthbridge.audit.models import AuditEntry
from healthbridge.db import UTCDateTime, make_engine, utcnow


def test_utc_timestamps_round_trip_aware(engine: Engine, session: Session) -> None:
    bangkok = dt.timezone(dt.timedelta(hours=7))
    moment = dt.datetime(2024, 2, 14, 9, 30, 15, 123456, tzinfo=bangkok)
    entry = AuditEntry(
        id=10_000,
        at=moment,
        actor="t",
        action="test",
        outcome="ok",
        detail={},
        prev_hash="0" * 64,
        entry_hash="f" * 64,
    )
    session.add(entry)
    session.commit()
    session.expunge_all()
    stored = session.scalars(select(AuditEntry).where(AuditEntry.id == 10_000)).one()
    assert stored.at.tzinfo is not None
    assert stored.at.utcoffset() == dt.timedelta(0)
    assert stored.at == moment
    assert stored.at.hour == 2  # 09:30 in Bangkok is 02:30 UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(dt.datetime(2024, 1, 1), dialect=None)  # type: ignore[arg-type]


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo is dt.UTC


def test_plain_postgresql_urls_use_psycopg3() -> None:
    engine = make_engine("postgresql://user:pw@127.0.0.1:1/db")
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'x.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (tmp_path / "nested").is_dir()
    finally:
        engine.dispose()
