"""Indexes chosen from the other hot list queries (those ``bench/load.py`` drives and the
situation room reads), each serving its list's filter and default order, ties by id, so that
PostgreSQL reads a page straight from the index instead of sorting every matching row
(``tests/test_query_plans.py`` checks the plans of the services' real queries):

- ``ix_signals_country_week``: a country's signal queue (``GET /api/v1/signals?country=``),
  newest week first, then highest score (no score last), then id;
- ``ix_signals_week``: the same queue for the whole region (no country filter);
- ``ix_weekly_counts_country_disease_week``: a country's weekly counts of one disease
  (``GET /api/v1/weekly-counts?country=&disease=``) by week, then area (national first), source
  and id;
- ``ix_events_updated``: the event board (``GET /api/v1/events``), last changed first or last
  (the visibility condition is a filter on the scan);
- ``ix_lab_results_country_sample``: a country's lab results (``GET /api/v1/lab-results``) by
  sample date, either direction;
- ``ix_audit_entries_action_id`` and ``ix_audit_entries_country_id``: the audit log filtered by
  action or by country (``GET /api/v1/audit``), newest first. They replace
  ``ix_audit_entries_action`` and ``ix_audit_entries_country_code``, which they make redundant
  (same leading column).

The signals' and weekly counts' indexes order by an expression (the services sort by
``coalesce(...)``) and exist on PostgreSQL only: SQLite never matches a query's bound parameter
to an index's expression, and cannot reflect such indexes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The queue's score order, as ``signal_queue.list_signals`` sorts it (no score last).
_SCORE = sa.text("coalesce(score, '-1e+300'::double precision)")
#: The weekly list's area order, as ``weekly.list_weekly_counts`` sorts it (national first).
_AREA = sa.text("coalesce(area_code, '')")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_signals_country_week", "signals", ["country_code", "week_start", _SCORE, "id"]
        )
        op.create_index("ix_signals_week", "signals", ["week_start", _SCORE, "id"])
        op.create_index(
            "ix_weekly_counts_country_disease_week",
            "weekly_counts",
            ["country_code", "disease_code", "week_start", _AREA, "source", "id"],
        )
    op.create_index("ix_events_updated", "events", ["updated_at", "id"])
    op.create_index(
        "ix_lab_results_country_sample", "lab_results", ["country_code", "sample_date", "id"]
    )
    op.create_index("ix_audit_entries_action_id", "audit_entries", ["action", "id"])
    op.create_index("ix_audit_entries_country_id", "audit_entries", ["country_code", "id"])
    op.drop_index("ix_audit_entries_action", table_name="audit_entries")
    op.drop_index("ix_audit_entries_country_code", table_name="audit_entries")


def downgrade() -> None:
    op.create_index("ix_audit_entries_country_code", "audit_entries", ["country_code"])
    op.create_index("ix_audit_entries_action", "audit_entries", ["action"])
    op.drop_index("ix_audit_entries_country_id", table_name="audit_entries")
    op.drop_index("ix_audit_entries_action_id", table_name="audit_entries")
    op.drop_index("ix_lab_results_country_sample", table_name="lab_results")
    op.drop_index("ix_events_updated", table_name="events")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_weekly_counts_country_disease_week", table_name="weekly_counts")
        op.drop_index("ix_signals_week", table_name="signals")
        op.drop_index("ix_signals_country_week", table_name="signals")
