"""The audit log: a hash chain that names the first tampered entry; triggers that forbid edits."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from healthbridge.accounts.models import User
from healthbridge.audit import service as audit
from healthbridge.audit.models import AuditEntry
from healthbridge.cli import app as cli
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings


def write_entries(
    session_factory: sessionmaker[Session], actor: Principal, n: int, *, per_transaction: int = 1
) -> list[int]:
    """Append ``n`` entries, ``per_transaction`` at a time; returns their ids."""
    entries: list[AuditEntry] = []
    while len(entries) < n:
        with unit_of_work(session_factory) as session:
            for _ in range(min(per_transaction, n - len(entries))):
                entries.append(
                    audit.record(
                        session=session,
                        actor=actor,
                        action="test.write",
                        object_type="thing",
                        object_id=len(entries),
                        country="THA" if len(entries) % 2 else None,
                        detail={"n": len(entries), "text": "ünïcødé ✓", "nested": {"a": [1, 2]}},
                    )
                )
    # An entry gets its id when its transaction commits.
    return [entry.id for entry in entries]


def verify(session_factory: sessionmaker[Session], actor: Principal) -> audit.ChainReport:
    with session_factory() as session:
        return audit.verify_chain(session=session, actor=actor)


def all_ids(session_factory: sessionmaker[Session]) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


@pytest.fixture
def drop_append_only(backend: str, raw_sql: Callable[..., None]) -> Callable[[], None]:
    """What a tamperer with database access would do first: remove the append-only triggers."""

    def drop() -> None:
        if backend == "postgresql":
            raw_sql("DROP TRIGGER audit_entries_append_only ON audit_entries")
        else:
            raw_sql("DROP TRIGGER audit_entries_no_update")
            raw_sql("DROP TRIGGER audit_entries_no_delete")

    return drop


# --- the chain --------------------------------------------------------------------------------


def test_each_entry_chains_to_the_one_before(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    write_entries(session_factory, operator, 5)
    with session_factory() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) >= 5
    assert entries[0].id == 1
    assert entries[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.id == before.id + 1
        assert after.prev_hash == before.entry_hash
    # Every hash is what the content says, after a round trip through the database.
    prev = audit.GENESIS_HASH
    for entry in entries:
        assert re.fullmatch(r"[0-9a-f]{64}", entry.entry_hash)
        assert audit.entry_digest(prev, entry) == entry.entry_hash
        prev = entry.entry_hash
    assert len({e.entry_hash for e in entries}) == len(entries)


def test_record_keeps_what_it_was_given(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        recorded = audit.record(
            session=session,
            actor=operator,
            action="thing.do",
            outcome="denied",
            object_type="thing",
            object_id=42,
            country="VNM",
            detail={"why": "because"},
        )
        assert recorded.id is None  # chained and numbered at the commit
    entry_id = recorded.id
    with session_factory() as session:
        entry = session.get(AuditEntry, entry_id)
        assert entry is not None
        assert entry.actor == "test-operator (cli)"
        assert entry.actor_user_id is None
        assert (entry.action, entry.outcome) == ("thing.do", "denied")
        assert (entry.object_type, entry.object_id) == ("thing", "42")
        assert entry.country_code == "VNM"
        assert entry.detail == {"why": "because"}
        assert entry.at.tzinfo is not None


def test_an_anonymous_entry_says_so(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        entry = audit.record(session=session, actor=None, action="auth.login", outcome="denied")
    assert entry.actor == "anonymous"
    assert entry.detail == {}


def test_a_rolled_back_entry_leaves_no_gap(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    write_entries(session_factory, operator, 2)
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        audit.record(session=session, actor=operator, action="will.roll.back")
        raise RuntimeError("the audited write failed")
    write_entries(session_factory, operator, 2)
    with session_factory() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "will.roll.back" not in actions
    report = verify(session_factory, operator)
    assert report.intact, report


def test_the_chain_is_intact_after_many_writes(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    write_entries(session_factory, operator, 60, per_transaction=7)
    report = verify(session_factory, operator)
    assert report.intact
    assert report.first_broken_id is None
    assert report.reason is None
    assert report.checked == len(all_ids(session_factory))
    assert report.checked >= 60


def test_the_chain_is_checked_across_batches(
    session_factory: sessionmaker[Session],
    operator: Principal,
    monkeypatch: pytest.MonkeyPatch,
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    """Entries are read in batches; a break in a later batch is still found."""
    original = audit._iter_entries
    monkeypatch.setattr(audit, "_iter_entries", lambda session: original(session, batch=4))
    write_entries(session_factory, operator, 12)
    assert verify(session_factory, operator).intact
    drop_append_only()
    raw_sql("UPDATE audit_entries SET detail = :d WHERE id = 10", d='{"n": 999}')
    assert verify(session_factory, operator).first_broken_id == 10


def test_verifying_needs_an_auditor(
    session_factory: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    from healthbridge.accounts.service import principal_of

    focal = principal_of(make_user(Role.FOCAL_POINT, "THA"))
    with session_factory() as session, pytest.raises(Forbidden):
        audit.verify_chain(session=session, actor=focal)
    with session_factory() as session, pytest.raises(Forbidden):
        audit.list_entries(session=session, actor=focal)


# --- tampering --------------------------------------------------------------------------------


@pytest.fixture
def ten_entries(session_factory: sessionmaker[Session], operator: Principal) -> list[int]:
    write_entries(session_factory, operator, 10)
    ids = all_ids(session_factory)
    assert len(ids) >= 10
    return ids


def test_a_hand_edited_entry_is_named(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    target = ten_entries[len(ten_entries) // 2]
    drop_append_only()
    raw_sql("UPDATE audit_entries SET actor = 'x' WHERE id = :id", id=target)
    report = verify(session_factory, operator)
    assert not report.intact
    assert report.first_broken_id == target
    assert report.checked == target - 1
    assert report.reason is not None
    assert "hash" in report.reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "nothing.to.see"),
        ("outcome", "denied"),
        ("object_id", "other"),
        ("country_code", "KOR"),
        ("actor_user_id", 7),
    ],
)
def test_any_edited_field_is_caught(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
    column: str,
    value: Any,
) -> None:
    target = ten_entries[3]
    drop_append_only()
    raw_sql(f"UPDATE audit_entries SET {column} = :v WHERE id = :id", v=value, id=target)
    assert verify(session_factory, operator).first_broken_id == target


def test_a_rehashed_edit_is_caught_at_the_next_entry(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    """A tamperer who also recomputes the edited entry's own hash breaks its successor's link."""
    target = ten_entries[4]
    drop_append_only()
    raw_sql("UPDATE audit_entries SET actor = 'x' WHERE id = :id", id=target)
    with session_factory() as session:
        entry = session.get(AuditEntry, target)
        assert entry is not None
        forged = audit.entry_digest(entry.prev_hash, entry)
    raw_sql("UPDATE audit_entries SET entry_hash = :h WHERE id = :id", h=forged, id=target)
    report = verify(session_factory, operator)
    assert report.first_broken_id == target + 1
    assert report.reason is not None
    assert "prev_hash" in report.reason


def test_a_deleted_middle_entry_is_named(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    target = ten_entries[5]
    drop_append_only()
    raw_sql("DELETE FROM audit_entries WHERE id = :id", id=target)
    assert target not in all_ids(session_factory)
    report = verify(session_factory, operator)
    assert not report.intact
    assert report.first_broken_id == target
    assert report.reason is not None
    assert "missing" in report.reason


def test_a_deleted_first_entry_is_named(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    drop_append_only()
    raw_sql("DELETE FROM audit_entries WHERE id = 1")
    assert verify(session_factory, operator).first_broken_id == 1


def test_a_deleted_and_renumbered_tail_is_named(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    """Closing the gap by renumbering the later ids still breaks the prev_hash link."""
    target = ten_entries[5]
    drop_append_only()
    raw_sql("DELETE FROM audit_entries WHERE id = :id", id=target)
    for later in ten_entries[6:]:
        raw_sql("UPDATE audit_entries SET id = :new WHERE id = :old", new=later - 1, old=later)
    assert verify(session_factory, operator).first_broken_id == target


def test_an_inserted_entry_is_named(
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
) -> None:
    """Inserting is allowed by the triggers, but a forged entry cannot join the chain."""
    last = ten_entries[-1]
    with unit_of_work(session_factory) as session:
        session.add(
            AuditEntry(
                id=last + 1,
                at=session.get(AuditEntry, last).at,  # type: ignore[union-attr]
                actor="forger",
                actor_user_id=None,
                action="made.up",
                outcome="ok",
                detail={},
                prev_hash="f" * 64,
                entry_hash="e" * 64,
            )
        )
    assert verify(session_factory, operator).first_broken_id == last + 1


# --- the triggers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET actor = 'x' WHERE id = :id",
        "UPDATE audit_entries SET detail = '{}'",
        "DELETE FROM audit_entries WHERE id = :id",
        "DELETE FROM audit_entries",
    ],
)
def test_the_database_refuses_updates_and_deletes(
    backend: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    operator: Principal,
    ten_entries: list[int],
    statement: str,
) -> None:
    target = ten_entries[2]
    with session_factory() as session:
        before = session.get(AuditEntry, target)
        assert before is not None
        before_actor = before.actor
    with pytest.raises(DBAPIError) as refused, engine.begin() as connection:
        connection.execute(text(statement), {"id": target})
    # SQLite's RAISE(ABORT) arrives as IntegrityError (sqlite3.IntegrityError); PostgreSQL's
    # RAISE EXCEPTION as ProgrammingError (psycopg.errors.RaiseException, SQLSTATE P0001).
    expected = IntegrityError if backend == "sqlite" else ProgrammingError
    assert isinstance(refused.value, expected), type(refused.value)
    assert "append-only" in str(refused.value.orig)
    assert all_ids(session_factory) == ten_entries
    with session_factory() as session:
        after = session.get(AuditEntry, target)
        assert after is not None
        assert after.actor == before_actor
    assert verify(session_factory, operator).intact


def test_the_orm_cannot_edit_or_delete_an_entry(
    session_factory: sessionmaker[Session], operator: Principal, ten_entries: list[int]
) -> None:
    with pytest.raises(DBAPIError), unit_of_work(session_factory) as session:
        entry = session.get(AuditEntry, ten_entries[0])
        assert entry is not None
        entry.actor = "someone else"
    with pytest.raises(DBAPIError), unit_of_work(session_factory) as session:
        entry = session.get(AuditEntry, ten_entries[0])
        session.delete(entry)
    assert verify(session_factory, operator).intact


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _cli_output(result: Any) -> str:
    return " ".join((result.output + (result.stderr or "")).split())


def test_cli_verify_says_intact(
    cli_env: CliRunner, session_factory: sessionmaker[Session], operator: Principal
) -> None:
    write_entries(session_factory, operator, 5)
    result = cli_env.invoke(cli, ["audit", "verify"])
    output = _cli_output(result)
    assert result.exit_code == 0, output
    assert "intact" in output
    assert f"{len(all_ids(session_factory))} entries" in output


@pytest.mark.parametrize(
    ("statement", "position", "reason"),
    [
        ("UPDATE audit_entries SET actor = 'x' WHERE id = :id", 6, "does not match its hash"),
        ("DELETE FROM audit_entries WHERE id = :id", 3, "missing"),
    ],
    ids=["edited", "deleted"],
)
def test_cli_verify_fails_and_names_the_broken_entry(
    cli_env: CliRunner,
    ten_entries: list[int],
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
    statement: str,
    position: int,
    reason: str,
) -> None:
    target = ten_entries[position]
    drop_append_only()
    raw_sql(statement, id=target)
    result = cli_env.invoke(cli, ["audit", "verify"])
    output = _cli_output(result)
    assert result.exit_code == 1, output
    assert f"broken at entry {target}:" in output
    assert reason in output


# --- the API ----------------------------------------------------------------------------------


def test_a_regional_admin_reads_the_log_newest_first(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    admin = make_user(Role.REGIONAL_ADMIN, None)
    headers = login(admin)
    write_entries(session_factory, operator, 3)
    with unit_of_work(session_factory) as session:
        audit.record(session=session, actor=operator, action="x.y", outcome="denied", country="VNM")
    total = len(all_ids(session_factory))

    response = client.get("/api/v1/audit", headers=headers, params={"limit": 2})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == total
    assert page["limit"] == 2
    assert [e["id"] for e in page["items"]] == [total, total - 1]
    newest = page["items"][0]
    assert newest["action"] == "x.y"
    assert newest["outcome"] == "denied"
    assert newest["country_code"] == "VNM"
    assert re.fullmatch(r"[0-9a-f]{64}", newest["entry_hash"])

    denied = client.get("/api/v1/audit", headers=headers, params={"outcome": "denied"}).json()
    assert denied["total"] >= 1
    assert {e["outcome"] for e in denied["items"]} == {"denied"}
    by_action = client.get("/api/v1/audit", headers=headers, params={"action": "test.write"})
    assert by_action.json()["total"] == 3
    by_country = client.get("/api/v1/audit", headers=headers, params={"country": "VNM"}).json()
    assert {e["country_code"] for e in by_country["items"]} == {"VNM"}
    bad = client.get("/api/v1/audit", headers=headers, params={"outcome": "maybe"})
    assert bad.status_code == 422


def test_a_regional_admin_verifies_the_chain(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
    operator: Principal,
    drop_append_only: Callable[[], None],
    raw_sql: Callable[..., None],
) -> None:
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    write_entries(session_factory, operator, 4)
    response = client.get("/api/v1/audit/verify", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intact"] is True
    assert body["first_broken_id"] is None
    assert body["reason"] is None
    assert body["checked"] == len(all_ids(session_factory))

    drop_append_only()
    raw_sql("UPDATE audit_entries SET actor = 'x' WHERE id = 3")
    broken = client.get("/api/v1/audit/verify", headers=headers).json()
    assert broken["intact"] is False
    assert broken["first_broken_id"] == 3
    assert broken["checked"] == 2


@pytest.mark.parametrize(
    ("role", "country"),
    [(Role.FOCAL_POINT, "THA"), (Role.SECRETARIAT, None), (Role.EPIDEMIOLOGIST, "THA")],
)
def test_only_a_regional_admin_reads_the_log(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    role: Role,
    country: str | None,
) -> None:
    headers = login(make_user(role, country))
    for path in ("/api/v1/audit", "/api/v1/audit/verify"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/audit").status_code == 401


def test_concurrent_audited_reads_never_fork_or_collide(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    """Requests whose only write is their audit entry (an audited read), side by side: on
    SQLite the entry takes the write lock before it reads its predecessor, so none fails."""
    threads, each = 6, 15
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def reader() -> None:
        start.wait()
        for _ in range(each):
            try:
                with unit_of_work(session_factory) as session:
                    session.execute(select(AuditEntry.id).limit(1)).all()  # a read first
                    audit.record(session=session, actor=operator, action="test.read")
            except BaseException as exc:
                failures.append(exc)

    workers = [threading.Thread(target=reader) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    with session_factory() as session:
        report = audit.verify_chain(session=session, actor=operator)
        count = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.read")
        )
    assert count == threads * each
    assert report.intact, report


def test_an_open_audited_transaction_does_not_hold_up_another(
    session_factory: sessionmaker[Session], operator: Principal, backend: str
) -> None:
    """The log's lock is taken at the commit: a request that has audited something and is still
    working does not make every other audited request wait for it (nor time out)."""
    slow = session_factory()
    try:
        audit.record(session=slow, actor=operator, action="slow.request")
        with unit_of_work(session_factory) as quick:
            if backend == "postgresql":
                quick.execute(text("SET LOCAL lock_timeout = '2s'"))
            else:
                quick.connection().exec_driver_sql("PRAGMA busy_timeout = 2000")
            audit.record(session=quick, actor=operator, action="quick.request")
        slow.commit()
    finally:
        slow.close()
    with session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["quick.request", "slow.request"]
    assert verify(session_factory, operator).intact
