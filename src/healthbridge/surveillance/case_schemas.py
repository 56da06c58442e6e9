"""What case reports, lab results, turnaround statistics and case imports look like at the API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page


class LabResultRead(BaseModel):
    """One laboratory test of a sample of a case."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_report_id: int
    country_code: str
    sample_id: str
    specimen: str | None
    test_type: str = Field(description="pcr, rdt, culture, sequencing or serology")
    pathogen: str
    subtype: str | None
    result: str = Field(description="positive, negative, indeterminate or pending")
    sample_date: dt.date
    result_date: dt.date | None
    turnaround_days: int | None = Field(description="Days from sample to result")
    laboratory: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class LabResultWithCase(LabResultRead):
    """A lab result in a list: with its case's identifier and disease."""

    case_id: str = Field(description="The case's identifier in its country")
    disease_code: str

    @classmethod
    def of(cls, lab: Any) -> LabResultWithCase:
        """From a stored lab result with its case loaded."""
        return cls.model_validate(
            {
                **LabResultRead.model_validate(lab).model_dump(),
                "case_id": lab.case_report.case_id,
                "disease_code": lab.case_report.disease_code,
            }
        )


class CaseReportRead(BaseModel):
    """One case report as its country sent it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    case_id: str = Field(description="The country's own identifier of the case")
    disease_code: str
    classification: str = Field(description="suspected, probable or confirmed")
    onset_date: dt.date | None
    report_date: dt.date
    notification_date: dt.date | None
    area_code: str | None = Field(description="ISO 3166-2; null when unknown")
    age_group: str | None
    sex: str | None
    outcome: str | None
    hospitalised: bool | None
    travelled: bool | None
    travel_countries: str | None = Field(description="ISO alpha-3 codes, space-separated")
    week: str = Field(description="ISO week of the onset date, else of the report date")
    week_start: dt.date
    source_format: str = Field(description="csv, fhir or api")
    batch_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseReportDetail(CaseReportRead):
    """A case report with its lab results."""

    lab_results: list[LabResultRead]


class CaseReceipt(BaseModel):
    """What the store did with a case sent by someone who may report the country's cases but
    not read them (the regional administrator): which case, and no personal data."""

    id: int
    country_code: str
    case_id: str = Field(description="The country's own identifier of the case")
    outcome: Literal["created", "updated", "unchanged"]


CaseReportPage = Page[CaseReportRead]
LabResultPage = Page[LabResultWithCase]


class TurnaroundRead(BaseModel):
    """Days from sample to result of one country's laboratory and test type."""

    model_config = ConfigDict(from_attributes=True)

    country: str
    laboratory: str | None
    test_type: str
    n: int = Field(description="Results with a sample and a result date")
    median: float
    p90: float = Field(description="90th percentile (linear, R's type 7)")
    mean: float
    minimum: int
    maximum: int


class RollupSeriesRead(BaseModel):
    """A (country, disease) series of the case rollup that changed, and its weeks."""

    model_config = ConfigDict(from_attributes=True)

    country: str
    disease: str
    weeks: list[str]


class CaseImportReportRead(BaseModel):
    """What an import of case reports did."""

    model_config = ConfigDict(from_attributes=True)

    filename: str
    format: str
    batch_id: int
    rows: int
    cases_created: int
    cases_updated: int
    cases_unchanged: int
    labs_created: int
    labs_updated: int
    labs_unchanged: int
    countries: list[str]
    diseases: list[str]
    first_week: str | None
    last_week: str | None
    rollup_keys: list[RollupSeriesRead] = Field(
        description="The weekly series rolled up from cases that this import changed"
    )
    same_file_as: int | None = Field(
        description="The batch id of an earlier import of the very same file, if any"
    )
    signals_created: int = Field(
        0, description="Signals raised by the detection run on the rolled-up series"
    )
    signals_updated: int = Field(0, description="Signals that run refreshed")


# --- input: one case sent as JSON -----------------------------------------------------------------

Classification = Literal["suspected", "probable", "confirmed"]
Sex = Literal["female", "male", "other", "unknown"]
Outcome = Literal["alive", "recovered", "died", "unknown"]
TestType = Literal["pcr", "rdt", "culture", "sequencing", "serology"]
LabOutcome = Literal["positive", "negative", "indeterminate", "pending"]


class LabResultCreate(InputModel):
    """One laboratory test of the case."""

    sample_id: str = Field(min_length=1, max_length=64)
    test_type: TestType
    pathogen: str = Field(min_length=1, max_length=80)
    result: LabOutcome
    sample_date: dt.date
    result_date: dt.date | None = None
    specimen: str | None = Field(default=None, max_length=60)
    subtype: str | None = Field(default=None, max_length=60)
    laboratory: str | None = Field(default=None, max_length=160)


class CaseReportCreate(InputModel):
    """One case report (and its lab results) as a country's system sends it.

    Sending a case with the same ``country`` and ``case_id`` again updates it.
    """

    country: str = Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3")
    case_id: str = Field(min_length=1, max_length=64)
    disease: str = Field(min_length=1, max_length=40, description="Our code or ICD-10")
    classification: Classification
    report_date: dt.date
    onset_date: dt.date | None = None
    notification_date: dt.date | None = None
    area: str | None = Field(default=None, max_length=10, description="ISO 3166-2, e.g. TH-10")
    age_group: str | None = Field(default=None, max_length=16, description="0-4, 65+")
    sex: Sex | None = None
    outcome: Outcome | None = None
    hospitalised: bool | None = None
    travelled: bool | None = None
    travel_countries: list[str] = Field(default_factory=list, max_length=30)
    lab_results: list[LabResultCreate] = Field(default_factory=list, max_length=50)
