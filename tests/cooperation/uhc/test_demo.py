"""The UHC demo: all 14 countries, every indicator, 2015–2022, marked as demo data, idempotent."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.uhc import demo
from healthbridge.cooperation.uhc.models import UhcIndicator, UhcObservation
from healthbridge.db import unit_of_work
from healthbridge.geography.models import Country
from healthbridge.interop import gho
from healthbridge.policy import Principal


def test_the_demo_file_is_in_the_gho_layout_and_says_it_is_demo_data() -> None:
    data = demo.demo_csv()
    header = data.decode().splitlines()[0]
    assert header == ",".join(f'"{c}"' for c in gho.GHO_COLUMNS)
    assert data.decode().count("Demo data approximating WHO GHO") == 434


def test_loading_the_demo_twice_stores_it_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        first = demo.load_demo(session=session, actor=operator)
    with unit_of_work(session_factory) as session:
        second = demo.load_demo(session=session, actor=operator)
    assert (first.created, first.skipped) == (434, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 434)

    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(UhcObservation)) == 434
        sources = set(session.scalars(select(UhcObservation.source).distinct()))
        assert sources == {"Demo data approximating WHO GHO"}
        countries = set(session.scalars(select(Country.code)))
        indicators = set(session.scalars(select(UhcIndicator.code)))
        coverage: dict[str, set[str]] = defaultdict(set)
        years: set[int] = set()
        for observation in session.scalars(select(UhcObservation)):
            coverage[observation.indicator_code].add(observation.country_code)
            years.add(observation.year)
        assert set(coverage) == indicators
        for code in (
            "UHC_INDEX_REPORTED",
            "GHED_OOPSCHE_SHA2011",
            "HWF_0001",
            "HWF_0006",
            "WHS4_100",
        ):
            assert coverage[code] == countries, code
        # No household survey for Brunei Darussalam: catastrophic spending is left out.
        assert coverage["FINPROTECTION_CATA_TOT_10_POP"] == countries - {"BRN"}
        assert years == set(range(2015, 2023))
        imports = session.scalars(select(AuditEntry).where(AuditEntry.action == "uhc.import")).all()
        assert [e.detail["created"] for e in imports] == [434, 0]


def test_demo_values_stay_within_plausible_bounds(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        for indicator in session.scalars(select(UhcIndicator)):
            low, high = session.execute(
                select(func.min(UhcObservation.value), func.max(UhcObservation.value)).where(
                    UhcObservation.indicator_code == indicator.code
                )
            ).one()
            assert indicator.min_value <= low <= high <= indicator.max_value
        ten, twenty_five = (
            {
                (o.country_code, o.year): o.value
                for o in session.scalars(
                    select(UhcObservation).where(UhcObservation.indicator_code == code)
                )
            }
            for code in ("FINPROTECTION_CATA_TOT_10_POP", "FINPROTECTION_CATA_TOT_25_POP")
        )
        # Spending above 25% of the budget is also above 10%: never the more common.
        assert ten.keys() == twenty_five.keys()
        assert all(twenty_five[key] <= ten[key] for key in ten)
