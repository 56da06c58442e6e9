"""Resource mobilisation: catalogue, holders, lots and the stock ledger, teams, requests and
pledges, allocation plans and shipments.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected', 'superseded')",
            name=op.f("ck_allocation_plans_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plans")),
    )
    op.create_index(
        op.f("ix_allocation_plans_status"), "allocation_plans", ["status"], unique=False
    )
    op.create_table(
        "resource_items",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("atc_code", sa.String(length=7), nullable=True),
        sa.Column("who_eml", sa.Boolean(), nullable=False),
        sa.Column("unit_of_issue", sa.String(length=40), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("cold_chain", sa.String(length=10), nullable=False),
        sa.Column("min_shelf_life_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cold_chain IN ('none', '2_8c', 'minus_20c', 'minus_70c')",
            name=op.f("ck_resource_items_cold_chain_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('medicine', 'vaccine', 'diagnostic', 'ppe', 'equipment', 'other')",
            name=op.f("ck_resource_items_kind_known"),
        ),
        sa.CheckConstraint(
            "min_shelf_life_days >= 0", name=op.f("ck_resource_items_shelf_life_not_negative")
        ),
        sa.CheckConstraint("pack_size >= 1", name=op.f("ck_resource_items_pack_size_positive")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_resource_items")),
    )
    op.create_table(
        "resource_holders",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('national_stockpile', 'regional_reserve', 'partner')",
            name=op.f("ck_resource_holders_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_resource_holders_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_resource_holders_organisation_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_resource_holders")),
    )
    op.create_index(
        op.f("ix_resource_holders_country_code"), "resource_holders", ["country_code"], unique=False
    )
    op.create_table(
        "resource_transit_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin_code", sa.String(length=3), nullable=False),
        sa.Column("destination_code", sa.String(length=3), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.CheckConstraint("days >= 0", name=op.f("ck_resource_transit_times_days_not_negative")),
        sa.ForeignKeyConstraint(
            ["destination_code"],
            ["countries.code"],
            name=op.f("fk_resource_transit_times_destination_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_code"],
            ["countries.code"],
            name=op.f("fk_resource_transit_times_origin_code_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_transit_times")),
        sa.UniqueConstraint(
            "origin_code",
            "destination_code",
            name=op.f("uq_resource_transit_times_origin_code_destination_code"),
        ),
    )
    op.create_table(
        "resource_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=60), nullable=False),
        sa.Column("holder_code", sa.String(length=40), nullable=False),
        sa.Column("lot_number", sa.String(length=60), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_code"],
            ["resource_holders.code"],
            name=op.f("fk_resource_lots_holder_code_resource_holders"),
        ),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["resource_items.code"],
            name=op.f("fk_resource_lots_item_code_resource_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_lots")),
        sa.UniqueConstraint(
            "holder_code",
            "item_code",
            "lot_number",
            name=op.f("uq_resource_lots_holder_code_item_code_lot_number"),
        ),
    )
    op.create_index(
        op.f("ix_resource_lots_expires_on"), "resource_lots", ["expires_on"], unique=False
    )
    op.create_index(
        op.f("ix_resource_lots_holder_code"), "resource_lots", ["holder_code"], unique=False
    )
    op.create_index(
        op.f("ix_resource_lots_item_code"), "resource_lots", ["item_code"], unique=False
    )
    op.create_table(
        "resource_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder_code", sa.String(length=40), nullable=False),
        sa.Column("team_type", sa.String(length=32), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("available_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "team_type IN ('emt_type_1_mobile', 'emt_type_1_fixed', 'emt_type_2', "
            "'emt_type_3', 'emt_specialised_care_cell', 'field_epidemiologist', "
            "'laboratory_scientist')",
            name=op.f("ck_resource_teams_team_type_known"),
        ),
        sa.CheckConstraint(
            "available_until IS NULL OR available_until >= available_from",
            name=op.f("ck_resource_teams_available_window"),
        ),
        sa.CheckConstraint("members >= 1", name=op.f("ck_resource_teams_members_positive")),
        sa.ForeignKeyConstraint(
            ["holder_code"],
            ["resource_holders.code"],
            name=op.f("fk_resource_teams_holder_code_resource_holders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_resource_teams_code")),
    )
    op.create_index(
        op.f("ix_resource_teams_holder_code"), "resource_teams", ["holder_code"], unique=False
    )
    op.create_table(
        "resource_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_code", sa.String(length=60), nullable=True),
        sa.Column("team_type", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("needed_until", sa.Date(), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("delivery_point", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("assistance_request_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'item' AND item_code IS NOT NULL AND team_type IS NULL) OR (kind = "
            "'team' AND team_type IS NOT NULL AND item_code IS NULL)",
            name=op.f("ck_resource_requests_item_or_team"),
        ),
        sa.CheckConstraint(
            "kind IN ('item', 'team')", name=op.f("ck_resource_requests_kind_known")
        ),
        sa.CheckConstraint(
            "priority IN ('critical', 'high', 'medium', 'low')",
            name=op.f("ck_resource_requests_priority_known"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'endorsed', 'approved', 'rejected', 'cancelled', 'closed')",
            name=op.f("ck_resource_requests_status_known"),
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_resource_requests_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["assistance_request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_resource_requests_assistance_request_id_assistance_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_resource_requests_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_resource_requests_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["item_code"],
            ["resource_items.code"],
            name=op.f("fk_resource_requests_item_code_resource_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_requests")),
    )
    op.create_index(
        op.f("ix_resource_requests_assistance_request_id"),
        "resource_requests",
        ["assistance_request_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resource_requests_country_code"),
        "resource_requests",
        ["country_code"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resource_requests_event_id"), "resource_requests", ["event_id"], unique=False
    )
    op.create_index(
        op.f("ix_resource_requests_item_code"), "resource_requests", ["item_code"], unique=False
    )
    op.create_index(
        op.f("ix_resource_requests_status"), "resource_requests", ["status"], unique=False
    )
    op.create_table(
        "allocation_plan_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("arrives_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["allocation_plans.id"],
            name=op.f("fk_allocation_plan_deployments_plan_id_allocation_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["resource_requests.id"],
            name=op.f("fk_allocation_plan_deployments_request_id_resource_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["resource_teams.id"],
            name=op.f("fk_allocation_plan_deployments_team_id_resource_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plan_deployments")),
    )
    op.create_index(
        op.f("ix_allocation_plan_deployments_plan_id"),
        "allocation_plan_deployments",
        ["plan_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_allocation_plan_deployments_request_id"),
        "allocation_plan_deployments",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "allocation_plan_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("arrives_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 1", name=op.f("ck_allocation_plan_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["resource_lots.id"],
            name=op.f("fk_allocation_plan_lines_lot_id_resource_lots"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["allocation_plans.id"],
            name=op.f("fk_allocation_plan_lines_plan_id_allocation_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["resource_requests.id"],
            name=op.f("fk_allocation_plan_lines_request_id_resource_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_plan_lines")),
    )
    op.create_index(
        op.f("ix_allocation_plan_lines_plan_id"), "allocation_plan_lines", ["plan_id"], unique=False
    )
    op.create_index(
        op.f("ix_allocation_plan_lines_request_id"),
        "allocation_plan_lines",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "resource_pledges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder_code", sa.String(length=40), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pledged_by", sa.String(length=320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined', 'withdrawn')",
            name=op.f("ck_resource_pledges_status_known"),
        ),
        sa.CheckConstraint(
            "(lot_id IS NOT NULL AND team_id IS NULL AND quantity >= 1) OR (team_id IS NOT "
            "NULL AND lot_id IS NULL)",
            name=op.f("ck_resource_pledges_lot_or_team"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_code"],
            ["resource_holders.code"],
            name=op.f("fk_resource_pledges_holder_code_resource_holders"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["resource_lots.id"], name=op.f("fk_resource_pledges_lot_id_resource_lots")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["resource_requests.id"],
            name=op.f("fk_resource_pledges_request_id_resource_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["resource_teams.id"],
            name=op.f("fk_resource_pledges_team_id_resource_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_pledges")),
    )
    op.create_index(
        op.f("ix_resource_pledges_holder_code"), "resource_pledges", ["holder_code"], unique=False
    )
    op.create_index(
        op.f("ix_resource_pledges_lot_id"), "resource_pledges", ["lot_id"], unique=False
    )
    op.create_index(
        op.f("ix_resource_pledges_request_id"), "resource_pledges", ["request_id"], unique=False
    )
    op.create_index(
        op.f("ix_resource_pledges_status"), "resource_pledges", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_resource_pledges_team_id"), "resource_pledges", ["team_id"], unique=False
    )
    op.create_table(
        "resource_request_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=10), nullable=False),
        sa.Column("from_status", sa.String(length=10), nullable=False),
        sa.Column("to_status", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "step IN ('endorse', 'approve', 'reject', 'cancel', 'close')",
            name=op.f("ck_resource_request_steps_step_known"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["resource_requests.id"],
            name=op.f("fk_resource_request_steps_request_id_resource_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_request_steps")),
    )
    op.create_index(
        op.f("ix_resource_request_steps_request_id"),
        "resource_request_steps",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_line_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("destination_holder_code", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("tracking", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_by", sa.String(length=320), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_by", sa.String(length=320), nullable=True),
        sa.Column("quantity_received", sa.Integer(), nullable=True),
        sa.Column("discrepancy_note", sa.Text(), nullable=True),
        sa.Column("received_lot_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'dispatched', 'received', 'cancelled')",
            name=op.f("ck_shipments_status_known"),
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_shipments_quantity_positive")),
        sa.CheckConstraint(
            "quantity_received IS NULL OR quantity_received >= 0",
            name=op.f("ck_shipments_received_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["destination_holder_code"],
            ["resource_holders.code"],
            name=op.f("fk_shipments_destination_holder_code_resource_holders"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["resource_lots.id"], name=op.f("fk_shipments_lot_id_resource_lots")
        ),
        sa.ForeignKeyConstraint(
            ["plan_line_id"],
            ["allocation_plan_lines.id"],
            name=op.f("fk_shipments_plan_line_id_allocation_plan_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["received_lot_id"],
            ["resource_lots.id"],
            name=op.f("fk_shipments_received_lot_id_resource_lots"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["resource_requests.id"],
            name=op.f("fk_shipments_request_id_resource_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("plan_line_id", name=op.f("uq_shipments_plan_line_id")),
    )
    op.create_index(op.f("ix_shipments_lot_id"), "shipments", ["lot_id"], unique=False)
    op.create_index(op.f("ix_shipments_request_id"), "shipments", ["request_id"], unique=False)
    op.create_index(op.f("ix_shipments_status"), "shipments", ["status"], unique=False)
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('receipt', 'transfer_in') AND quantity > 0) OR (kind IN ('issue', "
            "'transfer_out', 'expiry_write_off') AND quantity < 0) OR (kind = 'adjustment' "
            "AND quantity <> 0 AND reason IS NOT NULL)",
            name=op.f("ck_stock_movements_quantity_signed"),
        ),
        sa.CheckConstraint(
            "kind IN ('receipt', 'issue', 'transfer_out', 'transfer_in', 'adjustment', "
            "'expiry_write_off')",
            name=op.f("ck_stock_movements_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["resource_lots.id"], name=op.f("fk_stock_movements_lot_id_resource_lots")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_stock_movements_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index(op.f("ix_stock_movements_at"), "stock_movements", ["at"], unique=False)
    op.create_index(op.f("ix_stock_movements_lot_id"), "stock_movements", ["lot_id"], unique=False)
    op.create_index(
        op.f("ix_stock_movements_shipment_id"), "stock_movements", ["shipment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stock_movements_shipment_id"), table_name="stock_movements")
    op.drop_index(op.f("ix_stock_movements_lot_id"), table_name="stock_movements")
    op.drop_index(op.f("ix_stock_movements_at"), table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_index(op.f("ix_shipments_status"), table_name="shipments")
    op.drop_index(op.f("ix_shipments_request_id"), table_name="shipments")
    op.drop_index(op.f("ix_shipments_lot_id"), table_name="shipments")
    op.drop_table("shipments")
    op.drop_index(op.f("ix_resource_request_steps_request_id"), table_name="resource_request_steps")
    op.drop_table("resource_request_steps")
    op.drop_index(op.f("ix_resource_pledges_team_id"), table_name="resource_pledges")
    op.drop_index(op.f("ix_resource_pledges_status"), table_name="resource_pledges")
    op.drop_index(op.f("ix_resource_pledges_request_id"), table_name="resource_pledges")
    op.drop_index(op.f("ix_resource_pledges_lot_id"), table_name="resource_pledges")
    op.drop_index(op.f("ix_resource_pledges_holder_code"), table_name="resource_pledges")
    op.drop_table("resource_pledges")
    op.drop_index(op.f("ix_allocation_plan_lines_request_id"), table_name="allocation_plan_lines")
    op.drop_index(op.f("ix_allocation_plan_lines_plan_id"), table_name="allocation_plan_lines")
    op.drop_table("allocation_plan_lines")
    op.drop_index(
        op.f("ix_allocation_plan_deployments_request_id"), table_name="allocation_plan_deployments"
    )
    op.drop_index(
        op.f("ix_allocation_plan_deployments_plan_id"), table_name="allocation_plan_deployments"
    )
    op.drop_table("allocation_plan_deployments")
    op.drop_index(op.f("ix_resource_requests_status"), table_name="resource_requests")
    op.drop_index(op.f("ix_resource_requests_item_code"), table_name="resource_requests")
    op.drop_index(op.f("ix_resource_requests_event_id"), table_name="resource_requests")
    op.drop_index(op.f("ix_resource_requests_country_code"), table_name="resource_requests")
    op.drop_index(
        op.f("ix_resource_requests_assistance_request_id"), table_name="resource_requests"
    )
    op.drop_table("resource_requests")
    op.drop_index(op.f("ix_resource_teams_holder_code"), table_name="resource_teams")
    op.drop_table("resource_teams")
    op.drop_index(op.f("ix_resource_lots_item_code"), table_name="resource_lots")
    op.drop_index(op.f("ix_resource_lots_holder_code"), table_name="resource_lots")
    op.drop_index(op.f("ix_resource_lots_expires_on"), table_name="resource_lots")
    op.drop_table("resource_lots")
    op.drop_table("resource_transit_times")
    op.drop_index(op.f("ix_resource_holders_country_code"), table_name="resource_holders")
    op.drop_table("resource_holders")
    op.drop_table("resource_items")
    op.drop_index(op.f("ix_allocation_plans_status"), table_name="allocation_plans")
    op.drop_table("allocation_plans")
