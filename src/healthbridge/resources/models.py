"""Resource mobilisation tables: the catalogue, the holders of stock and their lots, the
append-only stock ledger, health-worker teams, requests and pledges, allocation plans and the
shipments that carry them out.

Stock is never edited in place: a lot's balance is the sum of its ledger movements
(:class:`StockMovement`), and every change of stock is a new movement. Quantities are whole
units of the item's unit of issue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, one_of

ITEM_KINDS = ("medicine", "vaccine", "diagnostic", "ppe", "equipment", "other")
#: Storage temperature an item needs: none, 2–8 °C, −20 °C, −70 °C (ultra-cold).
COLD_CHAINS = ("none", "2_8c", "minus_20c", "minus_70c")
#: Who holds stock: a country's national stockpile, a warehouse of the ASEAN Regional Reserve
#: of Medical Supplies, or a partner (an agency, a donor).
HOLDER_KINDS = ("national_stockpile", "regional_reserve", "partner")
#: Ledger movement kinds, and the sign their quantity must have.
MOVEMENT_KINDS = (
    "receipt",
    "issue",
    "transfer_out",
    "transfer_in",
    "adjustment",
    "expiry_write_off",
)
INCOMING_KINDS = ("receipt", "transfer_in")
OUTGOING_KINDS = ("issue", "transfer_out", "expiry_write_off")
#: WHO Emergency Medical Team types and the other deployable capabilities.
TEAM_TYPES = (
    "emt_type_1_mobile",
    "emt_type_1_fixed",
    "emt_type_2",
    "emt_type_3",
    "emt_specialised_care_cell",
    "field_epidemiologist",
    "laboratory_scientist",
)
PRIORITIES = ("critical", "high", "medium", "low")
REQUEST_KINDS = ("item", "team")
#: A request is submitted by the asking country, endorsed by its focal point, approved by the
#: region (then it is allocated); rejected at either step; cancelled by the asking country;
#: closed once delivered (or when nothing more will come).
REQUEST_STATUSES = ("submitted", "endorsed", "approved", "rejected", "cancelled", "closed")
APPROVAL_STEPS = ("endorse", "approve", "reject", "cancel", "close")
PLEDGE_STATUSES = ("offered", "accepted", "declined", "withdrawn")
PLAN_STATUSES = ("proposed", "approved", "rejected", "superseded")
SHIPMENT_STATUSES = ("planned", "dispatched", "received", "cancelled")


class Item(Base):
    """A catalogue item: a medicine, vaccine, diagnostic, PPE, equipment or other supply."""

    __tablename__ = "resource_items"
    __table_args__ = (
        CheckConstraint(one_of("kind", ITEM_KINDS), name="kind_known"),
        CheckConstraint(one_of("cold_chain", COLD_CHAINS), name="cold_chain_known"),
        CheckConstraint("pack_size >= 1", name="pack_size_positive"),
        CheckConstraint("min_shelf_life_days >= 0", name="shelf_life_not_negative"),
    )

    #: A stable code chosen by the region (e.g. ``ors-sachet``).
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    #: WHO ATC code (medicines and vaccines), when there is one.
    atc_code: Mapped[str | None] = mapped_column(String(7))
    #: Whether the item is on the WHO Model List of Essential Medicines.
    who_eml: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The unit stock is counted and issued in (``sachet``, ``vial``, ``box of 50``...).
    unit_of_issue: Mapped[str] = mapped_column(String(40))
    #: Units of issue per pack.
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    cold_chain: Mapped[str] = mapped_column(String(10), default="none")
    #: A lot must arrive with at least this many days before it expires.
    min_shelf_life_days: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Holder(Base):
    """Who holds stock (and teams), and where: the country the stock sits in sets transit."""

    __tablename__ = "resource_holders"
    __table_args__ = (CheckConstraint(one_of("kind", HOLDER_KINDS), name="kind_known"),)

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    #: Where the stock is: a national stockpile's country, a reserve warehouse's host country.
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    #: The partner organisation, for a partner's holdings.
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class TransitTime(Base):
    """Days to move goods from one country to another (a missing pair: no route)."""

    __tablename__ = "resource_transit_times"
    __table_args__ = (
        UniqueConstraint("origin_code", "destination_code"),
        CheckConstraint("days >= 0", name="days_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    origin_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    destination_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    days: Mapped[int] = mapped_column(Integer)


class Lot(Base):
    """A lot of an item at a holder: its number, expiry and place. Its quantity is its
    ledger's balance."""

    __tablename__ = "resource_lots"
    __table_args__ = (UniqueConstraint("holder_code", "item_code", "lot_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(ForeignKey("resource_items.code"), index=True)
    holder_code: Mapped[str] = mapped_column(ForeignKey("resource_holders.code"), index=True)
    lot_number: Mapped[str] = mapped_column(String(60))
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)
    #: Warehouse, store or bin.
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship()
    holder: Mapped[Holder] = relationship()


class StockMovement(Base):
    """One line of the append-only stock ledger: never updated, never deleted.

    ``quantity`` is signed: positive for receipts and transfers in, negative for issues,
    transfers out and expiry write-offs, either for an adjustment (which gives its reason).
    """

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint(one_of("kind", MOVEMENT_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind IN ('receipt', 'transfer_in') AND quantity > 0)"
            " OR (kind IN ('issue', 'transfer_out', 'expiry_write_off') AND quantity < 0)"
            " OR (kind = 'adjustment' AND quantity <> 0 AND reason IS NOT NULL)",
            name="quantity_signed",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("resource_lots.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    #: A document the movement comes from (a delivery note, a waybill).
    reference: Mapped[str | None] = mapped_column(String(120))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by: Mapped[str] = mapped_column(String(320))

    lot: Mapped[Lot] = relationship()


class Team(Base):
    """A deployable team: a WHO Emergency Medical Team or a team of field epidemiologists or
    laboratory scientists, with its skills, languages and when it is available."""

    __tablename__ = "resource_teams"
    __table_args__ = (
        CheckConstraint(one_of("team_type", TEAM_TYPES), name="team_type_known"),
        CheckConstraint("members >= 1", name="members_positive"),
        CheckConstraint(
            "available_until IS NULL OR available_until >= available_from",
            name="available_window",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    holder_code: Mapped[str] = mapped_column(ForeignKey("resource_holders.code"), index=True)
    team_type: Mapped[str] = mapped_column(String(32))
    members: Mapped[int] = mapped_column(Integer)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ISO 639-1 codes.
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    available_from: Mapped[dt.date] = mapped_column(Date)
    available_until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    holder: Mapped[Holder] = relationship()


class ResourceRequest(Base):
    """A country's request for an item (a quantity) or a team, linked to an event (and the
    event's assistance request) when there is one."""

    __tablename__ = "resource_requests"
    __table_args__ = (
        CheckConstraint(one_of("kind", REQUEST_KINDS), name="kind_known"),
        CheckConstraint(one_of("priority", PRIORITIES), name="priority_known"),
        CheckConstraint(one_of("status", REQUEST_STATUSES), name="status_known"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "(kind = 'item' AND item_code IS NOT NULL AND team_type IS NULL)"
            " OR (kind = 'team' AND team_type IS NOT NULL AND item_code IS NULL)",
            name="item_or_team",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    item_code: Mapped[str | None] = mapped_column(ForeignKey("resource_items.code"), index=True)
    team_type: Mapped[str | None] = mapped_column(String(32))
    #: Units of issue for an item; teams for a team request.
    quantity: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(8))
    needed_by: Mapped[dt.date] = mapped_column(Date)
    #: For a team: until when it is needed.
    needed_until: Mapped[dt.date | None] = mapped_column(Date)
    #: For a team: skills it must all have, languages of which it must speak one.
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_point: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    assistance_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistance_requests.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item | None] = relationship()
    steps: Mapped[list[RequestStep]] = relationship(
        back_populates="request", order_by="RequestStep.id", cascade="all, delete-orphan"
    )


class RequestStep(Base):
    """One approval step of a request: who endorsed, approved, rejected, cancelled or closed
    it, when, and why."""

    __tablename__ = "resource_request_steps"
    __table_args__ = (CheckConstraint(one_of("step", APPROVAL_STEPS), name="step_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("resource_requests.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(10))
    from_status: Mapped[str] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[ResourceRequest] = relationship(back_populates="steps")


class Pledge(Base):
    """A holder's offer of a lot (a quantity of it) or a team, for one request or for the
    region's allocations, with its conditions.

    National and partner stock is allocated only as far as it is pledged (and the pledge is
    not declined or withdrawn); the regional reserve's stock is the region's to allocate.
    """

    __tablename__ = "resource_pledges"
    __table_args__ = (
        CheckConstraint(one_of("status", PLEDGE_STATUSES), name="status_known"),
        CheckConstraint(
            "(lot_id IS NOT NULL AND team_id IS NULL AND quantity >= 1)"
            " OR (team_id IS NOT NULL AND lot_id IS NULL)",
            name="lot_or_team",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_code: Mapped[str] = mapped_column(ForeignKey("resource_holders.code"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("resource_lots.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("resource_teams.id"), index=True)
    #: Units pledged of the lot (teams: unused).
    quantity: Mapped[int | None] = mapped_column(Integer)
    #: Only for this request, when given.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    conditions: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)
    pledged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    pledged_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))

    lot: Mapped[Lot | None] = relationship()
    team: Mapped[Team | None] = relationship()


class AllocationPlan(Base):
    """One run of the allocation: the problem as given to the solver, its plan and figures,
    and the first-come-first-served plan beside it; reviewed, then approved or rejected.

    Approving a plan turns its lines into shipments, in the same transaction.
    """

    __tablename__ = "allocation_plans"
    __table_args__ = (CheckConstraint(one_of("status", PLAN_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    #: The day the plan was computed for (arrival dates count from it).
    today: Mapped[dt.date] = mapped_column(Date)
    #: The problem as the solver saw it (the ``healthbridge allocate`` input format).
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The plan's summary: fill rates per country and item, objective values, FCFS figures.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decision_note: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[PlanLine]] = relationship(
        back_populates="plan", order_by="PlanLine.id", cascade="all, delete-orphan"
    )
    deployments: Mapped[list[PlanDeployment]] = relationship(
        back_populates="plan", order_by="PlanDeployment.id", cascade="all, delete-orphan"
    )


class PlanLine(Base):
    """A quantity of a lot for a request, arriving on a day: one line of a plan."""

    __tablename__ = "allocation_plan_lines"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_plans.id", ondelete="CASCADE"), index=True
    )
    lot_id: Mapped[int] = mapped_column(ForeignKey("resource_lots.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    arrives_on: Mapped[dt.date] = mapped_column(Date)

    plan: Mapped[AllocationPlan] = relationship(back_populates="lines")
    lot: Mapped[Lot] = relationship()
    request: Mapped[ResourceRequest] = relationship()


class PlanDeployment(Base):
    """A team deployed to a team request, arriving on a day: one deployment of a plan."""

    __tablename__ = "allocation_plan_deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("allocation_plans.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("resource_teams.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    arrives_on: Mapped[dt.date] = mapped_column(Date)

    plan: Mapped[AllocationPlan] = relationship(back_populates="deployments")
    team: Mapped[Team] = relationship()
    request: Mapped[ResourceRequest] = relationship()


class Shipment(Base):
    """Goods on their way from a lot to a requesting country: planned (from an approved plan),
    dispatched (the lot's ledger issues them), received (the quantity actually received goes
    into the country's stock; a difference is a recorded discrepancy) or cancelled."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(one_of("status", SHIPMENT_STATUSES), name="status_known"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "quantity_received IS NULL OR quantity_received >= 0", name="received_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("allocation_plan_lines.id"), unique=True
    )
    lot_id: Mapped[int] = mapped_column(ForeignKey("resource_lots.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("resource_requests.id"), index=True)
    #: Where it goes: the requesting country's holder that receives it.
    destination_holder_code: Mapped[str] = mapped_column(ForeignKey("resource_holders.code"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)
    expected_on: Mapped[dt.date] = mapped_column(Date)
    #: The waybill or tracking reference.
    tracking: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dispatched_by: Mapped[str | None] = mapped_column(String(320))
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str | None] = mapped_column(String(320))
    quantity_received: Mapped[int | None] = mapped_column(Integer)
    #: What differed on receipt (damaged, short, excess), required when the quantities differ.
    discrepancy_note: Mapped[str | None] = mapped_column(Text)
    #: The lot the received goods went into, at the destination holder.
    received_lot_id: Mapped[int | None] = mapped_column(ForeignKey("resource_lots.id"))

    lot: Mapped[Lot] = relationship(foreign_keys=[lot_id])
    request: Mapped[ResourceRequest] = relationship()
