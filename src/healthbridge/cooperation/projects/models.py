"""Tables of cooperation projects (IATI 2.03 activities).

A project is one ``iati-activity``. Text that IATI writes as ``narrative`` elements is stored as
a JSON object ``{language: text}``, except the project's own title and description, which are
rows of ``project_narratives`` so that the portfolio can be searched in every language. Repeated
elements keep the order in which they were given: children are read ordered by id (activity
dates by type), and a changed collection is replaced as a whole.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base, UTCDateTime, utcnow
from healthbridge.organisations.models import Organisation

#: Money: up to 16 digits before the decimal point, cents after it.
Money = Numeric(18, 2)
#: Shares of a project (recipient countries, sectors): 0.00 to 100.00.
Percentage = Numeric(5, 2)

_CHILD = "all, delete-orphan"


class Project(Base):
    """A cooperation project, described as an IATI activity."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The globally unique IATI activity identifier: reporting org's identifier, '-', own id.
    iati_identifier: Mapped[str] = mapped_column(String(150), unique=True)
    #: ISO 639-1 code of the activity's default language (``xml:lang`` of ``iati-activity``).
    default_language: Mapped[str] = mapped_column(String(2), default="en")
    #: ISO 4217 code of the currency of values that name none.
    default_currency: Mapped[str] = mapped_column(String(3), default="USD")
    reporting_org_code: Mapped[str] = mapped_column(ForeignKey("organisations.code"), index=True)
    #: IATI organisation identifier of the reporting organisation (``reporting-org/@ref``).
    reporting_org_ref: Mapped[str] = mapped_column(String(150))
    #: IATI OrganisationType code (``reporting-org/@type``).
    reporting_org_type: Mapped[str] = mapped_column(String(2))
    #: IATI ActivityStatus code, 1 to 6.
    activity_status: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    reporting_org: Mapped[Organisation] = relationship(lazy="joined")
    narratives: Mapped[list[ProjectNarrative]] = relationship(
        cascade=_CHILD, order_by="ProjectNarrative.id"
    )
    participating_orgs: Mapped[list[ParticipatingOrg]] = relationship(
        cascade=_CHILD, order_by="ParticipatingOrg.id"
    )
    activity_dates: Mapped[list[ActivityDate]] = relationship(
        cascade=_CHILD, order_by="ActivityDate.type"
    )
    recipient_countries: Mapped[list[RecipientCountry]] = relationship(
        cascade=_CHILD, order_by="RecipientCountry.id"
    )
    sectors: Mapped[list[ProjectSector]] = relationship(cascade=_CHILD, order_by="ProjectSector.id")
    budgets: Mapped[list[Budget]] = relationship(cascade=_CHILD, order_by="Budget.id")
    transactions: Mapped[list[Transaction]] = relationship(
        cascade=_CHILD, order_by="Transaction.id"
    )
    results: Mapped[list[Result]] = relationship(cascade=_CHILD, order_by="Result.id")

    def texts(self, element: str) -> dict[str, str]:
        """The narratives of ``title`` or ``description``, by language."""
        return {n.lang: n.text for n in self.narratives if n.element == element}


class ProjectNarrative(Base):
    """One language of the project's title or description."""

    __tablename__ = "project_narratives"
    __table_args__ = (UniqueConstraint("project_id", "element", "lang"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: ``title`` or ``description``.
    element: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)


class ParticipatingOrg(Base):
    """An organisation taking part in the project, in one IATI role."""

    __tablename__ = "project_participating_orgs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: IATI OrganisationRole: 1 funding, 2 accountable, 3 extending, 4 implementing.
    role: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str | None] = mapped_column(String(150))
    type: Mapped[str | None] = mapped_column(String(2))
    #: The organisation's name, by language.
    name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: The same organisation in HealthBridge's reference data, when it is there.
    organisation_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))


class ActivityDate(Base):
    """A planned or actual start or end of the project (one of each type)."""

    __tablename__ = "project_activity_dates"
    __table_args__ = (UniqueConstraint("project_id", "type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: IATI ActivityDateType: 1 planned start, 2 actual start, 3 planned end, 4 actual end.
    type: Mapped[int] = mapped_column(Integer)
    iso_date: Mapped[dt.date] = mapped_column(Date)


class RecipientCountry(Base):
    """A country that benefits from the project (stored alpha-3, exported alpha-2)."""

    __tablename__ = "project_recipient_countries"
    __table_args__ = (UniqueConstraint("project_id", "country_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    percentage: Mapped[Decimal | None] = mapped_column(Percentage)


class ProjectSector(Base):
    """An OECD DAC purpose code of the project and its share."""

    __tablename__ = "project_sectors"
    __table_args__ = (UniqueConstraint("project_id", "vocabulary", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: IATI SectorVocabulary; always ``1`` (OECD DAC CRS purpose codes).
    vocabulary: Mapped[str] = mapped_column(String(4), default="1")
    code: Mapped[str] = mapped_column(String(5), index=True)
    percentage: Mapped[Decimal | None] = mapped_column(Percentage)


class Budget(Base):
    """The money planned for one period."""

    __tablename__ = "project_budgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: IATI BudgetType: 1 original, 2 revised.
    type: Mapped[int] = mapped_column(Integer, default=1)
    #: IATI BudgetStatus: 1 indicative, 2 committed.
    status: Mapped[int] = mapped_column(Integer, default=1)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Money)
    #: ISO 4217; ``None`` means the project's default currency.
    currency: Mapped[str | None] = mapped_column(String(3))
    value_date: Mapped[dt.date] = mapped_column(Date)


class Transaction(Base):
    """Money committed, disbursed or spent (IATI transaction)."""

    __tablename__ = "project_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: IATI TransactionType, 1 to 13 (3 disbursement, 4 expenditure).
    type: Mapped[int] = mapped_column(Integer)
    transaction_date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    value_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    provider_org_ref: Mapped[str | None] = mapped_column(String(150))
    provider_org_type: Mapped[str | None] = mapped_column(String(2))
    provider_org_name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    receiver_org_ref: Mapped[str | None] = mapped_column(String(150))
    receiver_org_type: Mapped[str | None] = mapped_column(String(2))
    receiver_org_name: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class Result(Base):
    """An output, outcome or impact the project reports on."""

    __tablename__ = "project_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: IATI ResultType: 1 output, 2 outcome, 3 impact.
    type: Mapped[int] = mapped_column(Integer)
    title: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    indicators: Mapped[list[Indicator]] = relationship(cascade=_CHILD, order_by="Indicator.id")


class Indicator(Base):
    """How a result is measured: a baseline and, per period, a target and an actual value."""

    __tablename__ = "project_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("project_results.id", ondelete="CASCADE"), index=True
    )
    #: IATI IndicatorMeasure: 1 unit, 2 percentage, 3 nominal, 4 ordinal, 5 qualitative.
    measure: Mapped[int] = mapped_column(Integer)
    #: Whether a higher value is better.
    ascending: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    description: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_iso_date: Mapped[dt.date | None] = mapped_column(Date)
    #: As IATI writes it: a number for measures 1 to 4, text for qualitative indicators.
    baseline_value: Mapped[str | None] = mapped_column(String(200))

    periods: Mapped[list[IndicatorPeriod]] = relationship(
        cascade=_CHILD, order_by="IndicatorPeriod.id"
    )


class IndicatorPeriod(Base):
    """The target and the actual value of an indicator over one period."""

    __tablename__ = "project_indicator_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("project_indicators.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    target_value: Mapped[str | None] = mapped_column(String(200))
    actual_value: Mapped[str | None] = mapped_column(String(200))
