"""EOC tables: events, their areas, their timeline of transitions, their shares and their links.

An event is one suspected or confirmed public-health threat in one country. Its ``status`` moves
along the state machine of :mod:`healthbridge.eoc.lifecycle`; every move is a row of
``event_transitions`` (who, when, what was decided). Later parts (the rapid risk assessment,
7-1-7 timeliness, sitreps, tasks, alerts, assistance requests) hang off ``events.id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, one_of

#: Every status of an event, in the order of the lifecycle (see healthbridge.eoc.lifecycle).
EVENT_STATUSES = (
    "signal",
    "monitoring",
    "verifying",
    "verified",
    "discarded",
    "risk_assessed",
    "responding",
    "closed",
)
RISK_LEVELS = ("very_low", "low", "moderate", "high", "very_high")
ACTIVATION_LEVELS = ("watch", "partial", "full")
LINK_KINDS = ("signal", "case", "lab_result", "document", "note")


class Event(Base):
    """A suspected or confirmed public-health threat in one country.

    It names a disease or, for a threat that is not one (a chemical spill, a flood), a hazard:
    at least one of the two. It is its country's alone until shared: with the whole region
    (``shared_with_region``) or with named countries (``event_shares``).
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(one_of("status", EVENT_STATUSES), name="status_known"),
        CheckConstraint(
            f"risk_level IS NULL OR {one_of('risk_level', RISK_LEVELS)}", name="risk_level_known"
        ),
        CheckConstraint(
            f"activation_level IS NULL OR {one_of('activation_level', ACTIVATION_LEVELS)}",
            name="activation_level_known",
        ),
        CheckConstraint("disease_code IS NOT NULL OR hazard IS NOT NULL", name="disease_or_hazard"),
        # The board's order (eoc.queries.list_events): last changed first, ties by id.
        Index("ix_events_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    disease_code: Mapped[str | None] = mapped_column(ForeignKey("diseases.code"), index=True)
    #: What the threat is when it is not a disease of the list.
    hazard: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    #: ISO week the event started in (a signal's week), when known.
    week: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: Set by the risk assessment.
    risk_level: Mapped[str | None] = mapped_column(String(12))
    #: The EOC's activation level while responding.
    activation_level: Mapped[str | None] = mapped_column(String(8))
    shared_with_region: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the threat was first detected (a signal's first detection), when known.
    detected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closure_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    areas: Mapped[list[EventArea]] = relationship(
        back_populates="event", order_by="EventArea.area_code", cascade="all, delete-orphan"
    )
    transitions: Mapped[list[EventTransition]] = relationship(
        back_populates="event", order_by="EventTransition.id", cascade="all, delete-orphan"
    )
    shares: Mapped[list[EventShare]] = relationship(
        back_populates="event", order_by="EventShare.country_code", cascade="all, delete-orphan"
    )
    links: Mapped[list[EventLink]] = relationship(
        back_populates="event", order_by="EventLink.id", cascade="all, delete-orphan"
    )


class EventArea(Base):
    """An ISO 3166-2 area the event touches."""

    __tablename__ = "event_areas"
    __table_args__ = (UniqueConstraint("event_id", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(ForeignKey("subdivisions.code"))

    event: Mapped[Event] = relationship(back_populates="areas")


class EventTransition(Base):
    """One step of an event's timeline: the action, the statuses before and after, who and
    when, and what was decided (``detail``: source, method, reason, level, note...)."""

    __tablename__ = "event_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    #: ``None`` for the opening of the event.
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    event: Mapped[Event] = relationship(back_populates="transitions")


class EventShare(Base):
    """A country the event was shared with (IHR-style, beyond sharing with the whole region)."""

    __tablename__ = "event_shares"
    __table_args__ = (UniqueConstraint("event_id", "country_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    shared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    shared_by: Mapped[str] = mapped_column(String(320))

    event: Mapped[Event] = relationship(back_populates="shares")


class EventLink(Base):
    """Something linked to an event: a signal, a case report, a lab result (by foreign key), a
    document (its reference or address) or a note (its text).

    Case and lab-result links are personal data: only the event's own country sees them.
    """

    __tablename__ = "event_links"
    __table_args__ = (
        CheckConstraint(one_of("kind", LINK_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'signal' AND signal_id IS NOT NULL)"
            " OR (kind = 'case' AND case_report_id IS NOT NULL AND case_country_code IS NOT NULL)"
            " OR (kind = 'lab_result' AND lab_result_id IS NOT NULL)"
            " OR (kind IN ('document', 'note') AND text IS NOT NULL)",
            name="target_given",
        ),
        ForeignKeyConstraint(
            ["case_report_id", "case_country_code"],
            ["case_reports.id", "case_reports.country_code"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"), index=True)
    case_report_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The linked case's country: with ``case_report_id`` the reference to the case (the case
    #: table is partitioned by country, migration 0019).
    case_country_code: Mapped[str | None] = mapped_column(String(3))
    lab_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("lab_results.id", ondelete="CASCADE"), index=True
    )
    #: A note's text, or a document's title or address.
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))

    event: Mapped[Event] = relationship(back_populates="links")


class PublishedAlert(Base):
    """A CAP 1.2 alert of an event as it was published: the public record behind
    ``/alerts/feed.atom``. Kept as sent (the XML is stored, never rebuilt), never changed.

    Only events shared with the region are published (their alerts are ``Public``); the first
    alert of an event is an ``Alert``, the later ones ``Update``s referring to the one before.
    """

    __tablename__ = "published_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    #: CAP ``identifier``: unique; the event's id and its timeline's length.
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    msg_type: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    #: CAP ``sent``: the event's state at that moment.
    sent: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    published_by: Mapped[str] = mapped_column(String(320))
    xml: Mapped[str] = mapped_column(Text)


class AlertSubscription(Base):
    """A user's wish to be e-mailed the published alerts of a country and/or a disease.

    ``None`` in either column means any: a subscription with neither receives every alert.
    """

    __tablename__ = "alert_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    disease_code: Mapped[str | None] = mapped_column(ForeignKey("diseases.code"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
