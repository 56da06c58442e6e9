"""What diseases and weekly counts look like at the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.paging import Page


class CaseClassificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: str
    rank: int
    definition: str | None


class DiseaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_en: str
    names: dict[str, str]
    icd10: str
    icd10_codes: list[str]
    category: str
    transmission: str
    ihr_always_notifiable: bool
    incubation_min_days: int | None
    incubation_max_days: int | None
    classifications: list[CaseClassificationRead]


DiseasePage = Page[DiseaseRead]


class WeeklyCountRead(BaseModel):
    """Cases (and deaths) of one disease in one ISO week, in an area or (no area) a country."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    area_code: str | None = Field(description="ISO 3166-2; null for the national total")
    disease_code: str
    week: str = Field(description="ISO 8601 week, e.g. 2024-W07")
    week_start: dt.date = Field(description="The week's Monday")
    cases: int
    deaths: int | None
    source: str = Field(description="aggregate (reported counts) or case_rollup")
    reported_at: dt.datetime
    updated_at: dt.datetime


WeeklyCountPage = Page[WeeklyCountRead]


class WeeklyCountImportReport(BaseModel):
    """What an import of a weekly-counts CSV did."""

    model_config = ConfigDict(from_attributes=True)

    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int
    countries: list[str]
    diseases: list[str]
    first_week: str | None
    last_week: str | None
    #: Signals raised (new) and refreshed by the detection run after the import.
    signals_created: int = 0
    signals_updated: int = 0


class WeeklySeriesRead(BaseModel):
    """One series as arrays, every week from the first to the last, null where not reported."""

    model_config = ConfigDict(from_attributes=True)

    country: str
    disease: str
    area: str | None
    source: str
    level: str = Field(description="area, national, or sum_of_areas (no national total reported)")
    weeks: list[str]
    week_starts: list[dt.date]
    cases: list[int | None]
    deaths: list[int | None]
