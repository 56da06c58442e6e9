"""Signals: alarms of the detection methods, one per series, week and method.

National series have no area; two partial unique indexes keep one signal per key for both.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("area_code", sa.String(length=10), nullable=True),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("upperbound", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("first_detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("triaged_by", sa.String(length=320), nullable=True),
        sa.Column("triage_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "source IN ('aggregate', 'case_rollup')", name=op.f("ck_signals_source_known")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'monitor', 'verify', 'discarded')",
            name=op.f("ck_signals_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["area_code"], ["subdivisions.code"], name=op.f("fk_signals_area_code_subdivisions")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_signals_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["disease_code"], ["diseases.code"], name=op.f("fk_signals_disease_code_diseases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    op.create_index(op.f("ix_signals_country_code"), "signals", ["country_code"], unique=False)
    op.create_index(op.f("ix_signals_disease_code"), "signals", ["disease_code"], unique=False)
    op.create_index("ix_signals_status_week", "signals", ["status", "week"], unique=False)
    op.create_index(
        "uq_signals_area_week_method",
        "signals",
        ["country_code", "area_code", "disease_code", "source", "week", "method"],
        unique=True,
        sqlite_where=sa.text("area_code IS NOT NULL"),
        postgresql_where=sa.text("area_code IS NOT NULL"),
    )
    op.create_index(
        "uq_signals_national_week_method",
        "signals",
        ["country_code", "disease_code", "source", "week", "method"],
        unique=True,
        sqlite_where=sa.text("area_code IS NULL"),
        postgresql_where=sa.text("area_code IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_signals_national_week_method",
        table_name="signals",
        sqlite_where=sa.text("area_code IS NULL"),
        postgresql_where=sa.text("area_code IS NULL"),
    )
    op.drop_index(
        "uq_signals_area_week_method",
        table_name="signals",
        sqlite_where=sa.text("area_code IS NOT NULL"),
        postgresql_where=sa.text("area_code IS NOT NULL"),
    )
    op.drop_index("ix_signals_status_week", table_name="signals")
    op.drop_index(op.f("ix_signals_disease_code"), table_name="signals")
    op.drop_index(op.f("ix_signals_country_code"), table_name="signals")
    op.drop_table("signals")
