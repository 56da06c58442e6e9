"""Surveillance tables: the notifiable diseases and their case-classification levels."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base


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
