"""What the UHC pages show: the region compared on one indicator, and one country's trends."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.cooperation.uhc import service
from healthbridge.cooperation.uhc.models import UhcIndicator, UhcObservation
from healthbridge.errors import FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.language import localized
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, authorize

#: The fewest reporting countries whose median a trend shows.
MEDIAN_MINIMUM = 3


@dataclass(frozen=True)
class CountryValue:
    """A country's value in a comparison; ``year`` differs from the comparison's when the
    country has no value that year and its latest earlier one is shown instead."""

    country_code: str
    country_name: str
    year: int | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    source: str | None = None
    #: 1 + how many countries do better; equal values share a rank.
    rank: int | None = None

    @property
    def has_value(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class RegionalComparison:
    """Every served country on one indicator in one year, best first, countries without a
    value last."""

    indicator: UhcIndicator
    #: The year compared: the one asked for, or the latest with any value.
    year: int | None
    #: Years with any value, newest first (what the year select offers).
    years: list[int]
    countries: list[CountryValue]

    @property
    def earlier_years(self) -> list[CountryValue]:
        """Countries shown with an earlier year's value."""
        return [c for c in self.countries if c.has_value and c.year != self.year]

    @property
    def without_value(self) -> list[CountryValue]:
        return [c for c in self.countries if not c.has_value]

    @property
    def has_intervals(self) -> bool:
        return any(c.low is not None or c.high is not None for c in self.countries)


@dataclass(frozen=True)
class Trend:
    """One indicator's values in one country over the years, with the region's median."""

    indicator: UhcIndicator
    observations: list[UhcObservation]
    #: The median of the values of the countries reporting that year, by year; ``None`` where
    #: fewer than :data:`MEDIAN_MINIMUM` countries report (a median of one or two says little).
    regional_median: dict[int, float | None]
    #: How many countries report a value, by year.
    reporting: dict[int, int]

    @property
    def has_intervals(self) -> bool:
        return any(o.low is not None or o.high is not None for o in self.observations)


def _country_names(session: Session, actor: Principal) -> dict[str, str]:
    countries, _total = geography.list_countries(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    return {c.code: localized(c.names, c.name_en) for c in countries}


def regional_comparison(
    *, session: Session, actor: Principal, indicator_code: str, year: int | None = None
) -> RegionalComparison:
    """Every served country's value of an indicator in ``year`` (default: the latest year).

    A country without a value that year shows its latest earlier value, with its year; a country
    without any is listed last without one. Countries are sorted best first (by the
    indicator's direction), then by name.
    """
    authorize(actor, Action.COOPERATION_READ)
    indicator = service.get_indicator(session=session, actor=actor, code=indicator_code)
    observations = list(
        session.scalars(
            select(UhcObservation)
            .where(UhcObservation.indicator_code == indicator.code)
            .order_by(UhcObservation.year)
        )
    )
    years = sorted({o.year for o in observations}, reverse=True)
    if year is not None and year not in years:
        raise Invalid(
            f"no values of {indicator.code} in {year}",
            errors=[
                FieldError(
                    "year", f"one of {', '.join(map(str, years))}" if years else "no values yet"
                )
            ],
        )
    chosen = year if year is not None else (years[0] if years else None)
    latest: dict[str, UhcObservation] = {}
    for observation in observations:  # in year order: the last one kept is the latest
        if chosen is not None and observation.year <= chosen:
            latest[observation.country_code] = observation
    rows = []
    for code, name in _country_names(session, actor).items():
        found = latest.get(code)
        if found is None:
            rows.append(CountryValue(code, name))
        else:
            rows.append(
                CountryValue(
                    code, name, found.year, found.value, found.low, found.high, found.source
                )
            )
    sign = -1 if indicator.higher_is_better else 1
    rows.sort(
        key=lambda c: (
            c.value is None,
            sign * c.value if c.value is not None else 0.0,
            c.country_name,
        )
    )
    values = [c.value for c in rows if c.value is not None]
    ranked = [
        replace(c, rank=1 + sum(1 for v in values if sign * v < sign * c.value))
        if c.value is not None
        else c
        for c in rows
    ]
    return RegionalComparison(indicator=indicator, year=chosen, years=years, countries=ranked)


def country_trends(*, session: Session, actor: Principal, country: str) -> list[Trend]:
    """Each indicator's values in ``country`` by year, with the served countries' median."""
    authorize(actor, Action.COOPERATION_READ)
    code = geography.get_country(session=session, actor=actor, code=country).code
    indicators = service.all_indicators(session=session, actor=actor)
    by_indicator: dict[str, list[UhcObservation]] = defaultdict(list)
    regional: dict[tuple[str, int], list[float]] = defaultdict(list)
    for observation in session.scalars(
        select(UhcObservation).order_by(UhcObservation.indicator_code, UhcObservation.year)
    ):
        regional[(observation.indicator_code, observation.year)].append(observation.value)
        if observation.country_code == code:
            by_indicator[observation.indicator_code].append(observation)
    trends = []
    for indicator in indicators:
        own = by_indicator.get(indicator.code, [])
        years = [o.year for o in own]
        trends.append(
            Trend(
                indicator=indicator,
                observations=own,
                regional_median={y: _median(regional[(indicator.code, y)]) for y in years},
                reporting={y: len(regional[(indicator.code, y)]) for y in years},
            )
        )
    return trends


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if len(values) >= MEDIAN_MINIMUM else None
