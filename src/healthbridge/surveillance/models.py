"""Surveillance tables: the notifiable diseases, their case-classification levels, and the
weekly counts (the regional, aggregate layer)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime

#: Counts a country reported as aggregates (a CSV, DHIS2).
SOURCE_AGGREGATE = "aggregate"
#: Counts rolled up from case reports (kept apart, so that the two never overwrite each other).
SOURCE_CASE_ROLLUP = "case_rollup"
WEEKLY_COUNT_SOURCES = (SOURCE_AGGREGATE, SOURCE_CASE_ROLLUP)


class Disease(Base):
    """A notifiable disease, keyed by a slug, with its ICD-10 codes."""

    __tablename__ = "diseases"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(160))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    icd10: Mapped[str] = mapped_column(String(10), index=True)
    icd10_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(40))
    transmission: Mapped[str] = mapped_column(String(40))
    ihr_always_notifiable: Mapped[bool] = mapped_column(Boolean, default=False)
    incubation_min_days: Mapped[int | None] = mapped_column(Integer)
    incubation_max_days: Mapped[int | None] = mapped_column(Integer)

    classifications: Mapped[list[CaseClassification]] = relationship(
        back_populates="disease", order_by="CaseClassification.rank"
    )


class CaseClassification(Base):
    """A level of certainty a case of the disease can have: suspected, probable, confirmed."""

    __tablename__ = "case_classifications"
    __table_args__ = (UniqueConstraint("disease_code", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    disease_code: Mapped[str] = mapped_column(ForeignKey("diseases.code"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str | None] = mapped_column(Text)

    disease: Mapped[Disease] = relationship(back_populates="classifications")


class WeeklyCount(Base):
    """Cases (and deaths) of one disease in one ISO week, in an area or a whole country.

    ``area_code`` is ``NULL`` for the national total. A plain unique constraint over a nullable
    column would let national totals repeat (``NULL`` never equals ``NULL`` on PostgreSQL or
    SQLite), so uniqueness is two partial unique indexes that both databases enforce: one over
    the areas' rows (``area_code IS NOT NULL``) and one, without the area, over the national
    rows (``area_code IS NULL``). The national total stays a real ``NULL`` (no sentinel area),
    so the foreign key to ``subdivisions`` holds for every other row.
    """

    __tablename__ = "weekly_counts"
    __table_args__ = (
        CheckConstraint("cases >= 0", name="cases_not_negative"),
        CheckConstraint("deaths IS NULL OR deaths >= 0", name="deaths_not_negative"),
        CheckConstraint("source IN ('aggregate', 'case_rollup')", name="source_known"),
        Index(
            "uq_weekly_counts_area_week",
            "country_code",
            "area_code",
            "disease_code",
            "week",
            "source",
            unique=True,
            sqlite_where=text("area_code IS NOT NULL"),
            postgresql_where=text("area_code IS NOT NULL"),
        ),
        Index(
            "uq_weekly_counts_national_week",
            "country_code",
            "disease_code",
            "week",
            "source",
            unique=True,
            sqlite_where=text("area_code IS NULL"),
            postgresql_where=text("area_code IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    #: ISO 3166-2 code of the area; ``None`` for the country's national total.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("subdivisions.code"), index=True)
    disease_code: Mapped[str] = mapped_column(ForeignKey("diseases.code"), index=True)
    #: ISO 8601 week, ``2024-W07``: sorts as the weeks do.
    week: Mapped[str] = mapped_column(String(8), index=True)
    #: The week's Monday, for date-range queries.
    week_start: Mapped[dt.date] = mapped_column(Date, index=True)
    cases: Mapped[int] = mapped_column(Integer)
    deaths: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default=SOURCE_AGGREGATE)
    #: When the count was first stored.
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: When its values last changed (equal to ``reported_at`` until then).
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
