"""Geography tables."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from healthbridge.db import Base


class Country(Base):
    """A participating country, keyed by its ISO 3166-1 alpha-3 code."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    alpha2: Mapped[str] = mapped_column(String(2), unique=True)
    numeric: Mapped[str] = mapped_column(String(3))
    name_en: Mapped[str] = mapped_column(String(120))
    official_name_en: Mapped[str] = mapped_column(String(200))
    #: Names in the platform's interface languages, e.g. ``{"ko": "태국", "id": "Thailand"}``.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: Names in the country's own official languages: ``[{"lang": "th", "name": "..."}]``.
    local_names: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    capital: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    uses_mmwr_weeks: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="country", order_by="Membership.since"
    )
    subdivisions: Mapped[list[Subdivision]] = relationship(
        back_populates="country", order_by="Subdivision.code"
    )


class Membership(Base):
    """A country's membership of a group (``ASEAN``, ``APT``, ``ASEAN_DIALOGUE_PARTNER``)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("country_code", "group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    group_code: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(40))
    since: Mapped[dt.date] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)

    country: Mapped[Country] = relationship(back_populates="memberships")


class Subdivision(Base):
    """A first-level ISO 3166-2 subdivision (province, region, state ...)."""

    __tablename__ = "subdivisions"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(80))

    country: Mapped[Country] = relationship(back_populates="subdivisions")
