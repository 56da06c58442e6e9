"""Field investigations of an event: the team deployed, the samples sent, and the tasks.

An investigation hangs off one event and follows its visibility: whoever sees the event sees
its investigations, including the names and e-mails of the team (no exposure beyond the event's
own). A team member may come from another country than the event's (a cross-border deployment).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, one_of
from healthbridge.eoc.models import Event

#: The statuses of an investigation task.
TASK_STATUSES = ("open", "in_progress", "done", "cancelled")
#: Statuses of a task still to be done.
PENDING_TASK_STATUSES = ("open", "in_progress")


class FieldInvestigation(Base):
    """A field investigation of an event: when, with which case definition, what was found."""

    __tablename__ = "field_investigations"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    case_definition: Mapped[str | None] = mapped_column(Text)
    #: Where the line list is kept (an http or https address).
    line_list_url: Mapped[str | None] = mapped_column(String(2000))
    findings: Mapped[str | None] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    members: Mapped[list[InvestigationMember]] = relationship(
        back_populates="investigation",
        order_by="InvestigationMember.id",
        cascade="all, delete-orphan",
    )
    samples: Mapped[list[SampleShipment]] = relationship(
        back_populates="investigation", order_by="SampleShipment.id", cascade="all, delete-orphan"
    )
    tasks: Mapped[list[InvestigationTask]] = relationship(
        back_populates="investigation",
        order_by="InvestigationTask.id",
        cascade="all, delete-orphan",
    )


class InvestigationMember(Base):
    """A person of the investigation team: their role, organisation and country."""

    __tablename__ = "investigation_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        ForeignKey("field_investigations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(120))
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    #: The member's country: may differ from the event's (a cross-border deployment).
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    email: Mapped[str | None] = mapped_column(String(320))

    investigation: Mapped[FieldInvestigation] = relationship(back_populates="members")


class SampleShipment(Base):
    """Samples sent to a laboratory, and what came back."""

    __tablename__ = "sample_shipments"
    __table_args__ = (CheckConstraint("samples > 0", name="samples_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        ForeignKey("field_investigations.id", ondelete="CASCADE"), index=True
    )
    samples: Mapped[int] = mapped_column(Integer)
    specimen: Mapped[str] = mapped_column(String(120))
    laboratory: Mapped[str] = mapped_column(String(200))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    result_summary: Mapped[str | None] = mapped_column(Text)

    investigation: Mapped[FieldInvestigation] = relationship(back_populates="samples")


class InvestigationTask(Base):
    """A task of an investigation: who does it, by when, and how far it is."""

    __tablename__ = "investigation_tasks"
    __table_args__ = (CheckConstraint(one_of("status", TASK_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        ForeignKey("field_investigations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    assignee_email: Mapped[str] = mapped_column(String(320), index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(320))
    #: The last day a reminder of this overdue task was queued.
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)

    investigation: Mapped[FieldInvestigation] = relationship(back_populates="tasks")
