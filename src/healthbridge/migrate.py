"""Alembic, driven from Python: ``healthbridge migrate`` and the tests use this.

The migration scripts ship inside the package so that an installed HealthBridge can migrate its
database without the source tree.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, ForeignKeyConstraint, MetaData, UniqueConstraint, inspect

from healthbridge.db import PARTITION_SEPARATOR, POSTGRESQL_PRIMARY_KEY, Base


def metadata() -> MetaData:
    """The metadata of every table, with every domain's models imported."""
    # Imported for their side effect: registering tables on Base.metadata.
    from healthbridge.accounts import models as _accounts  # noqa: F401
    from healthbridge.audit import models as _audit  # noqa: F401
    from healthbridge.cooperation.commitments import models as _commitments  # noqa: F401
    from healthbridge.cooperation.meetings import models as _meetings  # noqa: F401
    from healthbridge.cooperation.projects import models as _projects  # noqa: F401
    from healthbridge.cooperation.training import models as _training  # noqa: F401
    from healthbridge.cooperation.uhc import models as _uhc  # noqa: F401
    from healthbridge.eoc import assessment_models as _eoc_assessments  # noqa: F401
    from healthbridge.eoc import assistance_models as _eoc_assistance  # noqa: F401
    from healthbridge.eoc import investigation_models as _investigations  # noqa: F401
    from healthbridge.eoc import models as _eoc  # noqa: F401
    from healthbridge.geography import models as _geography  # noqa: F401
    from healthbridge.notifications import models as _notifications  # noqa: F401
    from healthbridge.organisations import models as _organisations  # noqa: F401
    from healthbridge.resources import models as _resources  # noqa: F401
    from healthbridge.surveillance import models as _surveillance  # noqa: F401

    return Base.metadata


def is_partition(name: str | None) -> bool:
    """Whether a table is a partition of a partitioned table (``case_reports__tha``): made by a
    migration on PostgreSQL, not a model of its own."""
    return name is not None and PARTITION_SEPARATOR in name


def is_modelled(
    obj: object, name: str | None, type_: str, reflected: bool, _compare: object
) -> bool:
    """Alembic's ``include_object``: leave out what the database makes beside our models.

    SQLite's FTS5 virtual tables (``<table>_fts``) and their shadow tables are created by
    migrations with raw SQL and are not SQLAlchemy models; nor are PostgreSQL's partitions.
    """
    fts = name is not None and (name.endswith("_fts") or "_fts_" in name)
    if type_ == "foreign_key_constraint" and isinstance(obj, ForeignKeyConstraint):
        # PostgreSQL keeps one internal copy of a reference to a partitioned table per partition.
        return not (reflected and is_partition(obj.referred_table.name))
    return not (type_ == "table" and (fts or is_partition(name)))


def include_object(dialect: str) -> Callable[[object, str | None, str, bool, object], bool]:
    """:func:`is_modelled` for a database of ``dialect``: on PostgreSQL, also leave out the
    unique constraints that it holds as a partitioned table's primary key (see
    :data:`healthbridge.db.POSTGRESQL_PRIMARY_KEY`); Alembic does not compare primary keys."""

    def included(
        obj: object, name: str | None, type_: str, reflected: bool, compare: object
    ) -> bool:
        if (
            dialect == "postgresql"
            and type_ == "unique_constraint"
            and isinstance(obj, UniqueConstraint)
            and obj.info.get(POSTGRESQL_PRIMARY_KEY)
        ):
            return False
        return is_modelled(obj, name, type_, reflected, compare)

    return included


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that migrates ``engine``'s database."""
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("healthbridge").joinpath("migrations"))
    )
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` before the first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return row[0] if row else None


def head_revision(engine: Engine) -> str | None:
    """The newest revision the package ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` removes every table)."""
    command.downgrade(alembic_config(engine), revision)
