"""What resource requests and pledges look like at the API: a request with its steps and
progress, a pledge, and the inputs of asking, stepping, pledging and deciding."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page
from healthbridge.resources.pledges import MAX_CONDITIONS, MAX_NOTE
from healthbridge.resources.requests import MAX_DELIVERY_POINT, MAX_TAGS, MAX_TEXT

Priority = Literal["critical", "high", "medium", "low"]
RequestStatus = Literal["submitted", "endorsed", "approved", "rejected", "cancelled", "closed"]
StepName = Literal["endorse", "approve", "reject", "cancel", "close"]


class StepRead(BaseModel):
    """One approval step of a request."""

    model_config = ConfigDict(from_attributes=True)

    step: StepName
    from_status: RequestStatus
    to_status: RequestStatus
    at: dt.datetime
    actor: str
    note: str | None


class RequestRead(BaseModel):
    """A country's request for an item or a team, with its steps and what has come of it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    kind: Literal["item", "team"]
    item_code: str | None
    team_type: str | None
    quantity: int = Field(description="Units of issue of the item; teams for a team request")
    priority: Priority
    needed_by: dt.date
    needed_until: dt.date | None
    skills: list[str]
    languages: list[str]
    delivery_point: str
    note: str | None
    event_id: int | None = Field(description="Null as well when the caller does not see it")
    assistance_request_id: int | None
    status: RequestStatus
    requested_at: dt.datetime
    requested_by: str
    updated_at: dt.datetime
    allocated: int = Field(0, description="Given by the lines of approved allocation plans")
    received: int = Field(0, description="Received in its shipments")
    steps: list[StepRead] = []


RequestPage = Page[RequestRead]


class RequestCreate(InputModel):
    """Ask the region for a quantity of an item or for a team."""

    kind: Literal["item", "team"]
    country: str | None = Field(
        default=None, max_length=3, description="The asking country (default: the caller's)"
    )
    item: str | None = Field(default=None, max_length=60, description="Item code (kind item)")
    team_type: str | None = Field(default=None, max_length=32, description="Kind team")
    quantity: int = Field(1, description="Units of issue, or teams")
    priority: Priority
    needed_by: dt.date
    needed_until: dt.date | None = Field(default=None, description="Kind team")
    skills: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    languages: list[str] = Field(
        default_factory=list, max_length=MAX_TAGS, description="ISO 639-1; the team speaks one"
    )
    delivery_point: str = Field(max_length=MAX_DELIVERY_POINT)
    note: str | None = Field(default=None, max_length=MAX_TEXT)
    event_id: int | None = Field(default=None, description="An event of the asking country")
    assistance_request_id: int | None = Field(
        default=None, description="That event's assistance request (kind resources)"
    )


class StepCreate(InputModel):
    """Take an approval step: endorse, approve, reject, cancel or close (reject and close say
    why in ``note``)."""

    step: StepName
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class PledgeRead(BaseModel):
    """A holder's pledge of a quantity of a lot, or of a team."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    holder_code: str
    lot_id: int | None
    item_code: str | None = None
    team_id: int | None
    quantity: int | None
    request_id: int | None
    conditions: str | None
    status: Literal["offered", "accepted", "declined", "withdrawn"]
    pledged_at: dt.datetime
    pledged_by: str
    decided_at: dt.datetime | None
    decided_by: str | None


PledgePage = Page[PledgeRead]


class PledgeCreate(InputModel):
    """Pledge a quantity of a lot (at most its balance) or a team, for the region's allocations
    or for one request."""

    lot_id: int | None = None
    team_id: int | None = None
    quantity: int | None = Field(default=None, description="Units of the lot; none for a team")
    request_id: int | None = Field(default=None, description="Only for this request")
    conditions: str | None = Field(default=None, max_length=MAX_CONDITIONS)


class PledgeDecision(InputModel):
    """Accept or decline a pledge (the region), or withdraw it (the pledging side)."""

    decision: Literal["accept", "decline", "withdraw"]
    note: str | None = Field(default=None, max_length=MAX_NOTE)
