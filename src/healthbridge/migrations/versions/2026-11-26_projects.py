"""Cooperation projects as IATI 2.03 activities: narratives, participating organisations,
dates, recipient countries, sectors, budgets, transactions, results, indicators and periods.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=18, scale=2)
PERCENTAGE = sa.Numeric(precision=5, scale=2)


def _project_id(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f(f"fk_{table}_project_id_projects"),
            ondelete="CASCADE",
        ),
    ]


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iati_identifier", sa.String(length=150), nullable=False),
        sa.Column("default_language", sa.String(length=2), nullable=False),
        sa.Column("default_currency", sa.String(length=3), nullable=False),
        sa.Column("reporting_org_code", sa.String(length=40), nullable=False),
        sa.Column("reporting_org_ref", sa.String(length=150), nullable=False),
        sa.Column("reporting_org_type", sa.String(length=2), nullable=False),
        sa.Column("activity_status", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reporting_org_code"],
            ["organisations.code"],
            name=op.f("fk_projects_reporting_org_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("iati_identifier", name=op.f("uq_projects_iati_identifier")),
    )
    _index("projects", "reporting_org_code")
    _index("projects", "activity_status")

    op.create_table(
        "project_narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_narratives"),
        sa.Column("element", sa.String(length=20), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_narratives")),
        sa.UniqueConstraint(
            "project_id",
            "element",
            "lang",
            name=op.f("uq_project_narratives_project_id_element_lang"),
        ),
    )

    op.create_table(
        "project_participating_orgs",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_participating_orgs"),
        sa.Column("role", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=150), nullable=True),
        sa.Column("type", sa.String(length=2), nullable=True),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_project_participating_orgs_organisation_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_participating_orgs")),
    )
    _index("project_participating_orgs", "project_id")

    op.create_table(
        "project_activity_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_activity_dates"),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("iso_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_activity_dates")),
        sa.UniqueConstraint(
            "project_id", "type", name=op.f("uq_project_activity_dates_project_id_type")
        ),
    )

    op.create_table(
        "project_recipient_countries",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_recipient_countries"),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("percentage", PERCENTAGE, nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_project_recipient_countries_country_code_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_recipient_countries")),
        sa.UniqueConstraint(
            "project_id",
            "country_code",
            name=op.f("uq_project_recipient_countries_project_id_country_code"),
        ),
    )
    _index("project_recipient_countries", "country_code")

    op.create_table(
        "project_sectors",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_sectors"),
        sa.Column("vocabulary", sa.String(length=4), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("percentage", PERCENTAGE, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_sectors")),
        sa.UniqueConstraint(
            "project_id",
            "vocabulary",
            "code",
            name=op.f("uq_project_sectors_project_id_vocabulary_code"),
        ),
    )
    _index("project_sectors", "code")

    op.create_table(
        "project_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_budgets"),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_budgets")),
    )
    _index("project_budgets", "project_id")

    op.create_table(
        "project_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_transactions"),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("transaction_date", sa.Date(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("provider_org_ref", sa.String(length=150), nullable=True),
        sa.Column("provider_org_type", sa.String(length=2), nullable=True),
        sa.Column("provider_org_name", sa.JSON(), nullable=False),
        sa.Column("receiver_org_ref", sa.String(length=150), nullable=True),
        sa.Column("receiver_org_type", sa.String(length=2), nullable=True),
        sa.Column("receiver_org_name", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_transactions")),
    )
    _index("project_transactions", "project_id")

    op.create_table(
        "project_results",
        sa.Column("id", sa.Integer(), nullable=False),
        *_project_id("project_results"),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_results")),
    )
    _index("project_results", "project_id")

    op.create_table(
        "project_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.Integer(), nullable=False),
        sa.Column("ascending", sa.Boolean(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("baseline_iso_date", sa.Date(), nullable=True),
        sa.Column("baseline_value", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["project_results.id"],
            name=op.f("fk_project_indicators_result_id_project_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_indicators")),
    )
    _index("project_indicators", "result_id")

    op.create_table(
        "project_indicator_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("target_value", sa.String(length=200), nullable=True),
        sa.Column("actual_value", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["project_indicators.id"],
            name=op.f("fk_project_indicator_periods_indicator_id_project_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_indicator_periods")),
    )
    _index("project_indicator_periods", "indicator_id")


def downgrade() -> None:
    for table, column in (
        ("project_indicator_periods", "indicator_id"),
        ("project_indicators", "result_id"),
        ("project_results", "project_id"),
        ("project_transactions", "project_id"),
        ("project_budgets", "project_id"),
        ("project_sectors", "code"),
        ("project_recipient_countries", "country_code"),
        ("project_participating_orgs", "project_id"),
    ):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    op.drop_table("project_activity_dates")
    op.drop_table("project_narratives")
    op.drop_index(op.f("ix_projects_activity_status"), table_name="projects")
    op.drop_index(op.f("ix_projects_reporting_org_code"), table_name="projects")
    op.drop_table("projects")
