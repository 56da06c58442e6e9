"""Reading and loading the notifiable diseases."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance.models import CaseClassification, Disease

#: Case-classification levels, from least to most certain.
CLASSIFICATION_LEVELS = ("suspected", "probable", "confirmed")


def list_diseases(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    q: str | None = None,
    category: str | None = None,
) -> tuple[list[Disease], int]:
    """Diseases, matching ``q`` against name, code and ICD-10 code, or in a ``category``."""
    authorize(actor, Action.REFERENCE_READ)
    query = select(Disease).options(selectinload(Disease.classifications))
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Disease.name_en.ilike(pattern, escape="\\"),
                Disease.code.ilike(pattern, escape="\\"),
                Disease.icd10.ilike(pattern, escape="\\"),
            )
        )
    if category:
        query = query.where(Disease.category == category)
    return paginate(
        session,
        query,
        page,
        sortable={"code": Disease.code, "name": Disease.name_en, "icd10": Disease.icd10},
        default_sort="name",
    )


def get_disease(*, session: Session, actor: Principal, code: str) -> Disease:
    """One disease by its code (``dengue``) or its main ICD-10 code (``A97.9``)."""
    authorize(actor, Action.REFERENCE_READ)
    disease = session.get(Disease, code.lower(), options=[selectinload(Disease.classifications)])
    if disease is None:
        disease = session.scalars(
            select(Disease).where(Disease.icd10 == code.upper()).limit(1)
        ).first()
    if disease is None:
        raise NotFound(f"no disease with code or ICD-10 code '{code}'")
    return disease


def require_disease(*, session: Session, code: str, field: str = "disease") -> str:
    """Validate a disease code given as input."""
    if session.get(Disease, code.lower()) is None:
        raise Invalid(
            f"unknown disease '{code}'", errors=[FieldError(field, f"unknown disease '{code}'")]
        )
    return code.lower()


def load_diseases(*, session: Session, records: Sequence[dict[str, Any]]) -> int:
    """Insert or update diseases and their classification levels. Idempotent."""
    for record in records:
        disease = session.get(Disease, record["code"]) or Disease(code=record["code"])
        disease.name_en = record["name_en"]
        disease.names = record.get("names", {})
        disease.icd10 = record["icd10"]
        disease.icd10_codes = record.get("icd10_codes", [record["icd10"]])
        disease.category = record["category"]
        disease.transmission = record["transmission"]
        disease.ihr_always_notifiable = bool(record.get("ihr_always_notifiable"))
        incubation = record.get("incubation_days") or [None, None]
        disease.incubation_min_days, disease.incubation_max_days = incubation
        session.add(disease)
        session.flush()
        existing = {
            c.level: c
            for c in session.scalars(
                select(CaseClassification).where(CaseClassification.disease_code == disease.code)
            )
        }
        for level in record.get("case_classifications", CLASSIFICATION_LEVELS):
            item = existing.get(level) or CaseClassification(disease_code=disease.code, level=level)
            item.rank = CLASSIFICATION_LEVELS.index(level) if level in CLASSIFICATION_LEVELS else 9
            session.add(item)
    session.flush()
    return len(records)
