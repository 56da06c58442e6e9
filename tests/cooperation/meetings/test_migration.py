"""The meetings migration (0002): its tables agree with the models, and the search index exists.

``tests/test_migrate.py`` compares the whole schema; this narrower check names only this part's
tables, so that it holds while other parts' migrations are being written.
"""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from healthbridge import migrate

TABLES = {
    "meeting_series",
    "meetings",
    "meeting_co_chairs",
    "meeting_participants",
    "meeting_delegates",
    "meeting_agenda_items",
    "documents",
}
FTS_TABLE = "documents_fts"


def _table_of(difference: Any) -> str | None:
    """The table an Alembic difference is about (differences are tuples, or lists of tuples)."""
    item = difference[0] if isinstance(difference, list) else difference
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str):
            return part
        if name and item[0].endswith("_table"):
            return str(name)
    return None


# SQLite cannot have PostgreSQL's expression index; Alembic says so and skips it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_meeting_tables_agree_with_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": migrate.include_object(engine.dialect.name),
            },
        )
        differences = compare_metadata(context, migrate.metadata())
    mine = [d for d in differences if _table_of(d) in TABLES]
    assert mine == [], f"the meetings migration differs from the models: {mine}"


def test_the_full_text_index_exists_on_each_database(engine: Engine) -> None:
    inspector = inspect(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": FTS_TABLE}
            ).scalar_one()
        assert "fts5" in sql.lower()
    else:
        indexes = {ix["name"] for ix in inspector.get_indexes("documents")}
        assert "ix_documents_search" in indexes
        with engine.connect() as connection:
            definition = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_documents_search'")
            ).scalar_one()
        assert "USING gin" in definition
        assert "to_tsvector('simple'::regconfig" in definition


def test_downgrade_removes_the_search_table_and_upgrade_restores_it(engine: Engine) -> None:
    migrate.downgrade(engine, "0001")
    names = set(inspect(engine).get_table_names())
    assert not names & (TABLES | {FTS_TABLE})
    migrate.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert names >= TABLES
    if engine.dialect.name == "sqlite":
        assert FTS_TABLE in names
