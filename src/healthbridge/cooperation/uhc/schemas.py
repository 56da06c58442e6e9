"""What UHC indicators, observations and import reports look like at the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.paging import Page


class UhcIndicatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="WHO Global Health Observatory code, e.g. UHC_INDEX_REPORTED")
    name: str
    short_name: str
    sdg_target: str = Field(description="The SDG target it tracks, e.g. 3.8")
    sdg_indicator: str | None = Field(description="The SDG indicator it is (or is part of)")
    unit: str
    min_value: float
    max_value: float
    higher_is_better: bool
    description: str
    position: int


class UhcObservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    country_code: str
    indicator_code: str
    year: int
    value: float
    low: float | None
    high: float | None
    source: str
    imported_at: dt.datetime


class UhcImportReport(BaseModel):
    """What an import did: every row of the file is created, updated, unchanged or skipped."""

    model_config = ConfigDict(from_attributes=True)

    filename: str
    rows: int = Field(description="Data rows in the file")
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(description="Rows of indicators or countries not tracked, and the like")
    skipped_by_reason: dict[str, int]
    countries: list[str] = Field(description="Countries whose values the file gave")
    indicators: list[str] = Field(description="Indicators whose values the file gave")


UhcIndicatorPage = Page[UhcIndicatorRead]
UhcObservationPage = Page[UhcObservationRead]
