"""Indexes chosen from the hot list queries: a country's case reports newest first.

The case list (``GET /api/v1/cases``, the case pages) filters by country and sorts by report
date, ties by id; with this index PostgreSQL reads a page straight from it instead of sorting all
of a country's cases (``tests/test_query_plans.py`` checks the plan of the real query).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_reports_country_report",
        "case_reports",
        ["country_code", "report_date", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_case_reports_country_report", table_name="case_reports")
