"""What signals look like at the API: the queue, a triage, a detection run, a series' epicurve."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page
from healthbridge.surveillance.signal_queue import MAX_NOTE_LENGTH
from healthbridge.surveillance.signals import DEFAULT_METHODS, DEFAULT_WEEKS, MAX_WEEKS


class SignalRead(BaseModel):
    """An alarm of a detection method on one weekly series, and its triage."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    area_code: str | None = Field(description="ISO 3166-2; null for the national total")
    disease_code: str
    source: str = Field(description="aggregate (reported counts) or case_rollup")
    week: str = Field(description="ISO 8601 week, e.g. 2024-W07")
    week_start: dt.date
    method: str = Field(description="noufaily, farrington, ears-c1/-c2/-c3 or cusum")
    observed: int
    expected: float | None = Field(description="The method's expected count, if it has one")
    upperbound: float | None = Field(description="The threshold the count exceeded")
    score: float | None = Field(
        description="(observed - expected) / (upperbound - expected), or observed / upperbound "
        "without an expectation: 1 at the threshold"
    )
    status: str = Field(description="new, monitor, verify or discarded")
    first_detected_at: dt.datetime
    last_detected_at: dt.datetime
    triaged_at: dt.datetime | None
    triaged_by: str | None
    triage_note: str | None


SignalPage = Page[SignalRead]


class SignalTriage(InputModel):
    """A triage decision."""

    status: Literal["new", "monitor", "verify", "discarded"]
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)


class DetectionRun(InputModel):
    """What to run detection on: every series the caller may triage, or those of one country
    (and disease, and area: ``area`` empty with a disease means the national total)."""

    methods: list[str] = Field(default_factory=lambda: list(DEFAULT_METHODS), max_length=10)
    weeks: int = Field(default=DEFAULT_WEEKS, ge=1, le=MAX_WEEKS)
    until: str | None = Field(default=None, max_length=10, description="ISO week, e.g. 2024-W52")
    country: str | None = Field(default=None, max_length=3)
    disease: str | None = Field(default=None, max_length=40)
    source: Literal["aggregate", "case_rollup"] | None = None


class DetectionSummaryRead(BaseModel):
    """What a detection run did."""

    model_config = ConfigDict(from_attributes=True)

    methods: list[str]
    weeks: list[str]
    series: int
    skipped: dict[str, int] = Field(description="By method: series too short for it")
    alarms: int
    created: int
    updated: int
    countries: list[str]


class SignalSeriesRead(BaseModel):
    """A series with a method's expected count, threshold and alarm for every shown week (null
    where the week has no count or the method no value), and the signals stored for it."""

    model_config = ConfigDict(from_attributes=True)

    country: str
    area: str | None
    disease: str
    source: str
    method: str
    weeks: list[str]
    week_starts: list[dt.date]
    cases: list[int | None]
    expected: list[float | None]
    upperbound: list[float | None]
    alarm: list[bool]
    score: list[float | None]
    signals: list[SignalRead]
