"""Tables of the commitments part of the dialogue channel."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, utcnow


class CommitmentKind(StrEnum):
    """What sort of undertaking a meeting recorded."""

    AGREEMENT = "agreement"
    REQUEST = "request"
    PLEDGE = "pledge"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return self.value.replace("_", "-").capitalize()


class CommitmentStatus(StrEnum):
    """Where a commitment stands. ``delivered`` and ``dropped`` are final."""

    PROPOSED = "proposed"
    AGREED = "agreed"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({CommitmentStatus.DELIVERED, CommitmentStatus.DROPPED})
OPEN_STATUSES = frozenset(CommitmentStatus) - FINAL_STATUSES


class EvidenceKind(StrEnum):
    """What shows that a commitment was delivered."""

    DOCUMENT = "document"
    LINK = "link"
    PROJECT = "project"
    DELIVERY = "delivery"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Commitment(Base):
    """Something agreed, requested or pledged at a meeting or in a document.

    It is owed by exactly one country or one organisation, and owed to a country, an
    organisation, or (neither) the region as a whole.
    """

    __tablename__ = "commitments"
    __table_args__ = (
        CheckConstraint(
            "(owed_by_country IS NULL) <> (owed_by_organisation IS NULL)",
            name="owed_by_exactly_one",
        ),
        CheckConstraint(
            "owed_to_country IS NULL OR owed_to_organisation IS NULL", name="owed_to_at_most_one"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    owed_by_country: Mapped[str | None] = mapped_column(ForeignKey("countries.code"), index=True)
    owed_by_organisation: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.code"), index=True
    )
    owed_to_country: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    owed_to_organisation: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))

    history: Mapped[list[CommitmentStatusChange]] = relationship(
        back_populates="commitment",
        order_by="CommitmentStatusChange.id",
        cascade="all, delete-orphan",
    )
    evidence: Mapped[list[CommitmentEvidence]] = relationship(
        back_populates="commitment",
        order_by="CommitmentEvidence.id",
        cascade="all, delete-orphan",
    )

    @property
    def owed_by(self) -> str:
        """The code of whoever owes it: a country's alpha-3 or an organisation's code."""
        return self.owed_by_country or self.owed_by_organisation or ""

    @property
    def owed_to(self) -> str | None:
        """The code of whom it is owed to; ``None`` for the region as a whole."""
        return self.owed_to_country or self.owed_to_organisation

    @property
    def is_final(self) -> bool:
        return CommitmentStatus(self.status).is_final

    @property
    def overdue(self) -> bool:
        """Overdue as of today (UTC)."""
        return self.is_overdue(utcnow().date())

    def is_overdue(self, today: dt.date) -> bool:
        """Past its due date and neither delivered nor dropped."""
        return self.due_on is not None and self.due_on < today and not self.is_final

    def is_due_within(self, today: dt.date, days: int) -> bool:
        """Open and due between ``today`` and ``days`` days from now."""
        return (
            self.due_on is not None
            and today <= self.due_on <= today + dt.timedelta(days=days)
            and not self.is_final
        )


class CommitmentStatusChange(Base):
    """One change of a commitment's status (the first row records its creation)."""

    __tablename__ = "commitment_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)
    #: ``None`` on the row that records the creation.
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    commitment: Mapped[Commitment] = relationship(back_populates="history")


class CommitmentEvidence(Base):
    """What shows delivery: a meeting document, a link, a project or a delivery of resources."""

    __tablename__ = "commitment_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    url: Mapped[str | None] = mapped_column(String(2000))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    #: For deliveries of resources: their reference (a later issue links the delivery itself).
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(320))

    commitment: Mapped[Commitment] = relationship(back_populates="evidence")
