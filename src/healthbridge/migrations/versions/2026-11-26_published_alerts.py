"""Published alerts: the CAP 1.2 alerts of events as published, behind the public Atom feed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "published_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=120), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=320), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_published_alerts_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_alerts")),
        sa.UniqueConstraint("identifier", name=op.f("uq_published_alerts_identifier")),
    )
    op.create_index(op.f("ix_published_alerts_event_id"), "published_alerts", ["event_id"])
    op.create_index(op.f("ix_published_alerts_published_at"), "published_alerts", ["published_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_published_alerts_published_at"), table_name="published_alerts")
    op.drop_index(op.f("ix_published_alerts_event_id"), table_name="published_alerts")
    op.drop_table("published_alerts")
