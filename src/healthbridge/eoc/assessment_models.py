"""EOC assessment tables: rapid risk assessments, IHR Annex 2 decisions and 7-1-7 timeliness.

Risk assessments and Annex 2 decisions are kept as versions (1, 2, ... per event): a new
assessment is a new row, never an update, so that what was decided, when and by whom stays on
record. An event's 7-1-7 dates are one row per event, updated as they become known.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base, UTCDateTime

#: The seven early-response actions of 7-1-7 (analytics.eoc.timeliness.EarlyResponseAction).
ACTION_CODES = (
    "investigation",
    "epi_analysis_risk_assessment",
    "lab_confirmation",
    "case_management_ipc",
    "community_countermeasures",
    "risk_communication",
    "coordination",
)


class RiskAssessmentVersion(Base):
    """One version of an event's WHO rapid risk assessment; never changed once written."""

    __tablename__ = "risk_assessment_versions"
    __table_args__ = (UniqueConstraint("event_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    hazard: Mapped[str] = mapped_column(Text)
    exposure: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text)
    likelihood: Mapped[str] = mapped_column(String(16))
    consequence: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[str] = mapped_column(String(12))
    #: From the matrix (analytics.eoc.risk): very_low ... very_high.
    level: Mapped[str] = mapped_column(String(12))
    rationale: Mapped[str] = mapped_column(Text)
    assessed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    assessed_by: Mapped[str] = mapped_column(String(320))


class Annex2Decision(Base):
    """One version of an event's IHR Annex 2 decision; never changed once written.

    An answer left empty (None) was not given: the algorithm needs all four, except for an
    always-notifiable disease.
    """

    __tablename__ = "annex2_decisions"
    __table_args__ = (UniqueConstraint("event_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    serious_impact: Mapped[bool | None] = mapped_column(Boolean)
    serious_impact_justification: Mapped[str | None] = mapped_column(Text)
    unusual: Mapped[bool | None] = mapped_column(Boolean)
    unusual_justification: Mapped[str | None] = mapped_column(Text)
    international_spread: Mapped[bool | None] = mapped_column(Boolean)
    international_spread_justification: Mapped[str | None] = mapped_column(Text)
    travel_trade_restrictions: Mapped[bool | None] = mapped_column(Boolean)
    travel_trade_restrictions_justification: Mapped[str | None] = mapped_column(Text)
    #: The Annex 2 group the instrument was entered by.
    disease_group: Mapped[str] = mapped_column(String(24))
    notify: Mapped[bool] = mapped_column(Boolean)
    #: Why: the rule applied, in words.
    rule: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: ``decided_at`` + 24 hours when WHO must be notified.
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(String(320))


class EventTimeliness(Base):
    """The 7-1-7 dates of one event: emergence (estimated), detection, notification, and the
    completion date of each early-response action (``not_applicable``: the codes of those that
    do not apply)."""

    __tablename__ = "event_timeliness"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    emergence_date: Mapped[dt.date | None] = mapped_column(Date)
    detection_date: Mapped[dt.date | None] = mapped_column(Date)
    notification_date: Mapped[dt.date | None] = mapped_column(Date)
    investigation: Mapped[dt.date | None] = mapped_column(Date)
    epi_analysis_risk_assessment: Mapped[dt.date | None] = mapped_column(Date)
    lab_confirmation: Mapped[dt.date | None] = mapped_column(Date)
    case_management_ipc: Mapped[dt.date | None] = mapped_column(Date)
    community_countermeasures: Mapped[dt.date | None] = mapped_column(Date)
    risk_communication: Mapped[dt.date | None] = mapped_column(Date)
    coordination: Mapped[dt.date | None] = mapped_column(Date)
    not_applicable: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))
