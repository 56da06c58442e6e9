"""What diseases look like at the API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

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
