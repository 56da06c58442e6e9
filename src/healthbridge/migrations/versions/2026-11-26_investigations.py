"""Field investigations of events: their team, sample shipments and tasks.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _child(name: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return (
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["field_investigations.id"],
            name=op.f(f"fk_{name}_investigation_id_field_investigations"),
            ondelete="CASCADE",
        ),
    )


def upgrade() -> None:
    op.create_table(
        "field_investigations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("case_definition", sa.Text(), nullable=True),
        sa.Column("line_list_url", sa.String(length=2000), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("recommendations", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_field_investigations_ends_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_field_investigations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_investigations")),
    )
    op.create_index(op.f("ix_field_investigations_event_id"), "field_investigations", ["event_id"])
    op.create_table(
        "investigation_members",
        sa.Column("id", sa.Integer(), nullable=False),
        *_child("investigation_members"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=120), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_investigation_members_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_investigation_members_organisation_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigation_members")),
    )
    op.create_index(
        op.f("ix_investigation_members_investigation_id"),
        "investigation_members",
        ["investigation_id"],
    )
    op.create_table(
        "sample_shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        *_child("sample_shipments"),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("specimen", sa.String(length=120), nullable=False),
        sa.Column("laboratory", sa.String(length=200), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("result_summary", sa.Text(), nullable=True),
        sa.CheckConstraint("samples > 0", name=op.f("ck_sample_shipments_samples_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_shipments")),
    )
    op.create_index(
        op.f("ix_sample_shipments_investigation_id"), "sample_shipments", ["investigation_id"]
    )
    op.create_table(
        "investigation_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        *_child("investigation_tasks"),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_email", sa.String(length=320), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'cancelled')",
            name=op.f("ck_investigation_tasks_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigation_tasks")),
    )
    for column in ("investigation_id", "assignee_email", "due_on"):
        op.create_index(op.f(f"ix_investigation_tasks_{column}"), "investigation_tasks", [column])


def downgrade() -> None:
    for column in ("investigation_id", "assignee_email", "due_on"):
        op.drop_index(op.f(f"ix_investigation_tasks_{column}"), table_name="investigation_tasks")
    op.drop_table("investigation_tasks")
    op.drop_index(op.f("ix_sample_shipments_investigation_id"), table_name="sample_shipments")
    op.drop_table("sample_shipments")
    op.drop_index(
        op.f("ix_investigation_members_investigation_id"), table_name="investigation_members"
    )
    op.drop_table("investigation_members")
    op.drop_index(op.f("ix_field_investigations_event_id"), table_name="field_investigations")
    op.drop_table("field_investigations")
