"""What events look like at the API: the board, one event with its timeline, and the inputs of
opening, moving, sharing and linking one."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.eoc.lifecycle import MAX_SHORT_TEXT, MAX_TEXT, MAX_TITLE_LENGTH
from healthbridge.inputs import InputModel
from healthbridge.paging import Page


class EventSummary(BaseModel):
    """An event on the board."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    title: str
    disease_code: str | None
    hazard: str | None = Field(description="The threat when it is not a listed disease")
    week: str | None = Field(description="ISO week it started in, when known")
    status: str = Field(
        description="signal, monitoring, verifying, verified, discarded, risk_assessed, "
        "responding or closed"
    )
    risk_level: str | None = Field(description="very_low, low, moderate, high or very_high")
    activation_level: str | None = Field(description="watch, partial or full")
    shared_with_region: bool
    areas: list[str] = Field(description="ISO 3166-2 codes")
    opened_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None


EventPage = Page[EventSummary]


class TransitionRead(BaseModel):
    """One step of an event's timeline."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str = Field(description="open, triage, verify, discard, assess_risk, respond, close")
    from_status: str | None
    to_status: str
    at: dt.datetime
    actor: str
    detail: dict[str, Any] = Field(description="source, method, reason, risk_level, level, note")


class LinkRead(BaseModel):
    """Something linked to an event."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(description="signal, case, lab_result, document or note")
    signal_id: int | None
    case_report_id: int | None
    lab_result_id: int | None
    text: str | None = Field(description="A note's text or a document's title or address")
    created_at: dt.datetime
    created_by: str


LinkPage = Page[LinkRead]


class EventRead(EventSummary):
    """One event: its record, timeline, shares and the links the reader may see."""

    summary: str | None
    detected_at: dt.datetime | None
    verified_at: dt.datetime | None
    closure_reason: str | None
    created_by: str
    shared_with: list[str] = Field(description="Countries it was shared with by name")
    allowed_actions: list[str] = Field(description="The transitions its status allows")
    timeline: list[TransitionRead]
    links: list[LinkRead] = Field(
        description=(
            "Its latest links (at most 100, oldest first); case and lab-result links only for "
            "the event's own country. `GET /events/{event_id}/links` pages through them all."
        )
    )
    links_total: int = Field(description="How many links the reader may see in all")


class EventCreate(InputModel):
    """Open an event, by hand or from a signal (which then gives country, area and disease)."""

    signal_id: int | None = Field(default=None, description="Open it from this signal")
    country: str | None = Field(default=None, max_length=3, description="ISO alpha-3")
    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    disease: str | None = Field(default=None, max_length=40, description="Disease code")
    hazard: str | None = Field(default=None, max_length=MAX_SHORT_TEXT)
    summary: str | None = Field(default=None, max_length=MAX_TEXT)
    areas: list[str] = Field(default_factory=list, max_length=50, description="ISO 3166-2")


class AreasUpdate(InputModel):
    """The areas an event touches, replacing those it had."""

    areas: list[str] = Field(max_length=50, description="ISO 3166-2 codes of the event's country")


class TransitionCreate(InputModel):
    """Move an event: the action and the fields it takes (see the lifecycle)."""

    action: str = Field(
        max_length=20, description="triage, verify, discard, assess_risk, respond or close"
    )
    decision: str | None = Field(default=None, max_length=20, description="monitor/verify/discard")
    source: str | None = Field(default=None, max_length=MAX_SHORT_TEXT)
    method: str | None = Field(default=None, max_length=MAX_SHORT_TEXT)
    reason: str | None = Field(default=None, max_length=MAX_TEXT)
    risk_level: str | None = Field(default=None, max_length=12)
    level: str | None = Field(default=None, max_length=12, description="watch, partial, full")
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class ShareCreate(InputModel):
    """Share with the region and/or named countries."""

    region: bool = False
    countries: list[str] = Field(default_factory=list, max_length=20)


class LinkCreate(InputModel):
    """Link a signal, case or lab result by id, or a document or note by text."""

    kind: Literal["signal", "case", "lab_result", "document", "note"]
    target_id: int | None = Field(default=None, ge=1)
    text: str | None = Field(default=None, max_length=MAX_TEXT)


class NoteCreate(InputModel):
    """A note on an event."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)


class PublishedAlertRead(BaseModel):
    """A CAP alert of an event as it was published."""

    model_config = ConfigDict(from_attributes=True)

    identifier: str = Field(description="CAP identifier: the event's id and timeline length")
    msg_type: str = Field(description="Alert (the event's first) or Update")
    title: str
    summary: str
    sent: dt.datetime
    published_at: dt.datetime
    published_by: str


class SubscriptionCreate(InputModel):
    """Which published alerts to receive by e-mail: of a country, a disease, both, or all."""

    country: str | None = Field(None, max_length=3, description="ISO alpha-3; empty for any")
    disease: str | None = Field(None, max_length=40, description="Disease code; empty for any")


class SubscriptionRead(BaseModel):
    """One of the caller's alert subscriptions."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str | None
    disease_code: str | None
    created_at: dt.datetime
