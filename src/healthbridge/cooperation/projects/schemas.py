"""What cooperation projects look like at the API: nested IATI activity documents.

Narratives (titles, descriptions, names) are objects ``{"en": "...", "ko": "..."}`` keyed by
ISO 639-1 language code. Codes follow the IATI codelists (see :mod:`codelists`). The rules that
need the database or span fields (DAC codes, countries, percentages summing to 100, an end not
before its start) are checked by :mod:`validation`, naming the field as ``sectors.1.code``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page

#: Characters XML 1.0 cannot carry (and so IATI cannot): controls other than tab and line
#: breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` stripped; refused when it holds a character XML cannot carry."""
    if _NOT_XML.search(value):
        raise ValueError("contains a control character or a character XML cannot carry")
    return value.strip()


def _narratives(value: dict[str, str]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for lang, text in value.items():
        key = lang.strip().lower()
        if len(key) != 2 or not key.isascii() or not key.isalpha():
            raise ValueError(f"'{lang}' is not an ISO 639-1 language code (two letters)")
        stripped = xml_text(text)
        if not stripped:
            raise ValueError(f"the '{key}' text is empty")
        cleaned[key] = stripped
    return cleaned


def _code_text(value: str | None) -> str | None:
    if value is None:
        return None
    return xml_text(value) or None


def _upper(value: str | None) -> str | None:
    return None if value is None else value.strip().upper()


def _upper_text(value: str) -> str:
    return value.strip().upper()


def _lower(value: str) -> str:
    return value.strip().lower()


def _lower_or_none(value: str | None) -> str | None:
    return None if value is None else _lower(value)


#: Text by language; languages are lower-cased, texts stripped, empty texts refused.
Narratives = Annotated[
    dict[str, Annotated[str, Field(max_length=20_000)]], AfterValidator(_narratives)
]
#: A value of an indicator, as IATI writes it (a number, or text for qualitative indicators).
IndicatorValue = Annotated[
    str | None, Field(default=None, max_length=200), AfterValidator(_code_text)
]
OrgRef = Annotated[str | None, Field(default=None, max_length=150), AfterValidator(_code_text)]
MoneyValue = Annotated[Decimal, Field(max_digits=18, decimal_places=2, ge=0)]
#: Transactions may be negative (a decommitment, a correction).
SignedMoney = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
Share = Annotated[Decimal | None, Field(default=None, gt=0, le=100, decimal_places=2)]
#: ISO 4217 currency code, upper-cased; ``None`` means the project's default currency.
CurrencyCode = Annotated[
    str | None, Field(default=None, min_length=3, max_length=3), AfterValidator(_upper)
]
#: A code of HealthBridge's reference data (organisation, country), upper-cased.
UpperCode = Annotated[str, AfterValidator(_upper_text)]


class ReportingOrgIn(InputModel):
    #: One of HealthBridge's organisation codes, e.g. ``KOR-MOHW``.
    code: UpperCode = Field(min_length=1, max_length=40)
    #: IATI organisation identifier; defaults to the one we know for ``code``.
    ref: OrgRef = None
    #: IATI OrganisationType; defaults to the type of the organisation's kind.
    type: str | None = Field(default=None, min_length=2, max_length=2)


class ParticipatingOrgIn(InputModel):
    role: int = Field(
        ge=1, le=4, description="1 funding, 2 accountable, 3 extending, 4 implementing"
    )
    ref: OrgRef = None
    type: str | None = Field(default=None, min_length=2, max_length=2)
    name: Narratives = Field(default_factory=dict)
    organisation_code: Annotated[str | None, AfterValidator(_upper)] = Field(
        default=None, max_length=40
    )


class ActivityDateIn(InputModel):
    type: int = Field(ge=1, le=4, description="1 planned start, 2 actual start, 3/4 ends")
    iso_date: dt.date


class RecipientCountryIn(InputModel):
    #: ISO 3166-1 alpha-3 of one of the served countries.
    country: UpperCode = Field(min_length=3, max_length=3)
    percentage: Share = None


class SectorIn(InputModel):
    #: OECD DAC CRS purpose code (5 digits).
    code: str = Field(min_length=5, max_length=5)
    vocabulary: str = Field(default="1", pattern=r"^1$")
    percentage: Share = None


class BudgetIn(InputModel):
    type: int = Field(default=1, ge=1, le=2, description="1 original, 2 revised")
    status: int = Field(default=1, ge=1, le=2, description="1 indicative, 2 committed")
    period_start: dt.date
    period_end: dt.date
    value: MoneyValue
    currency: CurrencyCode = None
    value_date: dt.date


class TransactionOrgIn(InputModel):
    ref: OrgRef = None
    type: str | None = Field(default=None, min_length=2, max_length=2)
    name: Narratives = Field(default_factory=dict)


class TransactionIn(InputModel):
    type: int = Field(ge=1, le=13, description="IATI TransactionType (3 disbursement, ...)")
    transaction_date: dt.date
    value: SignedMoney
    currency: CurrencyCode = None
    value_date: dt.date
    description: Narratives = Field(default_factory=dict)
    provider_org: TransactionOrgIn | None = None
    receiver_org: TransactionOrgIn | None = None


class BaselineIn(InputModel):
    year: int = Field(ge=1900, le=2200)
    iso_date: dt.date | None = None
    value: IndicatorValue = None


class PeriodIn(InputModel):
    period_start: dt.date
    period_end: dt.date
    target_value: IndicatorValue = None
    actual_value: IndicatorValue = None


class IndicatorIn(InputModel):
    measure: int = Field(ge=1, le=5, description="1 unit, 2 %, 3 nominal, 4 ordinal, 5 text")
    ascending: bool = True
    title: Narratives
    description: Narratives = Field(default_factory=dict)
    baseline: BaselineIn | None = None
    periods: list[PeriodIn] = Field(default_factory=list, max_length=100)


class ResultIn(InputModel):
    type: int = Field(ge=1, le=3, description="1 output, 2 outcome, 3 impact")
    title: Narratives
    description: Narratives = Field(default_factory=dict)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=100)


class ProjectFields(InputModel):
    """The fields a project is made of, all optional (PATCH replaces what it names)."""

    default_language: Annotated[str | None, AfterValidator(_lower_or_none)] = Field(
        default=None, min_length=2, max_length=2
    )
    default_currency: CurrencyCode = None
    reporting_org: ReportingOrgIn | None = None
    title: Narratives | None = None
    description: Narratives | None = None
    activity_status: int | None = Field(default=None, ge=1, le=6)
    participating_orgs: list[ParticipatingOrgIn] | None = Field(default=None, max_length=100)
    activity_dates: list[ActivityDateIn] | None = Field(default=None, max_length=4)
    recipient_countries: list[RecipientCountryIn] | None = Field(default=None, max_length=50)
    sectors: list[SectorIn] | None = Field(default=None, max_length=50)
    budgets: list[BudgetIn] | None = Field(default=None, max_length=200)
    transactions: list[TransactionIn] | None = Field(default=None, max_length=2000)
    results: list[ResultIn] | None = Field(default=None, max_length=200)


class ProjectUpdate(ProjectFields):
    """A change to a project: each field given replaces the stored one (lists as a whole).

    The IATI identifier never changes once reported, so it cannot be patched.
    """


class ProjectCreate(InputModel):
    """A whole IATI activity."""

    iati_identifier: Annotated[str, AfterValidator(xml_text)] = Field(min_length=3, max_length=150)
    default_language: Annotated[str, AfterValidator(_lower)] = Field(
        default="en", min_length=2, max_length=2
    )
    default_currency: UpperCode = Field(default="USD", min_length=3, max_length=3)
    reporting_org: ReportingOrgIn
    title: Narratives
    description: Narratives
    activity_status: int = Field(ge=1, le=6, description="IATI ActivityStatus, 1 to 6")
    participating_orgs: list[ParticipatingOrgIn] = Field(min_length=1, max_length=100)
    activity_dates: list[ActivityDateIn] = Field(min_length=1, max_length=4)
    recipient_countries: list[RecipientCountryIn] = Field(default_factory=list, max_length=50)
    sectors: list[SectorIn] = Field(min_length=1, max_length=50)
    budgets: list[BudgetIn] = Field(default_factory=list, max_length=200)
    transactions: list[TransactionIn] = Field(default_factory=list, max_length=2000)
    results: list[ResultIn] = Field(default_factory=list, max_length=200)


# --- what leaves the API ------------------------------------------------------------------------


class ReportingOrgRead(BaseModel):
    code: str
    ref: str
    type: str
    name: str


class ParticipatingOrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: int
    role_label: str
    ref: str | None
    type: str | None
    name: dict[str, str]
    organisation_code: str | None


class ActivityDateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type: int
    type_label: str
    iso_date: dt.date


class RecipientCountryRead(BaseModel):
    country: str
    alpha2: str
    name: str
    percentage: Decimal | None


class SectorRead(BaseModel):
    code: str
    vocabulary: str
    name: str
    percentage: Decimal | None


class BudgetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    type: int
    status: int
    period_start: dt.date
    period_end: dt.date
    value: Decimal
    currency: str
    value_date: dt.date


class TransactionOrgRead(BaseModel):
    ref: str | None
    type: str | None
    name: dict[str, str]


class TransactionRead(BaseModel):
    id: int
    type: int
    type_label: str
    transaction_date: dt.date
    value: Decimal
    currency: str
    value_date: dt.date
    description: dict[str, str]
    provider_org: TransactionOrgRead | None
    receiver_org: TransactionOrgRead | None


class BaselineRead(BaseModel):
    year: int
    iso_date: dt.date | None
    value: str | None


class PeriodRead(BaseModel):
    period_start: dt.date
    period_end: dt.date
    target_value: str | None
    actual_value: str | None
    #: Share of the way from baseline to target reached, in percent (numeric measures only).
    progress: Decimal | None


class IndicatorRead(BaseModel):
    id: int
    measure: int
    measure_label: str
    ascending: bool
    title: dict[str, str]
    description: dict[str, str]
    baseline: BaselineRead | None
    periods: list[PeriodRead]


class ResultRead(BaseModel):
    id: int
    type: int
    type_label: str
    title: dict[str, str]
    description: dict[str, str]
    indicators: list[IndicatorRead]


class ProjectSummary(BaseModel):
    """A row of the portfolio."""

    id: int
    iati_identifier: str
    title: dict[str, str]
    default_language: str
    default_currency: str
    reporting_org: ReportingOrgRead
    activity_status: int
    activity_status_label: str
    activity_dates: list[ActivityDateRead]
    recipient_countries: list[RecipientCountryRead]
    sectors: list[SectorRead]
    #: Sum of the budgets in the default currency (a revised budget replaces the original).
    budget_total: Decimal
    #: Sum of the disbursements and expenditure (types 3 and 4) in the default currency.
    disbursed_total: Decimal
    updated_at: dt.datetime


class ProjectRead(ProjectSummary):
    """A whole project."""

    description: dict[str, str]
    participating_orgs: list[ParticipatingOrgRead]
    budgets: list[BudgetRead]
    transactions: list[TransactionRead]
    results: list[ResultRead]
    created_at: dt.datetime


ProjectPage = Page[ProjectSummary]


class ImportReport(BaseModel):
    """What an IATI import did."""

    created: int
    updated: int
    unchanged: int
    identifiers: list[str]

    @property
    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
