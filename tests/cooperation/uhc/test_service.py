"""UHC services: indicator definitions, the GHO import (idempotent, atomic, country-scoped),
the observation lists, the regional comparison and a country's trends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.uhc import comparison, importing, service
from healthbridge.cooperation.uhc.models import UhcIndicator, UhcObservation
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden, Invalid, NotFound
from healthbridge.interop import gho
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role

CODES = [
    "UHC_INDEX_REPORTED",
    "FINPROTECTION_CATA_TOT_10_POP",
    "FINPROTECTION_CATA_TOT_25_POP",
    "GHED_OOPSCHE_SHA2011",
    "HWF_0001",
    "HWF_0006",
    "WHS4_100",
]


def row(
    indicator: str = "UHC_INDEX_REPORTED",
    country: str = "THA",
    year: int = 2021,
    value: str = "82",
    **extra: str,
) -> dict[str, str]:
    return {
        "IndicatorCode": indicator,
        "SpatialDimValueCode": country,
        "Period": str(year),
        "FactValueNumeric": value,
        "Value": value,
        **extra,
    }


def csv_bytes(*rows: dict[str, str]) -> bytes:
    return gho.write_gho_csv(list(rows)).encode()


def principal(user: User) -> Principal:
    return Principal(
        email=user.email, role=Role(user.role), country=user.country_code, user_id=user.id
    )


def run_import(
    factory: sessionmaker[Session], actor: Principal, data: bytes, **kwargs: Any
) -> importing.ImportReport:
    """An import in its own unit of work, as the border runs it."""
    with unit_of_work(factory) as session:
        return importing.import_gho_csv(
            session=session, actor=actor, data=data, filename="uhc.csv", **kwargs
        )


def stored(factory: sessionmaker[Session]) -> dict[tuple[str, str, int], tuple[Any, ...]]:
    with factory() as session:
        return {
            (o.country_code, o.indicator_code, o.year): (o.value, o.low, o.high, o.source)
            for o in session.scalars(select(UhcObservation))
        }


# --- indicator definitions -----------------------------------------------------------------------


def test_a_fresh_database_has_the_shipped_indicator_definitions(session: Session) -> None:
    indicators = list(session.scalars(select(UhcIndicator).order_by(UhcIndicator.position)))
    assert [i.code for i in indicators] == CODES
    records = {r["code"]: r for r in service.indicator_records()}
    for indicator in indicators:
        for name in service.INDICATOR_FIELDS:
            assert getattr(indicator, name) == records[indicator.code][name], (indicator.code, name)
    by_code = {i.code: i for i in indicators}
    assert by_code["UHC_INDEX_REPORTED"].sdg_indicator == "3.8.1"
    assert (by_code["UHC_INDEX_REPORTED"].min_value, by_code["UHC_INDEX_REPORTED"].max_value) == (
        0,
        100,
    )
    assert by_code["FINPROTECTION_CATA_TOT_10_POP"].sdg_indicator == "3.8.2"
    assert by_code["FINPROTECTION_CATA_TOT_10_POP"].higher_is_better is False
    assert by_code["GHED_OOPSCHE_SHA2011"].higher_is_better is False
    assert by_code["HWF_0001"].unit == "per 10,000 population"
    assert by_code["WHS4_100"].higher_is_better is True


def test_load_indicators_restores_changed_definitions_and_is_idempotent(
    session_factory: sessionmaker[Session], operator: Principal, raw_sql: Callable[..., None]
) -> None:
    with unit_of_work(session_factory) as session:
        assert service.load_indicators(session=session, actor=operator) == 0
    raw_sql("UPDATE uhc_indicators SET max_value = 5, name = 'edited' WHERE code = 'WHS4_100'")
    with unit_of_work(session_factory) as session:
        assert service.load_indicators(session=session, actor=operator) == 1
    with session_factory() as session:
        indicator = session.get(UhcIndicator, "WHS4_100")
        assert indicator is not None
        assert (indicator.max_value, indicator.name.startswith("Diphtheria")) == (100, True)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "uhc.indicators.load")
        ).all()
        assert [e.detail for e in entries] == [{"codes": ["WHS4_100"]}]


def test_get_indicator_is_case_insensitive_and_unknown_codes_are_not_found(
    session: Session, operator: Principal
) -> None:
    assert service.get_indicator(session=session, actor=operator, code=" hwf_0006 ").code == (
        "HWF_0006"
    )
    with pytest.raises(NotFound, match="no UHC indicator with code 'WHOSIS_000001'"):
        service.get_indicator(session=session, actor=operator, code="WHOSIS_000001")


# --- import --------------------------------------------------------------------------------------


def test_an_import_stores_each_row_once_and_reports_what_it_did(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(
        row(),
        row(country="VNM", value="68"),
        row("HWF_0001", "KOR", 2021, "25.6", FactValueNumericLow="24", FactValueNumericHigh="27"),
        row("WHOSIS_000001", "THA"),
        row(country="USA"),
    )
    first = run_import(session_factory, operator, data)
    assert (first.rows, first.created, first.updated, first.unchanged, first.skipped) == (
        5,
        3,
        0,
        0,
        2,
    )
    assert first.skipped_by_reason == {"unserved_country": 1, "untracked_indicator": 1}
    assert first.countries == ["KOR", "THA", "VNM"]
    assert first.indicators == ["HWF_0001", "UHC_INDEX_REPORTED"]
    assert stored(session_factory) == {
        ("THA", "UHC_INDEX_REPORTED", 2021): (82.0, None, None, "WHO Global Health Observatory"),
        ("VNM", "UHC_INDEX_REPORTED", 2021): (68.0, None, None, "WHO Global Health Observatory"),
        ("KOR", "HWF_0001", 2021): (25.6, 24.0, 27.0, "WHO Global Health Observatory"),
    }

    again = run_import(session_factory, operator, data)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 3, 2)
    assert len(stored(session_factory)) == 3


def test_a_changed_value_or_source_is_an_update(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(row(), row(country="VNM", value="68")))
    with session_factory() as session:
        before = session.scalar(
            select(UhcObservation.imported_at).where(UhcObservation.country_code == "VNM")
        )
    report = run_import(
        session_factory, operator, csv_bytes(row(value="83"), row(country="VNM", value="68"))
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert stored(session_factory)[("THA", "UHC_INDEX_REPORTED", 2021)][0] == 83.0
    with session_factory() as session:
        after = session.scalar(
            select(UhcObservation.imported_at).where(UhcObservation.country_code == "VNM")
        )
    assert after == before  # unchanged rows keep their time

    report = run_import(
        session_factory, operator, csv_bytes(row(value="83")), source="National survey"
    )
    assert report.updated == 1
    assert stored(session_factory)[("THA", "UHC_INDEX_REPORTED", 2021)][3] == "National survey"


def test_a_file_with_one_bad_row_changes_nothing_already_stored(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(row(), row(country="VNM", value="68")))
    before = stored(session_factory)
    with session_factory() as session:
        audits = session.scalar(select(func.count()).select_from(AuditEntry))
    bad = csv_bytes(
        row(value="90"),  # would update THA
        row(country="LAO", value="50"),  # would create LAO
        row(country="KHM", value="58"),
        row(country="MMR", year=2021, value="152"),  # out of range
    )
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, bad)
    assert raised.value.detail.startswith("uhc.csv: 1 problem(s)")
    [error] = raised.value.errors
    assert (error.row, error.field) == (5, "FactValueNumeric")
    assert "152 is outside 0–100" in error.message
    assert stored(session_factory) == before
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_a_focal_point_imports_their_own_countrys_rows(
    session_factory: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    focal = principal(make_user(Role.FOCAL_POINT, "THA"))
    # Rows of countries we do not serve are skipped, not refused.
    report = run_import(session_factory, focal, csv_bytes(row(), row(country="USA")))
    assert (report.created, report.skipped) == (1, 1)
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "uhc.import")).one()
    assert entry.country_code == "THA"
    assert entry.actor_user_id == focal.user_id
    assert entry.detail["created"] == 1
    assert len(entry.detail["sha256"]) == 64


def test_a_focal_point_cannot_import_another_countrys_row(
    session_factory: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    focal = principal(make_user(Role.FOCAL_POINT, "THA"))
    data = csv_bytes(row(), row("WHS4_100", "THA", 2022, "97"), row(country="VNM", value="68"))
    with pytest.raises(Forbidden) as raised:
        run_import(session_factory, focal, data)
    assert raised.value.detail.startswith("uhc.csv row 4: records of VNM are outside the scope")
    assert "nothing was imported" in raised.value.detail
    [error] = raised.value.errors
    assert (error.row, error.field) == (4, "SpatialDimValueCode")
    assert raised.value.context is not None
    assert raised.value.context.country == "VNM"
    assert stored(session_factory) == {}


@pytest.mark.parametrize(
    "role", [Role.VIEWER, Role.EPIDEMIOLOGIST, Role.EOC_OFFICER, Role.LOGISTICS_OFFICER]
)
def test_other_roles_cannot_import(
    session_factory: sessionmaker[Session], make_user: Callable[..., User], role: Role
) -> None:
    with pytest.raises(Forbidden):
        run_import(session_factory, principal(make_user(role, "THA")), csv_bytes(row()))
    assert stored(session_factory) == {}


def test_the_secretariat_imports_any_country(
    session_factory: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    secretariat = principal(make_user(Role.SECRETARIAT, None))
    report = run_import(session_factory, secretariat, csv_bytes(row(), row(country="VNM")))
    assert report.created == 2


@pytest.mark.parametrize(
    ("source", "message"),
    [("x" * 301, "at most 300 characters"), ("bad\x07source", "control character")],
)
def test_a_bad_source_is_invalid(
    session_factory: sessionmaker[Session], operator: Principal, source: str, message: str
) -> None:
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, csv_bytes(row()), source=source)
    assert [(e.field, message in e.message) for e in raised.value.errors] == [("source", True)]


def test_the_filename_is_reduced_to_a_printable_base_name(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        report = importing.import_gho_csv(
            session=session,
            actor=operator,
            data=csv_bytes(row()),
            filename="C:\\Users\\me\\gho\x00export.csv",
        )
    assert report.filename == "ghoexport.csv"


def test_progress_goes_through_checking_then_storing(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    calls: list[tuple[str, int, int]] = []
    run_import(
        session_factory,
        operator,
        csv_bytes(row(), row(country="VNM"), row(country="USA")),
        progress=lambda *call: calls.append(call),
    )
    assert calls == [("check", 3, 3), ("store", 2, 2)]


# --- lists ----------------------------------------------------------------------------------------


@pytest.fixture
def some_values(session_factory: sessionmaker[Session], operator: Principal) -> None:
    run_import(
        session_factory,
        operator,
        csv_bytes(
            row(year=2019, value="83"),
            row(year=2021, value="82"),
            row(country="VNM", year=2019, value="70"),
            row(country="VNM", year=2021, value="68"),
            row("WHS4_100", "THA", 2022, "97"),
        ),
    )


@pytest.mark.usefixtures("some_values")
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, 5),
        ({"country": "tha"}, 3),
        ({"indicator": "whs4_100"}, 1),
        ({"year": 2021}, 2),
        ({"from_year": 2020}, 3),
        ({"to_year": 2019}, 2),
        ({"from_year": 2019, "to_year": 2019, "country": "VNM"}, 1),
        ({"country": "KOR"}, 0),
    ],
)
def test_list_observations_filters(
    session: Session, operator: Principal, filters: dict[str, Any], expected: int
) -> None:
    rows, total = service.list_observations(
        session=session, actor=operator, page=PageRequest(), **filters
    )
    assert total == expected == len(rows)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"indicator": "WHOSIS_000001"}, "indicator"),
        ({"country": "USA"}, "country"),
        ({"from_year": 2021, "to_year": 2019}, "to_year"),
    ],
)
def test_list_observations_refuses_bad_filters_naming_the_field(
    session: Session, operator: Principal, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as raised:
        service.list_observations(session=session, actor=operator, page=PageRequest(), **filters)
    assert [e.field for e in raised.value.errors] == [field]


# --- comparison and trends --------------------------------------------------------------------


def test_the_regional_comparison_ranks_every_country_best_first(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(
        session_factory,
        operator,
        csv_bytes(
            row(country="THA", year=2021, value="82"),
            row(country="SGP", year=2021, value="89"),
            row(country="KOR", year=2021, value="89"),
            row(country="LAO", year=2021, value="50"),
            row(country="VNM", year=2019, value="70"),  # only an earlier year
            row(country="THA", year=2019, value="83"),
        ),
    )
    with session_factory() as session:
        result = comparison.regional_comparison(
            session=session, actor=operator, indicator_code="uhc_index_reported"
        )
    assert result.year == 2021
    assert result.years == [2021, 2019]
    assert len(result.countries) == 14
    shown = [(c.country_code, c.value, c.year, c.rank) for c in result.countries if c.has_value]
    assert shown == [
        ("KOR", 89.0, 2021, 1),
        ("SGP", 89.0, 2021, 1),
        ("THA", 82.0, 2021, 3),
        ("VNM", 70.0, 2019, 4),
        ("LAO", 50.0, 2021, 5),
    ]
    assert [c.country_code for c in result.earlier_years] == ["VNM"]
    assert len(result.without_value) == 9
    assert all(c.rank is None for c in result.without_value)
    names = [c.country_name for c in result.without_value]
    assert names == sorted(names)


def test_a_chosen_year_compares_that_year_and_lower_is_better_sorts_upwards(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    code = "GHED_OOPSCHE_SHA2011"
    run_import(
        session_factory,
        operator,
        csv_bytes(
            row(code, "THA", 2019, "9.6"),
            row(code, "KHM", 2019, "57.2"),
            row(code, "SGP", 2019, "29"),
            row(code, "THA", 2021, "8.9"),
        ),
    )
    with session_factory() as session:
        result = comparison.regional_comparison(
            session=session, actor=operator, indicator_code=code, year=2019
        )
        assert [c.country_code for c in result.countries if c.has_value] == ["THA", "SGP", "KHM"]
        assert result.earlier_years == []
        with pytest.raises(Invalid) as raised:
            comparison.regional_comparison(
                session=session, actor=operator, indicator_code=code, year=2015
            )
    assert [(e.field, e.message) for e in raised.value.errors] == [("year", "one of 2021, 2019")]


def test_a_comparison_without_values_has_no_year(session: Session, operator: Principal) -> None:
    result = comparison.regional_comparison(
        session=session, actor=operator, indicator_code="HWF_0006"
    )
    assert (result.year, result.years, len(result.without_value)) == (None, [], 14)


def test_country_trends_give_every_indicator_with_the_regional_median(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(
        session_factory,
        operator,
        csv_bytes(
            row(country="THA", year=2019, value="83"),
            row(country="THA", year=2021, value="82"),
            row(country="VNM", year=2021, value="68"),
            row(country="LAO", year=2021, value="50"),
            row(country="KOR", year=2021, value="89"),
            row(country="VNM", year=2019, value="70"),
        ),
    )
    with session_factory() as session:
        trends = comparison.country_trends(session=session, actor=operator, country="tha")
    assert [t.indicator.code for t in trends] == CODES
    uhc = trends[0]
    assert [(o.year, o.value) for o in uhc.observations] == [(2019, 83.0), (2021, 82.0)]
    # 2019: two countries report, too few for a median; 2021: four (50, 68, 82, 89).
    assert uhc.regional_median == {2019: None, 2021: 75.0}
    assert uhc.reporting == {2019: 2, 2021: 4}
    assert all(t.observations == [] for t in trends[1:])


def test_country_trends_of_an_unknown_country_are_not_found(
    session: Session, operator: Principal
) -> None:
    with pytest.raises(NotFound):
        comparison.country_trends(session=session, actor=operator, country="USA")
