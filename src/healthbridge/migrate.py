"""Alembic, driven from Python: ``healthbridge migrate`` and the tests use this.

The migration scripts ship inside the package so that an installed HealthBridge can migrate its
database without the source tree.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, inspect

from healthbridge.db import Base


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


def is_modelled(
    obj: object, name: str | None, type_: str, reflected: bool, _compare: object
) -> bool:
    """Alembic's ``include_object``: leave out what the database makes beside our models.

    SQLite's FTS5 virtual tables (``<table>_fts``) and their shadow tables are created by
    migrations with raw SQL and are not SQLAlchemy models.
    """
    fts = name is not None and (name.endswith("_fts") or "_fts_" in name)
    return not (type_ == "table" and fts)


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
