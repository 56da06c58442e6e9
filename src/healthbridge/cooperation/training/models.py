"""Tables of the training part of the dialogue channel.

Programmes and courses are regional cooperation records. Trainees are people: their rows carry
their country, and every read of them goes through the country scope of ``TRAINEE_READ``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, utcnow


class Programme(Base):
    """A capacity-building programme, such as the WHO global biomanufacturing training hub."""

    __tablename__ = "training_programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Short upper-case code; it prefixes the programme's certificate numbers.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    organiser_code: Mapped[str] = mapped_column(ForeignKey("organisations.code"))
    host_country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"), index=True)
    #: Where the record comes from (a press release, an agreement, or "demo data: ...").
    source: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    courses: Mapped[list[Course]] = relationship(
        back_populates="programme", order_by="Course.starts_on, Course.id"
    )


class Course(Base):
    """One run of training within a programme, with dates, a mode and a capacity."""

    __tablename__ = "training_courses"
    __table_args__ = (UniqueConstraint("programme_id", "title", "starts_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("training_programmes.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    #: ``in_person``, ``online`` or ``hybrid``.
    mode: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(200))
    #: Most trainees enrolled at once (withdrawn enrolments free their place); ``None``: no limit.
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: ISO 639-1 code of the language of instruction, e.g. ``en``.
    language: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="courses")
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="course")


class Trainee(Base):
    """A person trained by a programme. Personal data: stays in ``country_code``'s scope."""

    __tablename__ = "trainees"
    # Unique within a country only, so that a duplicate reveals nothing across countries.
    __table_args__ = (UniqueConstraint("country_code", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    #: ``female``, ``male``, ``other``, ``not_stated`` or ``None`` (not asked).
    sex: Mapped[str | None] = mapped_column(String(16))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    position: Mapped[str | None] = mapped_column(String(200))
    #: Where the record comes from; demo trainees say they are fictional.
    source: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="trainee", order_by="Enrolment.id"
    )


class Enrolment(Base):
    """A trainee's place on a course: enrolled, then completed (with a certificate) or withdrawn."""

    __tablename__ = "training_enrolments"
    __table_args__ = (UniqueConstraint("course_id", "trainee_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainees.id"), index=True)
    #: ``enrolled``, ``completed`` or ``withdrawn``.
    status: Mapped[str] = mapped_column(String(16))
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    #: ``<PROGRAMME>-<YEAR>-<NNNN>``, numbered per programme and year of completion.
    certificate_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    certificate_issued_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="enrolments")
    trainee: Mapped[Trainee] = relationship(back_populates="enrolments")
