"""Alembic environment: runs migrations on the engine handed over in the config's attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from healthbridge.migrate import include_object, metadata

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:  # plain `alembic` command line: use the configured database
    from healthbridge.db import make_engine
    from healthbridge.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=sqlite,
        compare_type=True,
        include_object=include_object(connection.dialect.name),
    )
    if sqlite:
        # SQLite rebuilds a table to alter it (copy, drop, rename): with foreign keys enforced,
        # dropping the old copy would fire ON DELETE CASCADE on the rows that refer to it. They
        # are switched off while migrating (possible only outside a transaction) and every
        # reference is checked before the migration commits.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke references: {broken[:10]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
