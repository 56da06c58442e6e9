"""The case table partitioned by country on PostgreSQL.

A country's case list, its roll-up into weekly counts and its imports only ever touch that
country's cases: with ``case_reports`` partitioned by ``LIST (country_code)`` (one partition per
country of the cooperation, ``case_reports__tha``, and a default one for any country added
later) PostgreSQL prunes the other countries' partitions, keeps each country's indexes small, and
a country's cases can be detached, archived or moved to another tablespace on their own.

A partitioned table's primary and unique keys must include the partition column, so the key is
``(id, country_code)`` there, and what refers to a case refers to that pair: lab results already
carry their case's country; event links gain ``case_country_code``. SQLite is not partitioned: it
keeps ``id`` as its key and gets the pair as a unique constraint, so that the references are the
same on both databases. Existing rows are kept (copied into the partitioned table).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.elements import conv

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The countries of the cooperation when this revision was written: one partition each.
COUNTRIES = (
    "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM", "KOR", "CHN", "JPN"
)  # fmt: skip

LAB_FK = "fk_lab_results_case_report_id_case_reports"
LINK_FK = "fk_event_links_case_report_id_case_reports"
LINK_CHECK = conv("ck_event_links_target_given")
KIND_CHECK = conv("ck_event_links_kind_known")
NEW_CASE = "case_report_id IS NOT NULL AND case_country_code IS NOT NULL"
OLD_CASE = "case_report_id IS NOT NULL"
PAIR = "uq_case_reports_id_country_code"

#: The case table's indexes (name, columns), as migrations 0008 and 0017 made them.
INDEXES = (
    ("ix_case_reports_area_code", ["area_code"]),
    ("ix_case_reports_batch_id", ["batch_id"]),
    ("ix_case_reports_disease_code", ["disease_code"]),
    ("ix_case_reports_report_date", ["report_date"]),
    ("ix_case_reports_rollup", ["country_code", "disease_code", "week"]),
    ("ix_case_reports_country_report", ["country_code", "report_date", "id"]),
)
#: The case table's references (name, column, referred table, referred column).
REFERENCES = (
    ("fk_case_reports_area_code_subdivisions", "area_code", "subdivisions", "code"),
    ("fk_case_reports_batch_id_case_import_batches", "batch_id", "case_import_batches", "id"),
    ("fk_case_reports_country_code_countries", "country_code", "countries", "code"),
    ("fk_case_reports_disease_code_diseases", "disease_code", "diseases", "code"),
)


def _target_given(case: str) -> str:
    return (
        "(kind = 'signal' AND signal_id IS NOT NULL)"
        f" OR (kind = 'case' AND {case})"
        " OR (kind = 'lab_result' AND lab_result_id IS NOT NULL)"
        " OR (kind IN ('document', 'note') AND text IS NOT NULL)"
    )


def _rebuild_case_table(*, partitioned: bool) -> None:
    """Copy ``case_reports`` into a new table (partitioned by country or not) under the same
    name, with the same columns, checks, sequence, indexes and references (PostgreSQL)."""
    op.execute("ALTER SEQUENCE case_reports_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE case_reports RENAME TO case_reports_old")
    by_country = " PARTITION BY LIST (country_code)" if partitioned else ""
    op.execute(
        "CREATE TABLE case_reports (LIKE case_reports_old INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        + by_country
    )
    if partitioned:
        for code in COUNTRIES:
            op.execute(
                f"CREATE TABLE case_reports__{code.lower()} PARTITION OF case_reports"
                f" FOR VALUES IN ('{code}')"
            )
        op.execute("CREATE TABLE case_reports__other PARTITION OF case_reports DEFAULT")
    op.execute("INSERT INTO case_reports SELECT * FROM case_reports_old")
    op.execute("DROP TABLE case_reports_old")
    op.execute("ALTER SEQUENCE case_reports_id_seq OWNED BY case_reports.id")
    key = ["id", "country_code"] if partitioned else ["id"]
    op.create_primary_key("pk_case_reports", "case_reports", key)
    op.create_unique_constraint(
        "uq_case_reports_country_code_case_id", "case_reports", ["country_code", "case_id"]
    )
    for name, column, table, referred in REFERENCES:
        op.create_foreign_key(name, "case_reports", table, [column], [referred])
    for name, columns in INDEXES:
        op.create_index(name, "case_reports", columns, unique=False)


def _link_checks(case: str) -> str:
    """event_links' two checks as table clauses (migration 0010 had them in the models only)."""
    kinds = "kind IN ('signal', 'case', 'lab_result', 'document', 'note')"
    return (
        f"CONSTRAINT {KIND_CHECK} CHECK ({kinds}),"
        f" CONSTRAINT {LINK_CHECK} CHECK ({_target_given(case)})"
    )


def _postgresql_link_checks(case: str) -> None:
    for name in (KIND_CHECK, LINK_CHECK):
        op.execute(f"ALTER TABLE event_links DROP CONSTRAINT IF EXISTS {name}")
    kinds = "kind IN ('signal', 'case', 'lab_result', 'document', 'note')"
    op.create_check_constraint(KIND_CHECK, "event_links", kinds)
    op.create_check_constraint(LINK_CHECK, "event_links", _target_given(case))


def _replace_once(sql: str, pattern: str, replacement: str) -> str:
    found, count = re.subn(pattern, replacement, sql)
    if count != 1:
        raise RuntimeError(f"expected one match of {pattern!r} in: {sql}")
    return found


def _without_check(sql: str, name: str) -> str:
    """``sql`` without the ``CONSTRAINT name CHECK (...)`` clause (and its comma), if any."""
    start = sql.find(f"CONSTRAINT {name} CHECK")
    if start < 0:
        return sql
    depth, end = 0, sql.index("(", start)
    while True:
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            break
        end += 1
    before = sql[:start].rstrip()
    return (before[:-1] if before.endswith(",") else before) + sql[end + 1 :]


def _with_clauses(sql: str, clauses: str, drop: str | None = None) -> str:
    """``sql`` (a CREATE TABLE) with ``clauses`` added at the end of its definitions (and the
    definition matching ``drop`` taken out)."""
    body = (_replace_once(sql, drop, "") if drop else sql).rstrip()
    if not body.endswith(")"):
        raise RuntimeError(f"not a table definition: {sql}")
    return f"{body[:-1].rstrip()}, {clauses}\n)"


def _rebuild_sqlite(table: str, edit: Callable[[str], str]) -> None:
    """SQLite's own way to change what ALTER TABLE cannot: a new table from the edited
    definition, the rows copied (the columns both have), the old table dropped, the new one
    renamed, its indexes made again. Foreign keys are off while migrating (see ``env.py``)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = (
        bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table,),
        )
        .scalars()
        .all()
    )
    rebuilt = f"{table}_rebuilt"
    create = _replace_once(edit(sql), rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {rebuilt} (")
    bind.exec_driver_sql(create)
    old = {row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({table})")}
    new = [row[1] for row in bind.exec_driver_sql(f"PRAGMA table_info({rebuilt})")]
    listed = ", ".join(column for column in new if column in old)
    copy = f"INSERT INTO {rebuilt} ({listed}) SELECT {listed} FROM {table}"  # noqa: S608
    bind.exec_driver_sql(copy)
    bind.exec_driver_sql(f"DROP TABLE {table}")
    bind.exec_driver_sql(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for statement in indexes:
        bind.exec_driver_sql(statement)


def _case_reference(columns: str, referred: str) -> str:
    return f"FOREIGN KEY({columns}) REFERENCES case_reports ({referred})"


#: The SQL of a reference to a case, single or as the pair (SQLAlchemy's spelling, quotes optional).
SINGLE = r'FOREIGN KEY ?\(case_report_id\) REFERENCES "?case_reports"? \(id\)'
PAIRED = (
    r'FOREIGN KEY ?\(case_report_id, {country}\) REFERENCES "?case_reports"? \(id, country_code\)'
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.drop_constraint(LAB_FK, "lab_results", type_="foreignkey")
        op.drop_constraint(LINK_FK, "event_links", type_="foreignkey")
    op.add_column("event_links", sa.Column("case_country_code", sa.String(length=3)))
    op.execute(
        "UPDATE event_links SET case_country_code = (SELECT country_code FROM case_reports"
        " WHERE case_reports.id = event_links.case_report_id)"
        " WHERE case_report_id IS NOT NULL"
    )
    if postgresql:
        _rebuild_case_table(partitioned=True)
        for name, table, country in (
            (LAB_FK, "lab_results", "country_code"),
            (LINK_FK, "event_links", "case_country_code"),
        ):
            op.create_foreign_key(
                name,
                table,
                "case_reports",
                ["case_report_id", country],
                ["id", "country_code"],
                ondelete="CASCADE",
            )
        _postgresql_link_checks(NEW_CASE)
        return
    # SQLite: the pair as a unique constraint, and the references rebuilt onto it.
    _rebuild_sqlite(
        "case_reports",
        lambda sql: _with_clauses(sql, f"CONSTRAINT {PAIR} UNIQUE (id, country_code)"),
    )
    _rebuild_sqlite(
        "lab_results",
        lambda sql: _replace_once(
            sql, SINGLE, _case_reference("case_report_id, country_code", "id, country_code")
        ),
    )
    _rebuild_sqlite(
        "event_links",
        lambda sql: _with_clauses(
            _replace_once(
                _without_check(_without_check(sql, KIND_CHECK), LINK_CHECK),
                SINGLE,
                _case_reference("case_report_id, case_country_code", "id, country_code"),
            ),
            _link_checks(NEW_CASE),
        ),
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.drop_constraint(LAB_FK, "lab_results", type_="foreignkey")
        op.drop_constraint(LINK_FK, "event_links", type_="foreignkey")
        _rebuild_case_table(partitioned=False)
        for name, table in ((LAB_FK, "lab_results"), (LINK_FK, "event_links")):
            op.create_foreign_key(
                name, table, "case_reports", ["case_report_id"], ["id"], ondelete="CASCADE"
            )
        _postgresql_link_checks(OLD_CASE)
        op.drop_column("event_links", "case_country_code")
        return
    _rebuild_sqlite(
        "event_links",
        lambda sql: _with_clauses(
            _replace_once(
                _without_check(_without_check(sql, KIND_CHECK), LINK_CHECK),
                PAIRED.format(country="case_country_code"),
                _case_reference("case_report_id", "id"),
            ),
            _link_checks(OLD_CASE),
            # (as ALTER TABLE ADD COLUMN or the rebuild wrote it: before or after a comma)
            drop=r",\s*case_country_code VARCHAR\(3\)|case_country_code VARCHAR\(3\),\s*",
        ),
    )
    _rebuild_sqlite(
        "lab_results",
        lambda sql: _replace_once(
            sql, PAIRED.format(country="country_code"), _case_reference("case_report_id", "id")
        ),
    )
    _rebuild_sqlite(
        "case_reports",
        lambda sql: _replace_once(sql, rf",\s*CONSTRAINT {PAIR} UNIQUE \(id, country_code\)", ""),
    )
