"""What geography data looks like at the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from healthbridge.paging import Page


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    group_code: str
    role: str
    since: dt.date
    until: dt.date | None


class LocalName(BaseModel):
    lang: str
    name: str


class CountryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    alpha2: str
    numeric: str
    name_en: str
    official_name_en: str
    names: dict[str, str]
    local_names: list[LocalName]
    capital: str
    timezone: str
    uses_mmwr_weeks: bool
    memberships: list[MembershipRead]


class SubdivisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    country_code: str
    name: str
    type: str


CountryPage = Page[CountryRead]
SubdivisionPage = Page[SubdivisionRead]
