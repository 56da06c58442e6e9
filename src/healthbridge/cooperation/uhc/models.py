"""Tables of UHC progress: the indicators we track and each country's values by year."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base, UTCDateTime


class UhcIndicator(Base):
    """An indicator of progress toward universal health coverage, keyed by its WHO GHO code."""

    __tablename__ = "uhc_indicators"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: What charts and selects show.
    short_name: Mapped[str] = mapped_column(String(80))
    #: The SDG target it measures progress toward (``3.8``, ``3.b``, ``3.c``).
    sdg_target: Mapped[str] = mapped_column(String(10))
    #: The SDG indicator it is (``3.8.1``) or is part of; ``None`` for a supporting indicator.
    sdg_indicator: Mapped[str | None] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(60))
    #: Values outside ``[min_value, max_value]`` are refused on import.
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text)
    #: Order in lists and pages.
    position: Mapped[int] = mapped_column(Integer)


class UhcObservation(Base):
    """One country's value of one indicator in one year."""

    __tablename__ = "uhc_observations"
    __table_args__ = (UniqueConstraint("country_code", "indicator_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("uhc_indicators.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    #: The uncertainty interval, where the source gives one.
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    #: Where the value comes from, e.g. "WHO Global Health Observatory".
    source: Mapped[str] = mapped_column(String(300))
    #: When the value was first stored or last changed by an import.
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
