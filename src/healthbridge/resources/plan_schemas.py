"""What allocation plans and shipments look like at the API, and the inputs of deciding a plan
and of dispatching, receiving and cancelling a shipment."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page
from healthbridge.resources.plans import MAX_NOTE, MAX_QUANTITY, MAX_TRACKING

PlanStatus = Literal["proposed", "approved", "rejected", "superseded"]
ShipmentStatus = Literal["planned", "dispatched", "received", "cancelled"]


class PlanLineRead(BaseModel):
    """A quantity of a lot for a request, arriving on a day."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lot_id: int
    lot_number: str
    holder_code: str
    item_code: str
    request_id: int
    country_code: str = Field(description="The requesting country")
    quantity: int
    arrives_on: dt.date


class PlanDeploymentRead(BaseModel):
    """A team sent to a team request, arriving on a day."""

    id: int
    team_id: int
    team_code: str
    request_id: int
    country_code: str
    arrives_on: dt.date


class PlanSummaryRead(BaseModel):
    """An allocation plan without its lines."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: PlanStatus
    today: dt.date = Field(description="The day the plan was computed for")
    created_at: dt.datetime
    created_by: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str | None
    fill_rate: float | None = Field(description="Units delivered / requested by the optimal plan")
    fcfs_fill_rate: float | None = Field(description="The same for first-come-first-served")


class PlanRead(PlanSummaryRead):
    """An allocation plan: the problem as solved, the summary of the optimal plan (objective
    values, fill rates per country, item and priority) with the first-come-first-served plan
    and its summary under ``summary.fcfs``, and the lines and deployments."""

    problem: dict[str, Any]
    summary: dict[str, Any]
    lines: list[PlanLineRead]
    deployments: list[PlanDeploymentRead]


PlanPage = Page[PlanSummaryRead]


class PlanDecision(InputModel):
    """Approve a proposed plan (its lines become shipments) or reject it (saying why)."""

    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class ShipmentRead(BaseModel):
    """A shipment of a lot to a requesting country's national stockpile."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    plan_id: int | None
    plan_line_id: int | None
    lot_id: int
    lot_number: str
    item_code: str
    source_holder_code: str
    request_id: int
    country_code: str = Field(description="The requesting country")
    destination_holder_code: str
    quantity: int
    status: ShipmentStatus
    expected_on: dt.date
    tracking: str | None
    created_at: dt.datetime
    dispatched_at: dt.datetime | None
    dispatched_by: str | None
    received_at: dt.datetime | None
    received_by: str | None
    quantity_received: int | None
    discrepancy_note: str | None
    received_lot_id: int | None


ShipmentPage = Page[ShipmentRead]


class ShipmentDispatch(InputModel):
    """Dispatch a planned shipment: the source lot's ledger gives the quantity out."""

    tracking: str | None = Field(
        default=None, max_length=MAX_TRACKING, description="Waybill or tracking reference"
    )


class ShipmentReceive(InputModel):
    """Receive a dispatched shipment: what actually arrived goes into the destination's stock."""

    quantity_received: int = Field(ge=0, le=MAX_QUANTITY)
    discrepancy_note: str | None = Field(
        default=None,
        max_length=MAX_NOTE,
        description="Required when the quantity received differs from the quantity shipped",
    )


class ShipmentCancel(InputModel):
    """Cancel a planned shipment (its stock is free again)."""

    note: str | None = Field(default=None, max_length=MAX_NOTE)
