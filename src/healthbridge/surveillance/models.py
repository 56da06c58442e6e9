"""Surveillance tables: the notifiable diseases, their case-classification levels, and the
weekly counts (the regional, aggregate layer)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import POSTGRESQL_PRIMARY_KEY, Base, UTCDateTime, one_of

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
        # A series' list in its order (weekly.list_weekly_counts): week, area (national
        # first), source, id. PostgreSQL only, like the signals' expression indexes.
        Index(
            "ix_weekly_counts_country_disease_week",
            "country_code",
            "disease_code",
            "week_start",
            text("coalesce(area_code, '')"),
            "source",
            "id",
        ).ddl_if(dialect="postgresql"),
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


# --- case-based surveillance ---------------------------------------------------------------------

CASE_CLASSIFICATIONS = ("suspected", "probable", "confirmed")
SEXES = ("female", "male", "other", "unknown")
OUTCOMES = ("alive", "recovered", "died", "unknown")
TEST_TYPES = ("pcr", "rdt", "culture", "sequencing", "serology")
LAB_RESULTS = ("positive", "negative", "indeterminate", "pending")
#: How a case report reached the platform.
CASE_SOURCE_FORMATS = ("csv", "fhir", "api")


class CaseImportBatch(Base):
    """One file of case reports (and lab results) as it was imported: who, when, what it did.

    ``sha256`` is the file's digest: the same file sent again is recognised (its rows are then
    all ``unchanged``) and the report names the first import of it.
    """

    __tablename__ = "case_import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(12))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    #: Countries whose records the file held (comma-separated ISO alpha-3, sorted).
    countries: Mapped[str] = mapped_column(String(200), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    imported_by: Mapped[str] = mapped_column(String(320))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CaseReport(Base):
    """One case of a notifiable disease, as its country reported it. Personal data: it stays
    with its country (reads are audited); the region sees it only rolled up into weekly counts.

    ``case_id`` is the country's own identifier of the case, unique within the country: sending
    the same case again updates it instead of adding a second. ``week`` is the ISO week the case
    counts in (of the onset date, else the report date); ``content_hash`` digests the reported
    values so that a re-import tells unchanged rows apart without comparing every column.
    """

    __tablename__ = "case_reports"
    __table_args__ = (
        UniqueConstraint("country_code", "case_id"),
        CheckConstraint(
            one_of("classification", CASE_CLASSIFICATIONS), name="classification_known"
        ),
        CheckConstraint(f"sex IS NULL OR {one_of('sex', SEXES)}", name="sex_known"),
        CheckConstraint(f"outcome IS NULL OR {one_of('outcome', OUTCOMES)}", name="outcome_known"),
        CheckConstraint(one_of("source_format", CASE_SOURCE_FORMATS), name="source_format_known"),
        Index("ix_case_reports_rollup", "country_code", "disease_code", "week"),
        # The case list: a country's cases, newest report first (migration 0017).
        Index("ix_case_reports_country_report", "country_code", "report_date", "id"),
        # What lab results and event links refer to (migration 0019). On PostgreSQL the table is
        # partitioned by country and this pair *is* its primary key (a partitioned table's keys
        # must include the partition column); SQLite keeps ``id`` as its rowid key and this
        # constraint beside it.
        UniqueConstraint("id", "country_code", info={POSTGRESQL_PRIMARY_KEY: True}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    case_id: Mapped[str] = mapped_column(String(64))
    disease_code: Mapped[str] = mapped_column(ForeignKey("diseases.code"), index=True)
    classification: Mapped[str] = mapped_column(String(12))
    onset_date: Mapped[dt.date | None] = mapped_column(Date)
    report_date: Mapped[dt.date] = mapped_column(Date, index=True)
    notification_date: Mapped[dt.date | None] = mapped_column(Date)
    #: ISO 3166-2 first-level subdivision; ``None`` when unknown.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("subdivisions.code"), index=True)
    #: ``0-4``, ``5-14``, ``65+``, ...: the age band, never the birth date.
    age_group: Mapped[str | None] = mapped_column(String(16))
    sex: Mapped[str | None] = mapped_column(String(8))
    outcome: Mapped[str | None] = mapped_column(String(12))
    hospitalised: Mapped[bool | None] = mapped_column(Boolean)
    travelled: Mapped[bool | None] = mapped_column(Boolean)
    #: Countries visited in the incubation period, ISO alpha-3, space-separated.
    travel_countries: Mapped[str | None] = mapped_column(String(120))
    week: Mapped[str] = mapped_column(String(8))
    week_start: Mapped[dt.date] = mapped_column(Date)
    source_format: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("case_import_batches.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    lab_results: Mapped[list[LabResult]] = relationship(
        back_populates="case_report", order_by="LabResult.sample_date"
    )


class LabResult(Base):
    """One laboratory test of one sample taken from a case.

    A sample may be tested several ways; ``(country, sample_id, test_type, pathogen)`` names one
    test. ``turnaround_days`` (sample taken → result) is derived when the result is stored.
    """

    __tablename__ = "lab_results"
    __table_args__ = (
        UniqueConstraint("country_code", "sample_id", "test_type", "pathogen"),
        Index("ix_lab_results_country_sample", "country_code", "sample_date", "id"),
        CheckConstraint(one_of("test_type", TEST_TYPES), name="test_type_known"),
        CheckConstraint(one_of("result", LAB_RESULTS), name="result_known"),
        CheckConstraint(
            "result_date IS NULL OR result_date >= sample_date", name="result_after_sample"
        ),
        ForeignKeyConstraint(
            ["case_report_id", "country_code"],
            ["case_reports.id", "case_reports.country_code"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_report_id: Mapped[int] = mapped_column(Integer, index=True)
    #: The case's country, repeated so that scoping a lab list needs no join; with the case's id
    #: it is the reference to the case (the case table is partitioned by country).
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    sample_id: Mapped[str] = mapped_column(String(64))
    specimen: Mapped[str | None] = mapped_column(String(60))
    test_type: Mapped[str] = mapped_column(String(12))
    pathogen: Mapped[str] = mapped_column(String(80))
    subtype: Mapped[str | None] = mapped_column(String(60))
    result: Mapped[str] = mapped_column(String(16))
    sample_date: Mapped[dt.date] = mapped_column(Date)
    result_date: Mapped[dt.date | None] = mapped_column(Date)
    turnaround_days: Mapped[int | None] = mapped_column(Integer)
    laboratory: Mapped[str | None] = mapped_column(String(160))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("case_import_batches.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    case_report: Mapped[CaseReport] = relationship(back_populates="lab_results")


# --- signals -------------------------------------------------------------------------------------

SIGNAL_STATUSES = ("new", "monitor", "verify", "discarded")


class Signal(Base):
    """An alarm of a detection method on one weekly series, kept once however often it reruns.

    A series is (country, area or national, disease, weekly-count source); one signal per series,
    week and method. A rerun that raises the same alarm updates the figures and
    ``last_detected_at``; the triage decision (``status``) is never reset by a rerun. Signals are
    aggregate (no person in them): the whole region sees them.
    """

    __tablename__ = "signals"
    __table_args__ = (
        CheckConstraint(one_of("status", SIGNAL_STATUSES), name="status_known"),
        CheckConstraint("source IN ('aggregate', 'case_rollup')", name="source_known"),
        Index(
            "uq_signals_area_week_method",
            "country_code",
            "area_code",
            "disease_code",
            "source",
            "week",
            "method",
            unique=True,
            sqlite_where=text("area_code IS NOT NULL"),
            postgresql_where=text("area_code IS NOT NULL"),
        ),
        Index(
            "uq_signals_national_week_method",
            "country_code",
            "disease_code",
            "source",
            "week",
            "method",
            unique=True,
            sqlite_where=text("area_code IS NULL"),
            postgresql_where=text("area_code IS NULL"),
        ),
        Index("ix_signals_status_week", "status", "week"),
        # The queue's default order (signal_queue.list_signals): week, score (none last), id.
        # PostgreSQL only: SQLite never matches a bound parameter to an index's expression.
        Index(
            "ix_signals_country_week",
            "country_code",
            "week_start",
            text("coalesce(score, '-1e+300'::double precision)"),
            "id",
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_signals_week",
            "week_start",
            text("coalesce(score, '-1e+300'::double precision)"),
            "id",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    area_code: Mapped[str | None] = mapped_column(ForeignKey("subdivisions.code"))
    disease_code: Mapped[str] = mapped_column(ForeignKey("diseases.code"), index=True)
    source: Mapped[str] = mapped_column(String(20), default=SOURCE_AGGREGATE)
    week: Mapped[str] = mapped_column(String(8))
    week_start: Mapped[dt.date] = mapped_column(Date)
    #: ``noufaily``, ``farrington``, ``ears-c1``/``-c2``/``-c3``, ``cusum``.
    method: Mapped[str] = mapped_column(String(20))
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float | None] = mapped_column(Float)
    upperbound: Mapped[float | None] = mapped_column(Float)
    #: How far past the threshold: ``(observed - expected) / (upperbound - expected)`` when the
    #: method gives an expectation, else ``observed / upperbound``; 1 at the threshold.
    score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="new")
    first_detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    triaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    triaged_by: Mapped[str | None] = mapped_column(String(320))
    triage_note: Mapped[str | None] = mapped_column(Text)
