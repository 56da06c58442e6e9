"""Assistance requests of shared events and the offers made to meet them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistance_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('field_team', 'lab_testing', 'resources')",
            name=op.f("ck_assistance_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'fulfilled', 'withdrawn')",
            name=op.f("ck_assistance_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_assistance_requests_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_requests")),
    )
    op.create_index(
        op.f("ix_assistance_requests_event_id"), "assistance_requests", ["event_id"], unique=False
    )
    op.create_index(
        op.f("ix_assistance_requests_status"), "assistance_requests", ["status"], unique=False
    )
    op.create_table(
        "assistance_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_by", sa.String(length=320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_assistance_offers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_assistance_offers_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_assistance_offers_organisation_code_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_assistance_offers_request_id_assistance_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_offers")),
    )
    op.create_index(
        op.f("ix_assistance_offers_request_id"), "assistance_offers", ["request_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assistance_offers_request_id"), table_name="assistance_offers")
    op.drop_table("assistance_offers")
    op.drop_index(op.f("ix_assistance_requests_status"), table_name="assistance_requests")
    op.drop_index(op.f("ix_assistance_requests_event_id"), table_name="assistance_requests")
    op.drop_table("assistance_requests")
