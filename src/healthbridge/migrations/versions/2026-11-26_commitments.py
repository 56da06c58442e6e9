"""Commitments made at meetings, their status history and evidence of delivery; the e-mail outbox.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owed_by_country", sa.String(length=3), nullable=True),
        sa.Column("owed_by_organisation", sa.String(length=40), nullable=True),
        sa.Column("owed_to_country", sa.String(length=3), nullable=True),
        sa.Column("owed_to_organisation", sa.String(length=40), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.CheckConstraint(
            "(owed_by_country IS NULL) <> (owed_by_organisation IS NULL)",
            name=op.f("ck_commitments_owed_by_exactly_one"),
        ),
        sa.CheckConstraint(
            "owed_to_country IS NULL OR owed_to_organisation IS NULL",
            name=op.f("ck_commitments_owed_to_at_most_one"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_commitments_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_commitments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["owed_by_country"],
            ["countries.code"],
            name=op.f("fk_commitments_owed_by_country_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["owed_by_organisation"],
            ["organisations.code"],
            name=op.f("fk_commitments_owed_by_organisation_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["owed_to_country"],
            ["countries.code"],
            name=op.f("fk_commitments_owed_to_country_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["owed_to_organisation"],
            ["organisations.code"],
            name=op.f("fk_commitments_owed_to_organisation_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
    )
    op.create_index(op.f("ix_commitments_meeting_id"), "commitments", ["meeting_id"])
    op.create_index(op.f("ix_commitments_document_id"), "commitments", ["document_id"])
    op.create_index(op.f("ix_commitments_owed_by_country"), "commitments", ["owed_by_country"])
    op.create_index(
        op.f("ix_commitments_owed_by_organisation"), "commitments", ["owed_by_organisation"]
    )
    op.create_index(op.f("ix_commitments_due_on"), "commitments", ["due_on"])
    op.create_index(op.f("ix_commitments_status"), "commitments", ["status"])

    op.create_table(
        "commitment_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_status_changes_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_commitment_status_changes_actor_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_status_changes")),
    )
    op.create_index(
        op.f("ix_commitment_status_changes_commitment_id"),
        "commitment_status_changes",
        ["commitment_id"],
    )

    op.create_table(
        "commitment_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_commitment_evidence_commitment_id_commitments"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_commitment_evidence_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_commitment_evidence_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_evidence")),
    )
    op.create_index(
        op.f("ix_commitment_evidence_commitment_id"), "commitment_evidence", ["commitment_id"]
    )

    op.create_table(
        "outbound_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_emails")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbound_emails_dedupe_key")),
    )
    op.create_index(op.f("ix_outbound_emails_to_address"), "outbound_emails", ["to_address"])
    op.create_index(op.f("ix_outbound_emails_sent_at"), "outbound_emails", ["sent_at"])


def downgrade() -> None:
    op.drop_table("outbound_emails")
    op.drop_table("commitment_evidence")
    op.drop_table("commitment_status_changes")
    op.drop_table("commitments")
