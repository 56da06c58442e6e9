"""Backups and restores (``healthbridge backup`` / ``healthbridge restore``).

Every round trip compares all columns of every table, and the audit chain, between the source
and the restored database; the archive is checked whole before anything is written, and any
failure leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from healthbridge import backup, flows, migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.audit import service as audit
from healthbridge.audit.models import AuditEntry
from healthbridge.cli import app
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.errors import Conflict, Invalid, NotFound
from healthbridge.policy import Role, operator_principal
from healthbridge.settings import get_settings

Dump = dict[str, list[dict[str, Any]]]
NewDatabase = Callable[[str], str]
OPERATOR = operator_principal("backup-test")


# -- Helpers -----------------------------------------------------------------------------------


def _pg_url(database: str) -> str:
    url = make_url(os.environ["HEALTHBRIDGE_TEST_POSTGRES_URL"])
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=database).render_as_string(hide_password=False)


def _pg_admin() -> Engine:
    admin = make_url(os.environ["HEALTHBRIDGE_TEST_POSTGRES_URL"]).database or "postgres"
    return create_engine(_pg_url(admin), isolation_level="AUTOCOMMIT")


def _create_pg_database(name: str, template: str) -> str:
    admin = _pg_admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    return _pg_url(name)


def _drop_pg_databases(names: list[str]) -> None:
    admin = _pg_admin()
    with admin.connect() as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _fill_with_demo(url: str) -> None:
    engine = make_engine(url)
    try:
        load_demo(engine)
        if engine.dialect.name == "sqlite":  # fold the WAL in: a copy of the file is whole
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data loaded once; each test gets a copy."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copyfile(sqlite_template, path)
    _fill_with_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def demo_pg_template(pg_template: str) -> Iterator[str]:
    name = f"hb_demo_template_{uuid.uuid4().hex[:8]}"
    _fill_with_demo(_create_pg_database(name, pg_template))
    yield name
    _drop_pg_databases([name])


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """Another database on the backend asked for: fresh (migrated, reference data only), or
    with the demo data when the kind ends in ``+demo``."""
    created: list[str] = []

    def make(kind: str) -> str:
        backend, _, content = kind.partition("+")
        if backend == "sqlite":
            fixture = "demo_sqlite_template" if content == "demo" else "sqlite_template"
            template: Path = request.getfixturevalue(fixture)
            target = tmp_path / f"db-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(template, target)
            return f"sqlite:///{target}"
        fixture = "demo_pg_template" if content == "demo" else "pg_template"
        template_name: str = request.getfixturevalue(fixture)  # skips without PostgreSQL
        name = f"hb_backup_{uuid.uuid4().hex[:10]}"
        created.append(name)
        return _create_pg_database(name, template_name)

    yield make
    if created:
        _drop_pg_databases(created)


@pytest.fixture
def opened() -> Iterator[Callable[[str], Engine]]:
    engines: list[Engine] = []

    def open_(url: str) -> Engine:
        engines.append(make_engine(url, pool_size=2))
        return engines[-1]

    yield open_
    for engine in engines:
        engine.dispose()


def load_demo(engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        flows.load_demo(session=session, actor=OPERATOR)


@pytest.fixture
def demo_url(backend: str, new_database: NewDatabase) -> str:
    """A database with the demo data, on the test's backend."""
    return new_database(f"{backend}+demo")


@pytest.fixture
def demo(demo_url: str, opened: Callable[[str], Engine]) -> Engine:
    return opened(demo_url)


def dump(engine: Engine) -> Dump:
    """Every row of every table, all columns, in primary-key order."""
    out: Dump = {}
    with engine.connect() as connection:
        for table in backup.tables():
            (key,) = table.primary_key.columns
            rows = [dict(row) for row in connection.execute(select(table)).mappings()]
            out[table.name] = sorted(rows, key=lambda row: row[key.name])
    return out


def assert_same(actual: Dump, expected: Dump) -> None:
    assert actual.keys() == expected.keys()
    for name in expected:
        assert len(actual[name]) == len(expected[name]), name
        for got, want in zip(actual[name], expected[name], strict=True):
            assert got == want, f"table {name}"


def chain(engine: Engine) -> tuple[audit.ChainReport, str | None]:
    with Session(engine) as session:
        report = audit.verify_chain(session=session, actor=OPERATOR)
        last = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()))
    return report, last


def add_user(engine: Engine, email: str) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        accounts.create_user(
            session=session,
            actor=OPERATOR,
            user_in=UserCreate(
                email=email,
                full_name="Added Later",
                role=Role.VIEWER,
                country="THA",
                password="correct horse battery staple",
            ),
        )


def rewrite(source: Path, target: Path, edit: Callable[[str, bytes], bytes]) -> None:
    """A copy of the archive with every member passed through ``edit(name, data)``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, edit(info.filename, zin.read(info.filename)))


def manifest_of(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        data: dict[str, Any] = json.loads(zf.read(backup.MANIFEST))
    return data


def checksums(path: Path) -> dict[str, tuple[int, str]]:
    return {t["name"]: (t["rows"], t["sha256"]) for t in manifest_of(path)["tables"]}


# -- Round trips -------------------------------------------------------------------------------


def test_round_trip_restores_every_row_and_the_audit_chain(
    demo: Engine,
    backend: str,
    new_database: NewDatabase,
    opened: Callable[[str], Engine],
    tmp_path: Path,
) -> None:
    archive = tmp_path / "backup.zip"
    summary = backup.create_backup(demo, archive)
    expected = dump(demo)
    assert summary.rows == sum(len(rows) for rows in expected.values())
    assert summary.revision == migrate.head_revision(demo)
    manifest = manifest_of(archive)
    assert manifest["format"] == backup.FORMAT
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in backup.tables()]
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {
        name: len(rows) for name, rows in expected.items()
    }

    target = opened(new_database(backend))
    assert backup.is_empty(target)
    restored = backup.restore_backup(target, archive, actor=OPERATOR)

    assert_same(dump(target), expected)
    assert restored.rows == summary.rows
    assert restored.chain.intact
    assert chain(target) == chain(demo)
    assert chain(target)[0].checked == len(expected["audit_entries"]) > 100
    # A backup of the restored database is the same, byte for byte, table by table.
    again = backup.create_backup(target, tmp_path / "again.zip")
    assert again.tables == summary.tables
    if backend == "sqlite":  # SQLite keeps a search index of its own, rebuilt by the restore
        with target.connect() as connection:
            indexed = connection.exec_driver_sql("SELECT count(*) FROM documents_fts").scalar()
        assert indexed == len(expected["documents"]) > 0
    # New rows get fresh ids (PostgreSQL's sequences were moved past the restored ids).
    add_user(target, "new.after.restore@example.org")
    report, _ = chain(target)
    assert report.intact and report.checked == len(expected["audit_entries"]) + 1


def test_a_backup_restores_across_database_engines(
    new_database: NewDatabase, opened: Callable[[str], Engine], tmp_path: Path
) -> None:
    sqlite = opened(new_database("sqlite+demo"))
    postgres = opened(new_database("postgresql"))
    expected = dump(sqlite)

    backup.create_backup(sqlite, tmp_path / "from-sqlite.zip")
    backup.restore_backup(postgres, tmp_path / "from-sqlite.zip", actor=OPERATOR)
    assert_same(dump(postgres), expected)
    assert chain(postgres) == chain(sqlite)

    # And back: PostgreSQL's backup of it is the same file contents, and restores into SQLite.
    backup.create_backup(postgres, tmp_path / "from-postgres.zip")
    assert checksums(tmp_path / "from-postgres.zip") == checksums(tmp_path / "from-sqlite.zip")
    second = opened(new_database("sqlite"))
    backup.restore_backup(second, tmp_path / "from-postgres.zip", actor=OPERATOR)
    assert_same(dump(second), expected)
    assert chain(second)[0].intact


# -- Consistency while the platform runs -------------------------------------------------------


def test_a_backup_holds_all_or_nothing_of_a_transaction_committed_while_it_runs(
    demo: Engine, tmp_path: Path
) -> None:
    names = [t.name for t in backup.tables()]
    # The writer commits a user and its audit entry after the earlier of the two tables has
    # been read and before the later one is: without one snapshot, the backup would hold half.
    first = min("users", "audit_entries", key=names.index)
    committed: list[str] = []

    def write_meanwhile(table: str, _rows: int) -> None:
        if table == first and not committed:
            add_user(demo, "written.during.backup@example.org")
            committed.append(table)

    backup.create_backup(demo, tmp_path / "during.zip", on_table=write_meanwhile)
    assert committed

    target_rows = _archive_rows(tmp_path / "during.zip")
    live = dump(demo)
    # The database has the write; the backup has none of it.
    assert len(target_rows["users"]) == len(live["users"]) - 1
    assert len(target_rows["audit_entries"]) == len(live["audit_entries"]) - 1
    assert all(u["email"] != "written.during.backup@example.org" for u in target_rows["users"])

    # Committed before the backup began: all of it is in.
    backup.create_backup(demo, tmp_path / "after.zip")
    after = _archive_rows(tmp_path / "after.zip")
    assert len(after["users"]) == len(live["users"])
    assert len(after["audit_entries"]) == len(live["audit_entries"])


def _archive_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    with zipfile.ZipFile(path) as zf:
        return {
            name: [json.loads(line) for line in zf.read(f"tables/{name}.jsonl").splitlines()]
            for name in ("users", "audit_entries")
        }


# -- Restore rules -----------------------------------------------------------------------------


def test_a_corrupted_table_file_is_refused_before_anything_is_written(
    demo: Engine,
    backend: str,
    new_database: NewDatabase,
    opened: Callable[[str], Engine],
    tmp_path: Path,
) -> None:
    backup.create_backup(demo, tmp_path / "good.zip")

    def tamper(name: str, data: bytes) -> bytes:
        return (
            data.replace(b"Thailand", b"Thailant", 1) if name == "tables/countries.jsonl" else data
        )

    rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", tamper)
    target = opened(new_database(backend))
    before = dump(target)
    with pytest.raises(backup.BackupError, match="checksum mismatch in table countries"):
        backup.restore_backup(target, tmp_path / "bad.zip", actor=OPERATOR)
    assert_same(dump(target), before)

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes((tmp_path / "good.zip").read_bytes()[:-5000])
    with pytest.raises(backup.BackupError, match="corrupt or truncated"):
        backup.restore_backup(target, truncated, actor=OPERATOR)
    assert_same(dump(target), before)


def test_archives_that_are_not_backups_of_this_schema_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    backup.create_backup(engine, tmp_path / "good.zip")
    with pytest.raises(NotFound, match="no such file"):
        backup.restore_backup(engine, tmp_path / "missing.zip", actor=OPERATOR)

    (tmp_path / "text.zip").write_text("hello")
    with pytest.raises(backup.BackupError, match="not a HealthBridge backup"):
        backup.restore_backup(engine, tmp_path / "text.zip", actor=OPERATOR)

    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "not a backup")
    with pytest.raises(backup.BackupError, match=r"not a HealthBridge backup \(no manifest"):
        backup.restore_backup(engine, tmp_path / "other.zip", actor=OPERATOR)

    def manifest_edit(change: dict[str, Any]) -> Callable[[str, bytes], bytes]:
        def edit(name: str, data: bytes) -> bytes:
            if name != backup.MANIFEST:
                return data
            return json.dumps({**json.loads(data), **change}).encode()

        return edit

    rewrite(
        tmp_path / "good.zip", tmp_path / "old.zip", manifest_edit({"alembic_revision": "0001"})
    )
    with pytest.raises(backup.BackupError, match=r"revision 0001.*'healthbridge migrate'"):
        backup.restore_backup(engine, tmp_path / "old.zip", actor=OPERATOR)

    rewrite(tmp_path / "good.zip", tmp_path / "v9.zip", manifest_edit({"format_version": 9}))
    with pytest.raises(backup.BackupError, match="format version 9"):
        backup.restore_backup(engine, tmp_path / "v9.zip", actor=OPERATOR)

    unmigrated = make_engine(f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}")
    try:
        with pytest.raises(Invalid, match="no schema yet: run 'healthbridge migrate'"):
            backup.restore_backup(unmigrated, tmp_path / "good.zip", actor=OPERATOR)
        with pytest.raises(Invalid, match="no schema yet: run 'healthbridge migrate'"):
            backup.create_backup(unmigrated, tmp_path / "nothing.zip")
        assert not (tmp_path / "nothing.zip").exists()
    finally:
        unmigrated.dispose()


def test_the_operators_guide_documents_backups() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Backups\n", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "healthbridge backup --output",
        "healthbridge restore --replace",
        "REPEATABLE READ",
        "```cron",
        "pg_dump",
    ):
        assert needed in section
    assert "no `healthbridge backup` command yet" not in guide


def test_a_non_empty_database_is_replaced_only_when_asked(
    demo: Engine,
    backend: str,
    new_database: NewDatabase,
    opened: Callable[[str], Engine],
    tmp_path: Path,
) -> None:
    backup.create_backup(demo, tmp_path / "b.zip")
    expected = dump(demo)
    target = opened(new_database(backend))
    add_user(target, "already.here@example.org")
    assert not backup.is_empty(target)
    before = dump(target)

    with pytest.raises(Conflict, match=r"not empty \(tables audit_entries, users.*--replace"):
        backup.restore_backup(target, tmp_path / "b.zip", actor=OPERATOR)
    assert_same(dump(target), before)

    backup.restore_backup(target, tmp_path / "b.zip", actor=OPERATOR, replace=True)
    assert_same(dump(target), expected)
    assert chain(target) == chain(demo)
    # The audit log is append-only again after the restore.
    with pytest.raises(DBAPIError, match="append-only"), target.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE id = 1"))


def test_a_failure_while_loading_leaves_the_database_as_it_was(
    demo: Engine, backend: str, tmp_path: Path
) -> None:
    backup.create_backup(demo, tmp_path / "good.zip")
    manifest = manifest_of(tmp_path / "good.zip")
    # A well-formed archive whose rows the database refuses: a duplicated user, checksummed.
    with zipfile.ZipFile(tmp_path / "good.zip") as zf:
        users = zf.read("tables/users.jsonl")
    duplicated = users + users.splitlines(keepends=True)[0]
    for entry in manifest["tables"]:
        if entry["name"] == "users":
            entry["rows"] += 1
            entry["sha256"] = hashlib.sha256(duplicated).hexdigest()

    def edit(name: str, data: bytes) -> bytes:
        if name == "tables/users.jsonl":
            return duplicated
        return json.dumps(manifest).encode() if name == backup.MANIFEST else data

    rewrite(tmp_path / "good.zip", tmp_path / "dup.zip", edit)
    add_user(demo, "not.in.the.backup@example.org")
    before = dump(demo)

    with pytest.raises(backup.BackupError, match="table users cannot be stored"):
        backup.restore_backup(demo, tmp_path / "dup.zip", actor=OPERATOR, replace=True)
    assert_same(dump(demo), before)
    assert chain(demo)[0].intact
    with pytest.raises(DBAPIError, match="append-only"), demo.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE id = 1"))


def test_a_freshly_migrated_database_counts_as_empty(engine: Engine) -> None:
    # What 'healthbridge migrate' loads (the reference data and its audit entry) is not data.
    assert backup.is_empty(engine)
    add_user(engine, "someone@example.org")
    assert not backup.is_empty(engine)


# -- Writing the file --------------------------------------------------------------------------


def test_the_file_is_written_whole_or_not_at_all(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    output = folder / "b.zip"
    output.write_text("an older file")
    with pytest.raises(Conflict, match=r"already exists.*--force"):
        backup.create_backup(engine, output)
    assert output.read_text() == "an older file"

    def interrupt(table: str, _rows: int) -> None:
        if table == "users":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup.create_backup(engine, output, force=True, on_table=interrupt)
    assert output.read_text() == "an older file"
    assert sorted(p.name for p in folder.iterdir()) == ["b.zip"]  # no temporary file left

    backup.create_backup(engine, output, force=True)
    assert zipfile.is_zipfile(output)
    assert sorted(p.name for p in folder.iterdir()) == ["b.zip"]


# -- Command line ------------------------------------------------------------------------------


def test_backup_and_restore_from_the_command_line(
    demo: Engine,
    demo_url: str,
    backend: str,
    new_database: NewDatabase,
    opened: Callable[[str], Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "200")

    def run(url: str, *args: str) -> Any:
        monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            return runner.invoke(app, list(args))
        finally:
            get_settings.cache_clear()

    expected = dump(demo)
    archive = tmp_path / "cli.zip"
    result = run(demo_url, "backup", "--output", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backed up 71 tables" in " ".join(result.stdout.split())
    # The backup itself is audited in the source database.
    with Session(demo) as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.action == "backup.create" and last.object_id == "cli.zip"

    again = run(demo_url, "backup", "--output", str(archive))
    assert again.exit_code == 1
    assert "already exists; pass --force" in again.stderr

    target_url = new_database(backend)
    restored = run(target_url, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    text_out = " ".join(restored.stdout.split())
    assert f"Restored 71 tables, {sum(map(len, expected.values()))} rows" in text_out
    assert f"Audit chain intact: {len(expected['audit_entries'])} entries verified" in text_out
    assert_same(dump(opened(target_url)), expected)

    refused = run(target_url, "restore", str(archive))
    assert refused.exit_code == 1
    assert "not empty" in refused.stderr and "--replace" in refused.stderr

    missing = run(target_url, "restore", str(tmp_path / "nowhere.zip"))
    assert missing.exit_code == 1
    assert "no such file" in missing.stderr


# -- Values ------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "str": st.text(),
    "bool": st.booleans(),
    "float": st.floats(allow_nan=False),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False),
    "date": st.dates(),
    "datetime": st.datetimes(timezones=offsets),
    "time": st.times(),
    "bytes": st.binary(),
    "json": json_values,
}


@given(
    st.lists(
        st.sampled_from(sorted(VALUES)).flatmap(
            lambda kind: st.tuples(st.just(kind), st.none() | VALUES[kind])
        ),
        max_size=8,
    )
)
def test_values_survive_encoding_exactly(columns: list[tuple[str, Any]]) -> None:
    row = {f"c{i}": value for i, (_kind, value) in enumerate(columns)}
    kinds = {f"c{i}": kind for i, (kind, _value) in enumerate(columns)}
    line = backup.canonical_line({n: backup.encode_value(kinds[n], v) for n, v in row.items()})
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one row, one line
    decoded = {n: backup.decode_value(kinds[n], v) for n, v in json.loads(line).items()}
    assert decoded == row
    for name, value in decoded.items():
        assert type(value) is type(row[name])
        if kinds[name] == "datetime" and value is not None:
            assert value.utcoffset() == row[name].utcoffset()
        if kinds[name] == "decimal" and value is not None:
            assert value.as_tuple() == row[name].as_tuple()  # scale kept: 1.50 stays 1.50


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("datetime", "2026-01-01T00:00:00"),  # no offset
        ("decimal", "one"),
        ("bytes", "not base64!"),
        ("int", True),
        ("int", "1"),
        ("bool", 1),
        ("str", 5),
        ("date", "2026-13-01"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(kind: str, value: Any) -> None:
    with pytest.raises(ValueError):
        backup.decode_value(kind, value)


def test_every_column_of_the_models_has_an_encoding() -> None:
    kinds = {backup.column_kind(c.type) for t in backup.tables() for c in t.columns}
    assert kinds <= set(backup.KINDS)
    assert {"datetime", "json", "bytes", "decimal"} <= kinds
