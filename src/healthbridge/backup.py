"""Backups of the whole database in one portable file, and their restore.

A backup is a ZIP archive that holds ``manifest.json`` and one JSON-lines file per table
(``tables/<name>.jsonl``, one row per line, rows in primary-key order). Values are written
according to their column's type, so that they come back exactly: timestamps in ISO 8601 with
their offset, dates in ISO 8601, decimals as strings, binary data in base64, JSON columns as JSON.
Nothing in the file depends on the database engine: a backup of SQLite restores into PostgreSQL
and back.

The manifest names the format and its version, the HealthBridge version and the Alembic revision
of the database backed up, when the backup was made and, for every table in dependency order, its
columns, its row count and the SHA-256 of its file.

**Consistency.** Every table is read in one read-only transaction that sees one snapshot of the
database (PostgreSQL: ``REPEATABLE READ``; SQLite: one read transaction, which WAL mode keeps
apart from the writers), so a backup taken while the platform runs holds each transaction that
committed before it started, wholly, and nothing of those that committed later. Rows are
streamed: no table is ever held in memory.

**Restore** checks the whole archive (format, revision, every table's checksum) before it
writes anything, then loads every table in one transaction: any error rolls everything back and
leaves the target database as it was.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Time,
    bindparam,
    delete,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from healthbridge import __version__, migrate
from healthbridge.audit import service as audit
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.policy import Principal

FORMAT = "healthbridge-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Rows read from the database, and inserted into it, per round trip.
BATCH_ROWS = 1000
#: What 'healthbridge migrate' puts into a new database: the reference data, and the audit
#: entries of its loading. A database that holds nothing else counts as empty; a restore
#: replaces these rows with those of the backup.
REFERENCE_TABLES = frozenset(
    {
        "countries",
        "subdivisions",
        "organisations",
        "memberships",
        "diseases",
        "case_classifications",
        "uhc_indicators",
    }
)
REFERENCE_AUDIT_ACTION = "reference.seed"
_ZIP_MAGIC = b"PK\x03\x04"
#: Bounds that keep a hostile archive (a ZIP bomb) from filling memory: the manifest and one row
#: of a table file are never inflated past these, and only the methods written here are read
#: (deflate expands at most about 1000 times; bzip2 and LZMA much more).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_ROW_BYTES = 256 * 1024 * 1024
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_READ_BUFFER = 1024 * 1024

#: Called when a table is done: its name and its number of rows.
TableHook = Callable[[str, int], None]


class BackupError(Invalid):
    """The archive is not a usable backup: missing, foreign, corrupt or of another schema."""


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class BackupSummary:
    """What :func:`create_backup` wrote."""

    path: Path
    revision: str
    tables: tuple[TableSummary, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


@dataclass(frozen=True)
class RestoreSummary:
    """What :func:`restore_backup` loaded, and the audit chain's verification afterwards."""

    revision: str
    created_at: str
    tables: tuple[TableSummary, ...]
    chain: audit.ChainReport

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


# -- Values ------------------------------------------------------------------------------------

KINDS = ("int", "str", "bool", "float", "decimal", "date", "datetime", "time", "bytes", "json")


def column_kind(type_: TypeEngine[Any]) -> str:
    """How values of a column of ``type_`` are written: one of :data:`KINDS`."""
    if isinstance(type_, TypeDecorator):
        return column_kind(type_.impl_instance)
    checks: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
        (JSON, "json"),
        (Boolean, "bool"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Time, "time"),
        (Float, "float"),
        (Numeric, "decimal"),
        (Integer, "int"),
        (LargeBinary, "bytes"),
        (String, "str"),
    )
    for cls, kind in checks:
        if isinstance(type_, cls):
            if kind == "decimal" and not getattr(type_, "asdecimal", True):
                return "float"
            return kind
    raise TypeError(f"no backup encoding for column type {type_!r}")


def encode_value(kind: str, value: Any) -> Any:
    """``value`` of a column of ``kind`` as a JSON value that :func:`decode_value` reverses."""
    if value is None:
        return None
    if kind in ("datetime", "date", "time"):
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def decode_value(kind: str, value: Any) -> Any:
    """The column value that :func:`encode_value` wrote as ``value``.

    Raises ``ValueError`` when ``value`` cannot be a value of ``kind``.
    """
    if value is None or kind == "json":
        return value
    if kind == "datetime":
        parsed = dt.datetime.fromisoformat(_expect(value, str))
        if parsed.tzinfo is None:
            raise ValueError(f"timestamp without offset: {value!r}")
        return parsed
    if kind == "date":
        return dt.date.fromisoformat(_expect(value, str))
    if kind == "time":
        return dt.time.fromisoformat(_expect(value, str))
    if kind == "decimal":
        try:
            return Decimal(_expect(value, str))
        except InvalidOperation:
            raise ValueError(f"not a decimal: {value!r}") from None
    if kind == "bytes":
        try:
            return base64.b64decode(_expect(value, str), validate=True)
        except binascii.Error:
            raise ValueError("not base64") from None
    if kind == "bool":
        return _expect(value, bool)
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError(f"not an integer: {value!r}")
        return _expect(value, int)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"not a number: {value!r}")
        return float(value)
    if kind == "str":
        return _expect(value, str)
    raise ValueError(f"unknown kind {kind!r}")


def _expect(value: Any, cls: type) -> Any:
    if not isinstance(value, cls):
        raise ValueError(f"expected {cls.__name__}, got {type(value).__name__}: {value!r}")
    return value


def canonical_line(row: dict[str, Any]) -> bytes:
    """One row of a table file: JSON with sorted keys, compact, UTF-8, newline-terminated."""
    return (
        json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    ).encode()


# -- Tables ------------------------------------------------------------------------------------


def tables() -> list[Table]:
    """Every table of the models, parents before the tables that refer to them."""
    return list(migrate.metadata().sorted_tables)


def _member(table: Table) -> str:
    return f"tables/{table.name}.jsonl"


def _columns(table: Table) -> list[dict[str, str]]:
    return [{"name": c.name, "kind": column_kind(c.type)} for c in table.columns]


def _ordered(table: Table, dialect: str) -> Any:
    # Primary-key order, and byte order for text keys on both databases, so that a table's file
    # (and its checksum) is the same whichever database it comes from.
    keys: list[Any] = []
    for column in table.primary_key.columns:
        if dialect == "postgresql" and column_kind(column.type) == "str":
            keys.append(column.collate("C"))
        else:
            keys.append(column)
    return select(table).order_by(*keys)


def _self_references(table: Table) -> list[str]:
    return sorted({fk.parent.name for fk in table.foreign_keys if fk.column.table is table})


# -- Backup ------------------------------------------------------------------------------------


def create_backup(
    engine: Engine,
    output: Path,
    *,
    force: bool = False,
    on_table: TableHook | None = None,
) -> BackupSummary:
    """Write a backup of ``engine``'s database to ``output``, atomically.

    The archive is written to a temporary file beside ``output``, flushed to disk and renamed:
    ``output`` is either the whole backup or untouched. An existing ``output`` is refused unless
    ``force``.
    """
    output = Path(output)
    if output.exists() and not force:
        raise Conflict(f"{output} already exists; pass --force to overwrite it")
    if output.is_dir():
        raise Invalid(f"{output} is a directory")
    if not output.parent.is_dir():
        raise NotFound(f"no such directory: {output.parent}")
    if migrate.current_revision(engine) is None:
        raise Invalid("the database has no schema yet: run 'healthbridge migrate' first")
    handle, temp_name = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as raw:
            summary = _write_archive(engine, raw, output, on_table)
            raw.flush()
            os.fsync(raw.fileno())
        if not force and output.exists():
            raise Conflict(f"{output} appeared while the backup was written; nothing replaced")
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(output.parent)
    return summary


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not every platform opens directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _begin_snapshot(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # One snapshot for every table, taken at the first read; nothing can be written.
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    elif connection.dialect.name == "sqlite":
        # pysqlite opens no transaction before a SELECT: open it ourselves, so that every
        # SELECT reads the snapshot that the first one fixes (WAL keeps it while others write).
        connection.exec_driver_sql("BEGIN")


def _write_archive(
    engine: Engine, raw: IO[bytes], output: Path, on_table: TableHook | None
) -> BackupSummary:
    summaries: list[TableSummary] = []
    manifest_tables: list[dict[str, Any]] = []
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with engine.connect() as connection, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        _begin_snapshot(connection)
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if revision is None:
            raise Invalid("the database has no schema yet: run 'healthbridge migrate' first")
        head = migrate.head_revision(engine)
        if revision != head:
            raise Invalid(
                f"the database is at schema revision {revision}, this HealthBridge at {head}: "
                "run 'healthbridge migrate' first, or back up with the version that matches "
                "the database"
            )
        dialect = connection.dialect.name
        for table in tables():
            kinds = {c.name: column_kind(c.type) for c in table.columns}
            digest = hashlib.sha256()
            rows = 0
            with zf.open(_member(table), "w", force_zip64=True) as member:
                result = connection.execution_options(yield_per=BATCH_ROWS).execute(
                    _ordered(table, dialect)
                )
                for row in result.mappings():
                    line = canonical_line(
                        {name: encode_value(kinds[name], row[name]) for name in kinds}
                    )
                    member.write(line)
                    digest.update(line)
                    rows += 1
            summary = TableSummary(table.name, rows, digest.hexdigest())
            summaries.append(summary)
            manifest_tables.append(
                {
                    "name": table.name,
                    "file": _member(table),
                    "rows": rows,
                    "sha256": summary.sha256,
                    "columns": _columns(table),
                }
            )
            if on_table is not None:
                on_table(table.name, rows)
        connection.rollback()  # read-only: nothing to keep
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "healthbridge_version": __version__,
            "alembic_revision": revision,
            "created_at": created_at,
            "source_database": dialect,
            "tables": manifest_tables,
        }
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return BackupSummary(output, str(revision), tuple(summaries))


def record_backup(*, session: Session, actor: Principal, summary: BackupSummary) -> None:
    """Audit a backup: it is a read of every record, personal data included."""
    audit.record(
        session=session,
        actor=actor,
        action="backup.create",
        object_type="backup",
        object_id=summary.path.name,
        detail={"tables": len(summary.tables), "rows": summary.rows},
    )


# -- Reading an archive ------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """The checked manifest of a backup."""

    revision: str
    created_at: str
    healthbridge_version: str
    tables: tuple[dict[str, Any], ...]


def _open_archive(path: Path) -> zipfile.ZipFile:
    try:
        with path.open("rb") as probe:
            magic = probe.read(4)
    except FileNotFoundError:
        raise NotFound(f"no such file: {path}") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a directory, not a backup") from None
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if magic != _ZIP_MAGIC:
        raise BackupError(f"{path} is not a HealthBridge backup (not a ZIP archive)")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise BackupError(f"{path} is corrupt or truncated (unreadable ZIP archive)") from None


def read_manifest(zf: zipfile.ZipFile, path: Path) -> Manifest:
    """The manifest of the archive, checked against this version's format and tables."""
    try:
        _check_member(zf.getinfo(MANIFEST), path, limit=MAX_MANIFEST_BYTES)
        data = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError(f"{path} is not a HealthBridge backup (no {MANIFEST})") from None
    except (zipfile.BadZipFile, EOFError, OSError):
        raise BackupError(f"{path} is corrupt or truncated ({MANIFEST} unreadable)") from None
    except ValueError:
        raise BackupError(f"{path}: {MANIFEST} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"{path} is not a HealthBridge backup ({MANIFEST} of another format)")
    if data.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} has backup format version {data.get('format_version')!r}; this HealthBridge "
            f"({__version__}) reads version {FORMAT_VERSION}: restore with a matching version"
        )
    revision = data.get("alembic_revision")
    listed = data.get("tables")
    if not isinstance(revision, str) or not isinstance(listed, list):
        raise BackupError(f"{path}: {MANIFEST} lacks the revision or the tables")
    return Manifest(
        revision=revision,
        created_at=str(data.get("created_at", "")),
        healthbridge_version=str(data.get("healthbridge_version", "")),
        tables=tuple(listed),
    )


def _check_schema(manifest: Manifest, path: Path, head: str | None) -> None:
    if manifest.revision != head:
        raise BackupError(
            f"{path} was made at schema revision {manifest.revision} (HealthBridge "
            f"{manifest.healthbridge_version or 'unknown'}); this HealthBridge ({__version__}) is "
            f"at {head}: restore with the HealthBridge version that made the backup, then run "
            "'healthbridge migrate'"
        )
    expected = {t.name: _columns(t) for t in tables()}
    found: dict[str, Any] = {}
    for t in manifest.tables:
        if not (
            isinstance(t, dict)
            and isinstance(t.get("name"), str)
            and isinstance(t.get("file"), str)
            and isinstance(t.get("rows"), int)
            and isinstance(t.get("sha256"), str)
        ):
            raise BackupError(f"{path}: {MANIFEST} describes its tables incompletely")
        found[t["name"]] = t.get("columns")
    if set(found) != set(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise BackupError(
            f"{path} does not hold the tables of this schema "
            f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'})"
        )
    for name, columns in expected.items():
        if found[name] != columns:
            raise BackupError(f"{path}: the columns of table {name} differ from this schema")


def _check_member(info: zipfile.ZipInfo, path: Path, *, limit: int | None = None) -> None:
    """Refuse, before inflating it, a member HealthBridge would not have written."""
    if info.compress_type not in _METHODS:
        raise BackupError(
            f"{path} is not a HealthBridge backup: {info.filename} is compressed with a method "
            "HealthBridge does not use"
        )
    if limit is not None and info.file_size > limit:
        raise BackupError(
            f"{path} is not a HealthBridge backup: {info.filename} would inflate to "
            f"{info.file_size:,} bytes, more than {limit:,}"
        )


def _lines(zf: zipfile.ZipFile, member: str, path: Path) -> Iterator[bytes]:
    """The member's lines, none longer than :data:`MAX_ROW_BYTES` (zipfile itself never
    inflates past the size the archive declares)."""
    _check_member(zf.getinfo(member), path)
    # BufferedReader's readline honours a limit without slowing down (ZipExtFile's does not).
    with (
        zf.open(member) as inflated,
        io.BufferedReader(cast(io.RawIOBase, inflated), _READ_BUFFER) as stream,
    ):
        while line := stream.readline(MAX_ROW_BYTES + 1):
            if len(line) > MAX_ROW_BYTES and not line.endswith(b"\n"):
                raise BackupError(
                    f"{path} is not a HealthBridge backup: a line of {member} is longer than "
                    f"{MAX_ROW_BYTES:,} bytes"
                )
            yield line


def verify_archive(zf: zipfile.ZipFile, manifest: Manifest, path: Path) -> None:
    """Check every table file against its row count and SHA-256 (reads, writes nothing)."""
    for entry in manifest.tables:
        name = entry["name"]
        digest = hashlib.sha256()
        rows = 0
        try:
            for line in _lines(zf, entry["file"], path):
                digest.update(line)
                rows += 1
        except KeyError:
            raise BackupError(
                f"{path} is incomplete: the file of table {name} is missing"
            ) from None
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error):
            raise BackupError(
                f"{path} is corrupt or truncated: the file of table {name} is unreadable"
            ) from None
        if digest.hexdigest() != entry["sha256"] or rows != int(entry["rows"]):
            raise BackupError(
                f"{path} is corrupt: checksum mismatch in table {name} "
                f"({rows} rows read, {entry['rows']} expected)"
            )


def _rows(
    zf: zipfile.ZipFile, table: Table, path: Path, kinds: dict[str, str]
) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(_lines(zf, _member(table), path), start=1):
        try:
            data = json.loads(line)
        except ValueError:
            raise BackupError(
                f"{path}: table {table.name}, row {number} is not valid JSON"
            ) from None
        if not isinstance(data, dict) or set(data) != set(kinds):
            raise BackupError(f"{path}: table {table.name}, row {number} has other columns")
        row: dict[str, Any] = {}
        for name, kind in kinds.items():
            try:
                row[name] = decode_value(kind, data[name])
            except ValueError as exc:
                raise BackupError(
                    f"{path}: a value of table {table.name} is invalid",
                    errors=[FieldError(f"{table.name}.{name}", str(exc), row=number)],
                ) from None
        yield row


# -- Restore -----------------------------------------------------------------------------------


def restore_backup(
    engine: Engine,
    path: Path,
    *,
    actor: Principal,
    replace: bool = False,
    on_table: TableHook | None = None,
) -> RestoreSummary:
    """Load the backup at ``path`` into ``engine``'s database, then verify the audit chain.

    The archive is checked whole before anything is written. The target must be at the same
    schema revision as the backup (the newest this version knows) and empty, that is hold
    nothing but what 'healthbridge migrate' puts there, unless ``replace``. Every row of every
    table is deleted, then the backup's rows are inserted, all in one transaction.
    """
    path = Path(path)
    with _open_archive(path) as zf:
        manifest = read_manifest(zf, path)
        _check_schema(manifest, path, migrate.head_revision(engine))
        verify_archive(zf, manifest, path)
        target = migrate.current_revision(engine)
        if target is None:
            raise Invalid("the target database has no schema yet: run 'healthbridge migrate' first")
        if target != manifest.revision:
            raise Invalid(
                f"the target database is at schema revision {target}, the backup and this "
                f"HealthBridge at {manifest.revision}: run 'healthbridge migrate' on it first, "
                "or restore into a new database migrated by this version"
            )
        with engine.connect() as connection:
            try:
                summaries = _load(connection, zf, path, replace=replace, on_table=on_table)
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
    with Session(engine) as session:
        chain = audit.verify_chain(session=session, actor=actor)
    return RestoreSummary(manifest.revision, manifest.created_at, tuple(summaries), chain)


def _load(
    connection: Connection,
    zf: zipfile.ZipFile,
    path: Path,
    *,
    replace: bool,
    on_table: TableHook | None,
) -> list[TableSummary]:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # Take the write lock now (pysqlite would start the transaction only at the first
        # INSERT, and run the DDL below outside it).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    everything = tables()
    holding = _holding(connection)
    if holding and not replace:
        raise Conflict(
            f"the target database is not empty (tables {', '.join(holding[:5])}"
            f"{', …' if len(holding) > 5 else ''} hold rows): restore into an empty database "
            "or pass --replace to delete all its data first"
        )
    with _append_only_lifted(connection):
        for table in reversed(everything):
            connection.execute(delete(table))
        _clear_search_index(connection)
        summaries = []
        for table in everything:
            rows = _insert_table(connection, zf, path, table)
            summaries.append(TableSummary(table.name, rows, ""))
            if on_table is not None:
                on_table(table.name, rows)
    _rebuild_search_index(connection)
    if dialect == "postgresql":
        _reset_sequences(connection, everything)
    return summaries


@contextmanager
def _append_only_lifted(connection: Connection) -> Iterator[None]:
    """Lift the audit log's append-only triggers inside the transaction, then put them back.

    The triggers refuse DELETE on ``audit_entries``, which a restore with ``--replace`` must
    empty. DDL is transactional on both databases: when the restore fails, the rollback puts
    the triggers back as well.
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        yield
        connection.exec_driver_sql("ALTER TABLE audit_entries ENABLE TRIGGER USER")
        return
    triggers = [
        (str(name), str(sql))
        for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'audit_entries'"
        )
    ]
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        connection.exec_driver_sql(sql)


def _has_search_index(connection: Connection) -> bool:
    if connection.dialect.name != "sqlite":
        return False
    return (
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'documents_fts'"
        ).first()
        is not None
    )


def _clear_search_index(connection: Connection) -> None:
    if _has_search_index(connection):
        connection.exec_driver_sql("DELETE FROM documents_fts")


def _rebuild_search_index(connection: Connection) -> None:
    # SQLite searches documents through an FTS5 table of its own, which no model describes and
    # no backup holds: it is derived from the documents. PostgreSQL indexes the rows themselves.
    if _has_search_index(connection):
        connection.execute(
            text(
                "INSERT INTO documents_fts (rowid, title, text) "
                "SELECT id, title, coalesce(text, '') FROM documents"
            )
        )


def _insert_table(connection: Connection, zf: zipfile.ZipFile, path: Path, table: Table) -> int:
    kinds = {c.name: column_kind(c.type) for c in table.columns}
    later = _self_references(table)  # parents may come after their children in key order
    rows = 0
    batch: list[dict[str, Any]] = []
    try:
        for row in _rows(zf, table, path, kinds):
            batch.append({**row, **dict.fromkeys(later)} if later else row)
            rows += 1
            if len(batch) >= BATCH_ROWS:
                connection.execute(table.insert(), batch)
                batch = []
        if batch:
            connection.execute(table.insert(), batch)
        if later:
            _set_self_references(connection, zf, path, table, kinds, later)
    except DBAPIError as exc:
        raise BackupError(
            f"{path}: the rows of table {table.name} cannot be stored "
            f"({' '.join(str(exc.orig).split())}); "
            "nothing was restored"
        ) from exc
    return rows


def _set_self_references(
    connection: Connection,
    zf: zipfile.ZipFile,
    path: Path,
    table: Table,
    kinds: dict[str, str],
    columns: list[str],
) -> None:
    (key,) = table.primary_key.columns
    statement = (
        update(table)
        .where(key == bindparam("_key"))
        .values({name: bindparam(f"_v_{name}") for name in columns})
    )
    batch: list[dict[str, Any]] = []
    for row in _rows(zf, table, path, kinds):
        if all(row[name] is None for name in columns):
            continue
        batch.append({"_key": row[key.name], **{f"_v_{n}": row[n] for n in columns}})
        if len(batch) >= BATCH_ROWS:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)


def _reset_sequences(connection: Connection, everything: list[Table]) -> None:
    """Move every PostgreSQL sequence past the largest id restored, so new rows get fresh ids."""
    for table in everything:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or column_kind(keys[0].type) != "int":
            continue
        column: Column[Any] = keys[0]
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
                f'coalesce(max("{column.name}"), 1), max("{column.name}") IS NOT NULL) '
                f'FROM "{table.name}"'
            ),
            {"table": table.name, "column": column.name},
        )


def _holding(connection: Connection) -> list[str]:
    """The tables that hold more than what 'healthbridge migrate' puts there."""
    holding = []
    for table in tables():
        if table.name in REFERENCE_TABLES:
            continue
        query = select(literal(1)).select_from(table).limit(1)
        if table.name == "audit_entries":
            query = query.where(table.c.action != REFERENCE_AUDIT_ACTION)
        if connection.execute(query).first() is not None:
            holding.append(table.name)
    return holding


def is_empty(engine: Engine) -> bool:
    """Whether the database holds nothing but what 'healthbridge migrate' puts there."""
    with engine.connect() as connection:
        return not _holding(connection)
