"""Tables of the meetings part of the dialogue channel.

The full-text index of documents is dialect-specific: on PostgreSQL the GIN expression index
declared on :class:`Document`; on SQLite an FTS5 virtual table (``documents_fts``, whose rowid is
the document's id), which no model describes: the migration creates it and
:mod:`healthbridge.cooperation.meetings.search` keeps it in sync.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, utcnow

MEETING_TYPES = (
    "summit",
    "asean_rok_hmm",
    "apt_hmm",
    "senior_officials",
    "bilateral",
    "working_group",
    "other_event",
)
MEETING_STATUSES = ("planned", "held", "cancelled")
PARTICIPANT_ROLES = ("member", "observer", "partner", "guest")
DOCUMENT_KINDS = ("joint_statement", "minutes", "presentation", "report", "other")
#: ``asean_alphabetical``: the ASEAN member states take turns in English alphabetical order.
ROTATION_RULES = ("asean_alphabetical",)


class MeetingSeries(Base):
    """A recurring meeting (the ASEAN–ROK Health Ministers' Meeting every two years, ...)."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    meeting_type: Mapped[str] = mapped_column(String(32))
    rhythm_months: Mapped[int] = mapped_column(Integer)
    #: The co-chair of every meeting of the series (KOR for the ASEAN–ROK HMM), if any.
    fixed_co_chair_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    #: How the other co-chair is chosen (:data:`ROTATION_RULES`), if it rotates.
    rotation_rule: Mapped[str | None] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="series", order_by="Meeting.starts_on"
    )


class Meeting(Base):
    """A meeting of the dialogue channel (ministerial, senior officials', bilateral ...)."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("title", "starts_on"),
        UniqueConstraint("series_id", "number_in_series"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[dt.date] = mapped_column(Date, index=True)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    meeting_type: Mapped[str] = mapped_column(String(32), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    number_in_series: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    city: Mapped[str | None] = mapped_column(String(120))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    theme: Mapped[str | None] = mapped_column(Text)
    #: Where the record comes from (a press release, minutes ...), and whether it is demo data.
    source_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    series: Mapped[MeetingSeries | None] = relationship(back_populates="meetings")
    co_chairs: Mapped[list[CoChair]] = relationship(
        back_populates="meeting", order_by="CoChair.position", cascade="all, delete-orphan"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting", order_by="Participant.position", cascade="all, delete-orphan"
    )
    delegates: Mapped[list[Delegate]] = relationship(
        back_populates="meeting", order_by="Delegate.position", cascade="all, delete-orphan"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="meeting", order_by="Document.id"
    )


class CoChair(Base):
    """A co-chair of a meeting: a country or an organisation."""

    __tablename__ = "meeting_co_chairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))

    meeting: Mapped[Meeting] = relationship(back_populates="co_chairs")


class Participant(Base):
    """A country or organisation taking part in a meeting, in a role (member, observer ...)."""

    __tablename__ = "meeting_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    role: Mapped[str] = mapped_column(String(20))

    meeting: Mapped[Meeting] = relationship(back_populates="participants")


class Delegate(Base):
    """A person in a delegation, for a country or an organisation."""

    __tablename__ = "meeting_delegates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("countries.code"))
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))

    meeting: Mapped[Meeting] = relationship(back_populates="delegates")


class AgendaItem(Base):
    """One item of a meeting's agenda, numbered from 1, with its presenter and outcome."""

    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    presenter: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")


#: What the PostgreSQL full-text search reads of a document: its title and its text. The index and
#: the queries use this same expression, so that the planner uses the index. (Written as PostgreSQL
#: prints it back, parentheses included, so that the schema comparison of the tests matches.)
SEARCH_VECTOR_SQL = (
    "to_tsvector('simple'::regconfig, (coalesce(title, '') || ' ') || coalesce(text, ''))"
)


class Document(Base):
    """A document of a meeting (joint statement, minutes, presentation), stored with a checksum.

    The content is a column of the row, so that a document commits (or not) with its metadata.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("meeting_id", "checksum"),
        # PostgreSQL's full-text index (queried with websearch_to_tsquery); SQLite searches the
        # FTS5 table documents_fts instead, which the migration creates.
        Index(
            "ix_documents_search",
            sql_text(SEARCH_VECTOR_SQL),
            postgresql_using="gin",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the content, hex.
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    #: The text searched: extracted from text formats, given by the uploader for others.
    text: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(320))

    meeting: Mapped[Meeting | None] = relationship(back_populates="documents")
