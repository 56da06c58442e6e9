"""Surveillance: weekly counts of cases and deaths by country, area, disease and ISO week.

The national total has no area (``area_code IS NULL``); two partial unique indexes keep one row
per key for areas and for national totals alike, on PostgreSQL and SQLite.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AREA = "area_code IS NOT NULL"
_NATIONAL = "area_code IS NULL"


def upgrade() -> None:
    op.create_table(
        "weekly_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("area_code", sa.String(length=10), nullable=True),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("deaths", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cases >= 0", name=op.f("ck_weekly_counts_cases_not_negative")),
        sa.CheckConstraint(
            "deaths IS NULL OR deaths >= 0", name=op.f("ck_weekly_counts_deaths_not_negative")
        ),
        sa.CheckConstraint(
            "source IN ('aggregate', 'case_rollup')", name=op.f("ck_weekly_counts_source_known")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_weekly_counts_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["subdivisions.code"],
            name=op.f("fk_weekly_counts_area_code_subdivisions"),
        ),
        sa.ForeignKeyConstraint(
            ["disease_code"], ["diseases.code"], name=op.f("fk_weekly_counts_disease_code_diseases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_counts")),
    )
    for column in ("country_code", "area_code", "disease_code", "week", "week_start"):
        op.create_index(op.f(f"ix_weekly_counts_{column}"), "weekly_counts", [column])
    op.create_index(
        op.f("uq_weekly_counts_area_week"),
        "weekly_counts",
        ["country_code", "area_code", "disease_code", "week", "source"],
        unique=True,
        sqlite_where=sa.text(_AREA),
        postgresql_where=sa.text(_AREA),
    )
    op.create_index(
        op.f("uq_weekly_counts_national_week"),
        "weekly_counts",
        ["country_code", "disease_code", "week", "source"],
        unique=True,
        sqlite_where=sa.text(_NATIONAL),
        postgresql_where=sa.text(_NATIONAL),
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_weekly_counts_national_week"), table_name="weekly_counts")
    op.drop_index(op.f("uq_weekly_counts_area_week"), table_name="weekly_counts")
    for column in ("week_start", "week", "disease_code", "area_code", "country_code"):
        op.drop_index(op.f(f"ix_weekly_counts_{column}"), table_name="weekly_counts")
    op.drop_table("weekly_counts")
