"""What an event's assessments look like at the API: rapid risk assessment versions, IHR
Annex 2 decisions, 7-1-7 dates and metrics, and the regional 7-1-7 table."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.eoc.assessments import MAX_TEXT
from healthbridge.inputs import InputModel


class RiskAssessmentCreate(InputModel):
    """A new version of the event's WHO rapid risk assessment; the level comes from the
    likelihood × consequence matrix."""

    hazard: str = Field(max_length=MAX_TEXT, description="Hazard assessment")
    exposure: str = Field(max_length=MAX_TEXT, description="Exposure assessment")
    context: str = Field(max_length=MAX_TEXT, description="Context assessment")
    likelihood: str = Field(
        max_length=20,
        description="very_unlikely, unlikely, likely, highly_likely or almost_certain",
    )
    consequence: str = Field(max_length=20, description="minimal, minor, moderate, major or severe")
    confidence: str = Field(max_length=12, description="low, moderate or high")
    rationale: str = Field(max_length=MAX_TEXT, description="Why this level")


class RiskAssessmentRead(BaseModel):
    """One version of a rapid risk assessment, as recorded (never changed)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    version: int
    hazard: str
    exposure: str
    context: str
    likelihood: str
    consequence: str
    confidence: str
    level: str = Field(description="very_low, low, moderate, high or very_high")
    rationale: str
    assessed_at: dt.datetime
    assessed_by: str


class AnswerCreate(InputModel):
    """One answer of the Annex 2 algorithm: yes or no, and why."""

    yes: bool
    justification: str = Field(max_length=MAX_TEXT)


class Annex2Create(InputModel):
    """The four Annex 2 questions answered (all four unless the disease is always notifiable);
    ``group`` overrides the disease's Annex 2 placing."""

    serious_impact: AnswerCreate | None = None
    unusual: AnswerCreate | None = None
    international_spread: AnswerCreate | None = None
    travel_trade_restrictions: AnswerCreate | None = None
    group: str | None = Field(
        default=None,
        max_length=24,
        description="always_notifiable, always_algorithm or algorithm_if_concern",
    )


class Annex2Read(BaseModel):
    """One Annex 2 decision as recorded (never changed)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    version: int
    serious_impact: bool | None
    serious_impact_justification: str | None
    unusual: bool | None
    unusual_justification: str | None
    international_spread: bool | None
    international_spread_justification: str | None
    travel_trade_restrictions: bool | None
    travel_trade_restrictions_justification: str | None
    disease_group: str
    notify: bool = Field(description="Notify WHO within 24 hours")
    rule: str
    decided_at: dt.datetime
    deadline: dt.datetime | None = Field(description="When WHO must be notified by")
    decided_by: str


class TimelinessUpdate(InputModel):
    """The event's 7-1-7 dates (a date left out is cleared)."""

    emergence_date: dt.date | None = Field(default=None, description="Estimated emergence")
    detection_date: dt.date | None = None
    notification_date: dt.date | None = None
    actions: dict[str, dt.date] = Field(
        default_factory=dict,
        max_length=7,
        description="Completion date by early-response action code",
    )
    not_applicable: list[str] = Field(
        default_factory=list, max_length=7, description="Action codes that do not apply"
    )


class TargetRead(BaseModel):
    """One 7-1-7 interval against its target."""

    step: str
    target_days: int
    days: int | None
    status: str = Field(description="met, missed or pending")
    deadline: dt.date | None
    elapsed_days: int | None


class TimelinessRead(BaseModel):
    """An event's 7-1-7 dates and metrics, with the bottleneck named."""

    event_id: int
    emergence_date: dt.date | None
    detection_date: dt.date | None
    notification_date: dt.date | None
    actions: dict[str, dt.date]
    not_applicable: list[str]
    quarter: str | None
    targets: list[TargetRead]
    bottlenecks: list[str]
    updated_at: dt.datetime | None
    updated_by: str | None


class TargetSummaryRead(BaseModel):
    """One target over a country's events of a quarter."""

    n_met: int
    n_missed: int
    n_pending: int
    share_met: float | None
    median_days: float | None


class RegionalRowRead(BaseModel):
    """7-1-7 performance of one country in one quarter."""

    country: str
    quarter: str
    n_events: int
    detection: TargetSummaryRead
    notification: TargetSummaryRead
    response: TargetSummaryRead
