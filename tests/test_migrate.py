"""Migrations: the schema they build is exactly the models', on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from healthbridge import migrate


def test_database_is_at_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": migrate.include_object(engine.dialect.name),
            },
        )
        differences = compare_metadata(context, migrate.metadata())
    assert differences == [], f"write a migration for: {differences}"


def test_constraints_follow_the_naming_convention(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in inspector.get_table_names():
        if table == "alembic_version" or migrate.is_partition(table):
            continue
        assert inspector.get_pk_constraint(table)["name"] in (f"pk_{table}", None)
        for fk in inspector.get_foreign_keys(table):
            if migrate.is_partition(fk["referred_table"]):
                continue  # PostgreSQL's own copy of a reference to a partitioned table
            assert fk["name"] is None or fk["name"].startswith(f"fk_{table}_")
        for unique in inspector.get_unique_constraints(table):
            assert unique["name"].startswith(f"uq_{table}_")


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) in (None, "")
    assert "users" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert "users" in inspect(engine).get_table_names()
