"""The audit log table. Rows are only ever inserted; a trigger refuses updates and deletes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base, UTCDateTime


class AuditEntry(Base):
    """One write, one read of personal data, or one refused attempt.

    ``entry_hash`` is the SHA-256 of the previous entry's hash and this entry's content, so that
    editing or deleting any row breaks the chain from there on.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        # The log's filtered lists (service.list_entries): newest (highest id) first.
        Index("ix_audit_entries_action_id", "action", "id"),
        Index("ix_audit_entries_country_id", "country_code", "id"),
        # Refusals (``outcome=denied``): few among the reads every request logs, so only they
        # are indexed; a plain index on the outcome would grow with every audited request.
        Index(
            "ix_audit_entries_refused_id",
            "id",
            sqlite_where=text("outcome <> 'ok'"),
            postgresql_where=text("outcome <> 'ok'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str | None] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str | None] = mapped_column(String(3))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
