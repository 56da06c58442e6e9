"""Events: EOC operations from signal to closure, with their areas, timeline, shares and links.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("disease_code", sa.String(length=40), nullable=True),
        sa.Column("hazard", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("week", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("risk_level", sa.String(length=12), nullable=True),
        sa.Column("activation_level", sa.String(length=8), nullable=True),
        sa.Column("shared_with_region", sa.Boolean(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "activation_level IS NULL OR activation_level IN ('watch', 'partial', 'full')",
            name=op.f("ck_events_activation_level_known"),
        ),
        sa.CheckConstraint(
            "risk_level IS NULL"
            " OR risk_level IN ('very_low', 'low', 'moderate', 'high', 'very_high')",
            name=op.f("ck_events_risk_level_known"),
        ),
        sa.CheckConstraint(
            "status IN ('signal', 'monitoring', 'verifying', 'verified', 'discarded',"
            " 'risk_assessed', 'responding', 'closed')",
            name=op.f("ck_events_status_known"),
        ),
        sa.CheckConstraint(
            "disease_code IS NOT NULL OR hazard IS NOT NULL",
            name=op.f("ck_events_disease_or_hazard"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_events_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["disease_code"], ["diseases.code"], name=op.f("fk_events_disease_code_diseases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_country_code"), "events", ["country_code"], unique=False)
    op.create_index(op.f("ix_events_disease_code"), "events", ["disease_code"], unique=False)
    op.create_index(op.f("ix_events_status"), "events", ["status"], unique=False)
    op.create_table(
        "event_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("area_code", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["subdivisions.code"], name=op.f("fk_event_areas_area_code_subdivisions")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_areas_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_areas")),
        sa.UniqueConstraint(
            "event_id", "area_code", name=op.f("uq_event_areas_event_id_area_code")
        ),
    )
    op.create_table(
        "event_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shared_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_event_shares_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_shares_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_shares")),
        sa.UniqueConstraint(
            "event_id", "country_code", name=op.f("uq_event_shares_event_id_country_code")
        ),
    )
    op.create_index(
        op.f("ix_event_shares_country_code"), "event_shares", ["country_code"], unique=False
    )
    op.create_table(
        "event_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_transitions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_transitions")),
    )
    op.create_index(
        op.f("ix_event_transitions_event_id"), "event_transitions", ["event_id"], unique=False
    )
    op.create_table(
        "event_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=True),
        sa.Column("case_report_id", sa.Integer(), nullable=True),
        sa.Column("lab_result_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_report_id"],
            ["case_reports.id"],
            name=op.f("fk_event_links_case_report_id_case_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_links_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lab_result_id"],
            ["lab_results.id"],
            name=op.f("fk_event_links_lab_result_id_lab_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signal_id"], ["signals.id"], name=op.f("fk_event_links_signal_id_signals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_links")),
    )
    op.create_index(
        op.f("ix_event_links_case_report_id"), "event_links", ["case_report_id"], unique=False
    )
    op.create_index(op.f("ix_event_links_event_id"), "event_links", ["event_id"], unique=False)
    op.create_index(
        op.f("ix_event_links_lab_result_id"), "event_links", ["lab_result_id"], unique=False
    )
    op.create_index(op.f("ix_event_links_signal_id"), "event_links", ["signal_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_event_links_signal_id"), table_name="event_links")
    op.drop_index(op.f("ix_event_links_lab_result_id"), table_name="event_links")
    op.drop_index(op.f("ix_event_links_event_id"), table_name="event_links")
    op.drop_index(op.f("ix_event_links_case_report_id"), table_name="event_links")
    op.drop_table("event_links")
    op.drop_index(op.f("ix_event_transitions_event_id"), table_name="event_transitions")
    op.drop_table("event_transitions")
    op.drop_index(op.f("ix_event_shares_country_code"), table_name="event_shares")
    op.drop_table("event_shares")
    op.drop_table("event_areas")
    op.drop_index(op.f("ix_events_status"), table_name="events")
    op.drop_index(op.f("ix_events_disease_code"), table_name="events")
    op.drop_index(op.f("ix_events_country_code"), table_name="events")
    op.drop_table("events")
