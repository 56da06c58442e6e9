"""What assistance requests look like at the API: a request with its offers, the assistance
board, and the inputs of asking, offering and deciding."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.eoc.assistance import MAX_TEXT, MAX_TITLE
from healthbridge.inputs import InputModel
from healthbridge.paging import Page

AssistanceKind = Literal["field_team", "lab_testing", "resources"]


class OfferRead(BaseModel):
    """An offer to meet an assistance request."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str | None = Field(description="The offering country; null: a regional body")
    organisation_code: str | None
    description: str
    status: Literal["offered", "accepted", "declined", "withdrawn"]
    offered_at: dt.datetime
    offered_by: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str | None


class AssistanceRead(BaseModel):
    """An assistance request of a shared event, with the offers made to meet it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    kind: AssistanceKind
    title: str
    description: str
    needed_by: dt.date | None
    status: Literal["open", "in_progress", "fulfilled", "withdrawn"]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    closing_note: str | None
    offers: list[OfferRead]


class BoardEntry(AssistanceRead):
    """An assistance request on the board, with its event's country and title."""

    event_country: str
    event_title: str


AssistancePage = Page[BoardEntry]


class AssistanceCreate(InputModel):
    """Ask the countries an event is shared with for help."""

    kind: AssistanceKind
    title: str = Field(max_length=MAX_TITLE)
    description: str = Field(
        max_length=MAX_TEXT,
        description="What is needed: the team's expertise and size, the tests and samples, "
        "the items and quantities",
    )
    needed_by: dt.date | None = None


class AssistanceClose(InputModel):
    """Say a request is met, or withdraw it (saying why)."""

    action: Literal["fulfil", "withdraw"]
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class OfferCreate(InputModel):
    """Offer to meet a request, for the caller's country (or the region)."""

    description: str = Field(max_length=MAX_TEXT)
    organisation: str | None = Field(
        default=None, max_length=40, description="The organisation that would deliver"
    )


class OfferDecision(InputModel):
    """Accept or decline an offer (the asking country), or withdraw it (the offering side)."""

    decision: Literal["accept", "decline", "withdraw"]
    note: str | None = Field(default=None, max_length=MAX_TEXT)
