"""Assistance requests of shared events, and the offers other countries make to meet them.

A country that has shared an event (with the region or with named countries) may ask those it
shared it with for help: a field investigation team, laboratory testing, or resources (medicines,
supplies, health workers: the resource mobilisation module turns these into item-level requests).
Whoever sees the event may offer to help; the event's managers accept or decline each offer and
say when the request is met or withdrawn.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, one_of
from healthbridge.eoc.models import Event

#: What a country may ask for.
ASSISTANCE_KINDS = ("field_team", "lab_testing", "resources")
#: A request's statuses: ``open`` until an offer is accepted (``in_progress``), then
#: ``fulfilled``; ``withdrawn`` by the asking country at any time before.
ASSISTANCE_STATUSES = ("open", "in_progress", "fulfilled", "withdrawn")
#: Statuses of a request still waiting for help.
PENDING_ASSISTANCE_STATUSES = ("open", "in_progress")
#: An offer's statuses: ``offered``, then ``accepted`` or ``declined`` by the asking country, or
#: ``withdrawn`` by the offering one.
OFFER_STATUSES = ("offered", "accepted", "declined", "withdrawn")


class AssistanceRequest(Base):
    """What a country asks the countries it shared an event with."""

    __tablename__ = "assistance_requests"
    __table_args__ = (
        CheckConstraint(one_of("kind", ASSISTANCE_KINDS), name="kind_known"),
        CheckConstraint(one_of("status", ASSISTANCE_STATUSES), name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    #: What is needed, in words: the team's expertise and size, the tests and samples, the items.
    description: Mapped[str] = mapped_column(Text)
    needed_by: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: When it was fulfilled or withdrawn, and why (for a withdrawal).
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship()
    offers: Mapped[list[AssistanceOffer]] = relationship(
        back_populates="request", order_by="AssistanceOffer.id", cascade="all, delete-orphan"
    )


class AssistanceOffer(Base):
    """A country's (or a regional body's) offer to meet an assistance request."""

    __tablename__ = "assistance_offers"
    __table_args__ = (CheckConstraint(one_of("status", OFFER_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    #: The offering country; ``None`` for a regional body (the ASEAN Secretariat, the reserve).
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    offered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    offered_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decision_note: Mapped[str | None] = mapped_column(Text)

    request: Mapped[AssistanceRequest] = relationship(back_populates="offers")
