"""Event assessments: rapid risk assessment versions, IHR Annex 2 decisions, 7-1-7 timeliness.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = (
    "investigation",
    "epi_analysis_risk_assessment",
    "lab_confirmation",
    "case_management_ipc",
    "community_countermeasures",
    "risk_communication",
    "coordination",
)
QUESTIONS = ("serious_impact", "unusual", "international_spread", "travel_trade_restrictions")


def _event_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["event_id"], ["events.id"], name=op.f(f"fk_{table}_event_id_events"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "risk_assessment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hazard", sa.Text(), nullable=False),
        sa.Column("exposure", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("likelihood", sa.String(length=16), nullable=False),
        sa.Column("consequence", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_by", sa.String(length=320), nullable=False),
        _event_fk("risk_assessment_versions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment_versions")),
        sa.UniqueConstraint(
            "event_id", "version", name=op.f("uq_risk_assessment_versions_event_id_version")
        ),
    )
    op.create_index(
        op.f("ix_risk_assessment_versions_event_id"), "risk_assessment_versions", ["event_id"]
    )
    answers: list[sa.Column[object]] = []
    for question in QUESTIONS:
        answers.append(sa.Column(question, sa.Boolean(), nullable=True))
        answers.append(sa.Column(f"{question}_justification", sa.Text(), nullable=True))
    op.create_table(
        "annex2_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *answers,
        sa.Column("disease_group", sa.String(length=24), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=False),
        _event_fk("annex2_decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annex2_decisions")),
        sa.UniqueConstraint(
            "event_id", "version", name=op.f("uq_annex2_decisions_event_id_version")
        ),
    )
    op.create_index(op.f("ix_annex2_decisions_event_id"), "annex2_decisions", ["event_id"])
    op.create_table(
        "event_timeliness",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("emergence_date", sa.Date(), nullable=True),
        sa.Column("detection_date", sa.Date(), nullable=True),
        sa.Column("notification_date", sa.Date(), nullable=True),
        *(sa.Column(action, sa.Date(), nullable=True) for action in ACTIONS),
        sa.Column("not_applicable", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        _event_fk("event_timeliness"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_timeliness")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_timeliness_event_id")),
    )


def downgrade() -> None:
    op.drop_table("event_timeliness")
    op.drop_index(op.f("ix_annex2_decisions_event_id"), table_name="annex2_decisions")
    op.drop_table("annex2_decisions")
    op.drop_index(
        op.f("ix_risk_assessment_versions_event_id"), table_name="risk_assessment_versions"
    )
    op.drop_table("risk_assessment_versions")
