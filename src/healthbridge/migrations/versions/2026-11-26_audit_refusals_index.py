"""The audit log's refusals (``GET /api/v1/audit?outcome=denied``, the audit page's filter) read
their page from a partial index of the entries whose outcome is not ``ok``, newest first,
instead of walking the whole log backwards: every audited read adds an ``ok`` entry, refusals
are few. The index holds only them, so it costs the audited requests nothing
(``tests/test_query_plans.py`` checks the plan).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = sa.text("outcome <> 'ok'")


def upgrade() -> None:
    op.create_index(
        "ix_audit_entries_refused_id",
        "audit_entries",
        ["id"],
        sqlite_where=REFUSED,
        postgresql_where=REFUSED,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entries_refused_id", table_name="audit_entries")
