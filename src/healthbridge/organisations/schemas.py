"""What organisations look like at the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from healthbridge.paging import Page


class OrganisationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    acronym: str | None
    name_en: str
    kind: str
    country_code: str | None
    parent_code: str | None
    website: str | None


OrganisationPage = Page[OrganisationRead]
