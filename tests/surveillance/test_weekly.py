"""The weekly-count service on both databases: the import (idempotent, atomic, country-scoped,
audited, batched), the national-total uniqueness, lists, series, the demo and the command."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, event, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work, utcnow
from healthbridge.errors import Conflict, Forbidden, Invalid
from healthbridge.interop.weekly_csv import CellValue, write_weekly_csv
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings
from healthbridge.surveillance import demo, import_commands, weekly, weekly_import
from healthbridge.surveillance.models import SOURCE_CASE_ROLLUP, WeeklyCount

Stored = dict[tuple[str, str | None, str, str, str], tuple[int, int | None]]


def row(
    country: str = "THA",
    area: str | None = "TH-10",
    disease: str = "dengue",
    week: str = "2024-W07",
    cases: int | str = 10,
    deaths: int | str | None = 0,
) -> dict[str, CellValue]:
    return {
        "country": country,
        "area": area,
        "disease": disease,
        "week": week,
        "cases": cases,
        "deaths": deaths,
    }


def csv_bytes(*rows: dict[str, CellValue]) -> bytes:
    return write_weekly_csv(rows).encode()


def principal(user: User) -> Principal:
    return Principal(
        email=user.email, role=Role(user.role), country=user.country_code, user_id=user.id
    )


def run_import(
    factory: sessionmaker[Session], actor: Principal, data: bytes, **kwargs: Any
) -> weekly_import.WeeklyImportReport:
    """An import in its own unit of work, as the border runs it."""
    with unit_of_work(factory) as session:
        return weekly_import.import_weekly_csv(
            session=session, actor=actor, data=data, filename="counts.csv", **kwargs
        )


def stored(factory: sessionmaker[Session]) -> Stored:
    with factory() as session:
        return {
            (c.country_code, c.area_code, c.disease_code, c.week, c.source): (c.cases, c.deaths)
            for c in session.scalars(select(WeeklyCount))
        }


def imports(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "weekly_counts.import")
                .order_by(AuditEntry.id)
            )
        )


def counts(report: weekly_import.WeeklyImportReport) -> tuple[int, int, int, int]:
    return (report.rows, report.created, report.updated, report.unchanged)


# --- import --------------------------------------------------------------------------------------


def test_an_import_stores_each_row_and_the_same_file_twice_stores_it_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(
        row(),
        row(area="TH-50", cases=3, deaths=None),
        row(area=None, cases=40),
        row("VNM", "VN-SG", "A97.9", "2024W08", 7, 1),
        row("PHL", None, "measles", "2024-W01", 0, 0),
    )
    first = run_import(session_factory, operator, data)
    assert counts(first) == (5, 5, 0, 0)
    assert first.countries == ["PHL", "THA", "VNM"]
    assert first.diseases == ["dengue", "measles"]
    assert (first.first_week, first.last_week) == ("2024-W01", "2024-W08")
    expected = {
        ("THA", "TH-10", "dengue", "2024-W07", "aggregate"): (10, 0),
        ("THA", "TH-50", "dengue", "2024-W07", "aggregate"): (3, None),
        ("THA", None, "dengue", "2024-W07", "aggregate"): (40, 0),
        ("VNM", "VN-SG", "dengue", "2024-W08", "aggregate"): (7, 1),
        ("PHL", None, "measles", "2024-W01", "aggregate"): (0, 0),
    }
    assert stored(session_factory) == expected

    second = run_import(session_factory, operator, data)
    assert counts(second) == (5, 0, 0, 5)
    assert stored(session_factory) == expected

    with session_factory() as session:
        count = session.scalars(select(WeeklyCount).where(WeeklyCount.area_code == "VN-SG")).one()
        assert count.week_start == dt.date(2024, 2, 19)
        assert count.reported_at == count.updated_at
        assert count.reported_at.tzinfo is not None


def test_changed_values_are_updated_and_an_empty_deaths_cell_clears_them(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(row(), row(week="2024-W08", cases=5)))
    with session_factory() as session:
        before = session.scalars(select(WeeklyCount).where(WeeklyCount.week == "2024-W07")).one()
    report = run_import(
        session_factory,
        operator,
        csv_bytes(row(cases=12, deaths=None), row(week="2024-W08", cases=5), row(week="2024-W09")),
    )
    assert counts(report) == (3, 1, 1, 1)
    assert stored(session_factory) == {
        ("THA", "TH-10", "dengue", "2024-W07", "aggregate"): (12, None),
        ("THA", "TH-10", "dengue", "2024-W08", "aggregate"): (5, 0),
        ("THA", "TH-10", "dengue", "2024-W09", "aggregate"): (10, 0),
    }
    with session_factory() as session:
        after = session.get(WeeklyCount, before.id)
        assert after is not None
        assert after.reported_at == before.reported_at
        assert after.updated_at > before.updated_at


def test_every_import_appends_one_audit_entry_with_its_counts(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(row(), row(area=None))
    run_import(session_factory, operator, data)
    run_import(session_factory, operator, data)
    first, second = imports(session_factory)
    assert first.object_type == "weekly_count_import"
    assert first.object_id == "counts.csv"
    assert first.country_code == "THA"
    assert first.detail["rows"] == 2
    assert (first.detail["created"], first.detail["updated"], first.detail["unchanged"]) == (
        2,
        0,
        0,
    )
    assert (second.detail["created"], second.detail["unchanged"]) == (0, 2)
    assert first.detail["sha256"] == second.detail["sha256"]
    assert (first.detail["first_week"], first.detail["last_week"]) == ("2024-W07", "2024-W07")
    assert first.detail["countries"] == ["THA"]


def test_importing_a_national_row_twice_stores_it_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    national = csv_bytes(row("IDN", None, "measles", "2024-W07", 30, 0))
    assert counts(run_import(session_factory, operator, national)) == (1, 1, 0, 0)
    assert counts(run_import(session_factory, operator, national)) == (1, 0, 0, 1)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WeeklyCount)) == 1


def _raw_count(**values: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "country_code": "IDN",
        "area_code": None,
        "disease_code": "measles",
        "week": "2024-W07",
        "week_start": dt.date(2024, 2, 12),
        "cases": 1,
        "deaths": None,
        "source": "aggregate",
        "reported_at": now,
        "updated_at": now,
        **values,
    }


@pytest.mark.parametrize("area", [None, "ID-JK"])
def test_the_database_itself_refuses_a_second_row_with_the_same_key(
    session_factory: sessionmaker[Session], area: str | None
) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(insert(WeeklyCount), [_raw_count(area_code=area)])
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        session.execute(insert(WeeklyCount), [_raw_count(area_code=area, cases=2)])


def test_a_national_total_an_area_and_a_case_rollup_of_the_same_week_coexist(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        session.execute(
            insert(WeeklyCount),
            [
                _raw_count(),
                _raw_count(area_code="ID-JK"),
                _raw_count(source=SOURCE_CASE_ROLLUP),
                _raw_count(area_code="ID-JK", source=SOURCE_CASE_ROLLUP),
            ],
        )
    report = run_import(
        session_factory, operator, csv_bytes(row("IDN", None, "measles", cases=1, deaths=None))
    )
    # The reported national total is the aggregate row inserted above; the rollup stays apart.
    assert counts(report) == (1, 0, 0, 1)
    assert len(stored(session_factory)) == 4


def test_a_file_with_one_bad_row_changes_nothing_already_stored(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(row(), row(area=None)))
    before = stored(session_factory)
    bad = csv_bytes(
        row(cases=99),  # would update
        row(week="2024-W08"),  # would create
        row(week="2024-W09", cases="-1"),  # row 4: bad
    )
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, bad)
    assert "counts.csv" in raised.value.detail
    assert [(e.row, e.field) for e in raised.value.errors] == [(4, "cases")]
    assert stored(session_factory) == before
    assert len(imports(session_factory)) == 1


def test_a_failure_while_storing_rolls_the_whole_file_back(
    session_factory: sessionmaker[Session], operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_import(session_factory, operator, csv_bytes(row()))
    before = stored(session_factory)

    def broken_audit(**_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(weekly_import.audit, "record", broken_audit)
    data = csv_bytes(row(cases=50), *(row(week=f"2023-W{w:02d}") for w in range(1, 53)))
    with pytest.raises(RuntimeError):
        run_import(session_factory, operator, data)
    assert stored(session_factory) == before


def test_many_rows_go_in_batches(
    session_factory: sessionmaker[Session], operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weekly_import, "BATCH_SIZE", 7)
    weeks = [f"2023-W{w:02d}" for w in range(1, 53)]
    areas = ["TH-10", "TH-50", None]
    data = csv_bytes(
        *(
            row(area=a, week=w, cases=i)
            for i, (a, w) in enumerate((a, w) for a in areas for w in weeks)
        )
    )
    progress: list[tuple[str, int, int | None]] = []
    report = run_import(
        session_factory, operator, data, progress=lambda *args: progress.append(args)
    )
    assert counts(report) == (156, 156, 0, 0)
    assert len(stored(session_factory)) == 156
    assert progress[-1] == ("store", 156, 156)
    assert [p for p in progress if p[0] == "read"][-1] == ("read", len(data), None)
    changed = csv_bytes(
        *(
            row(area=a, week=w, cases=i + (i % 2))
            for i, (a, w) in enumerate((a, w) for a in areas for w in weeks)
        )
    )
    assert counts(run_import(session_factory, operator, changed)) == (156, 0, 78, 78)


def test_the_number_of_queries_does_not_grow_with_the_rows(
    session_factory: sessionmaker[Session], engine: Engine, operator: Principal
) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    def queries(data: bytes) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            run_import(session_factory, operator, data)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    few = csv_bytes(*(row(week=f"2022-W{w:02d}") for w in range(1, 4)))
    many = csv_bytes(
        *(
            row(area=a, week=f"2023-W{w:02d}")
            for a in ("TH-10", "TH-50", None)
            for w in range(1, 53)
        )
    )
    assert queries(few) == queries(many)
    assert queries(many) == queries(few)  # all unchanged now: no writes but the audit entry


def test_a_concurrent_import_of_the_same_weeks_is_a_conflict_and_stores_nothing(
    session_factory: sessionmaker[Session], operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(row(), row(area=None))
    run_import(session_factory, operator, data)
    # As if another import had stored these keys after this one looked them up.
    monkeypatch.setattr(weekly_import, "_stored", lambda *_args: {})
    with pytest.raises(Conflict, match="another import stored some of these weekly counts"):
        run_import(session_factory, operator, csv_bytes(row(cases=5), row(area=None, cases=5)))
    assert set(stored(session_factory).values()) == {(10, 0)}
    assert len(imports(session_factory)) == 1


def test_a_duplicate_key_in_the_file_names_both_rows(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(row(), row(area=None), row(disease="A97.9", week="2024W7"))
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, data)
    [error] = raised.value.errors
    assert (error.row, error.field) == (4, "week")
    assert error.message == "row 2 already gives dengue in TH-10 for week 2024-W07"
    assert stored(session_factory) == {}


def test_weeks_that_have_not_begun_are_refused(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(row(week="2024-W07"), row(week="2024-W08"))
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, data, today=dt.date(2024, 2, 16))
    assert [(e.row, e.field) for e in raised.value.errors] == [(3, "week")]
    # A report sent on Sunday for the week that begins the next day (UTC) is accepted.
    assert run_import(session_factory, operator, data, today=dt.date(2024, 2, 18)).created == 2


# --- scope ---------------------------------------------------------------------------------------


def test_a_thai_epidemiologist_cannot_import_viet_nam_rows(
    session_factory: sessionmaker[Session], make_user: Callable[..., User]
) -> None:
    thai = principal(make_user(Role.EPIDEMIOLOGIST, "THA"))
    data = csv_bytes(row(), row(area=None), row("VNM", "VN-HN"), row("VNM", "VN-SG"))
    with pytest.raises(Forbidden) as raised:
        run_import(session_factory, thai, data)
    assert raised.value.detail.startswith("counts.csv row 4:")
    assert "nothing was imported" in raised.value.detail
    [error] = raised.value.errors
    assert (error.row, error.field) == (4, "country")
    assert "VNM is outside your scope (THA)" in error.message
    assert raised.value.context is not None
    assert raised.value.context.country == "VNM"
    assert stored(session_factory) == {}

    own = run_import(session_factory, thai, csv_bytes(row(), row(area=None)))
    assert own.created == 2


@pytest.mark.parametrize(
    ("role", "country", "allowed"),
    [
        (Role.FOCAL_POINT, "VNM", True),
        (Role.EOC_OFFICER, "VNM", True),
        (Role.REGIONAL_ADMIN, None, True),
        (Role.EPIDEMIOLOGIST, None, True),
        (Role.VIEWER, "VNM", False),
        (Role.LOGISTICS_OFFICER, "VNM", False),
        (Role.SECRETARIAT, None, False),
    ],
)
def test_who_may_report_viet_nam_counts(
    session_factory: sessionmaker[Session],
    make_user: Callable[..., User],
    role: Role,
    country: str | None,
    allowed: bool,
) -> None:
    actor = principal(make_user(role, country))
    data = csv_bytes(row("VNM", "VN-HN"))
    if allowed:
        assert run_import(session_factory, actor, data).created == 1
    else:
        with pytest.raises(Forbidden, match="may not perform 'surveillance:report'"):
            run_import(session_factory, actor, data)


# --- reading -------------------------------------------------------------------------------------


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    data = csv_bytes(
        row(area="TH-10", week="2024-W01", cases=5, deaths=0),
        row(area="TH-50", week="2024-W01", cases=2, deaths=1),
        row(area="TH-10", week="2024-W02", cases=7, deaths=None),
        row(area="TH-50", week="2024-W02", cases=1, deaths=0),
        row(area="TH-10", week="2024-W04", cases=9, deaths=0),
        row(area="TH-50", week="2024-W04", cases=3, deaths=0),
        row("PHL", None, "measles", "2024-W01", 20, 0),
        row("PHL", None, "measles", "2024-W03", 0, 0),
        row("PHL", "PH-00", "measles", "2024-W01", 11, 0),
    )
    run_import(session_factory, operator, data)


@pytest.mark.usefixtures("loaded")
def test_list_filters_and_sorts(session: Session, operator: Principal) -> None:
    def listed(sort: str | None = None, **filters: Any) -> list[tuple[str, str | None, str]]:
        where = weekly.check_filter(session=session, actor=operator, **filters)
        rows, total = weekly.list_weekly_counts(
            session=session, actor=operator, page=PageRequest(limit=100, sort=sort), where=where
        )
        assert total == len(rows)
        return [(r.country_code, r.area_code, r.week) for r in rows]

    everything = listed()
    assert len(everything) == 9
    assert everything[:4] == [
        ("PHL", None, "2024-W01"),
        ("PHL", "PH-00", "2024-W01"),
        ("THA", "TH-10", "2024-W01"),
        ("THA", "TH-50", "2024-W01"),
    ]
    assert [w for _c, _a, w in listed(sort="-week")][:2] == ["2024-W04", "2024-W04"]
    assert listed(country="tha", area="TH-10") == [
        ("THA", "TH-10", "2024-W01"),
        ("THA", "TH-10", "2024-W02"),
        ("THA", "TH-10", "2024-W04"),
    ]
    assert len(listed(disease="B05")) == 3
    assert len(listed(from_week="2024W02", to_week="2024-W03")) == 3
    assert listed(source="case_rollup") == []
    assert [a for _c, a, _w in listed(sort="-cases", country="THA")][:1] == ["TH-10"]


@pytest.mark.parametrize(
    ("filters", "fields"),
    [
        ({"country": "XYZ"}, ["country"]),
        ({"area": "TH-99"}, ["area"]),
        ({"country": "VNM", "area": "TH-10"}, ["area"]),
        ({"disease": "A91"}, ["disease"]),
        ({"from_week": "2024-W53"}, ["from_week"]),
        ({"from_week": "2024-W05", "to_week": "2024-W01"}, ["to_week"]),
        ({"source": "dhis2"}, ["source"]),
        (
            {"country": "XYZ", "disease": "flu", "to_week": "soon"},
            ["country", "disease", "to_week"],
        ),
    ],
)
def test_bad_filters_are_invalid_naming_each_field(
    session: Session, operator: Principal, filters: dict[str, str], fields: list[str]
) -> None:
    with pytest.raises(Invalid) as raised:
        weekly.check_filter(session=session, actor=operator, **filters)
    assert [e.field for e in raised.value.errors] == fields


def test_a_bad_sort_key_is_invalid(session: Session, operator: Principal) -> None:
    with pytest.raises(Invalid, match="cannot sort by 'population'"):
        weekly.list_weekly_counts(
            session=session, actor=operator, page=PageRequest(sort="population")
        )


@pytest.mark.usefixtures("loaded")
def test_paging_never_overlaps_or_skips(session: Session, operator: Principal) -> None:
    seen: list[int] = []
    for offset in range(0, 9, 2):
        rows, total = weekly.list_weekly_counts(
            session=session, actor=operator, page=PageRequest(limit=2, offset=offset, sort="week")
        )
        assert total == 9
        seen.extend(r.id for r in rows)
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 9


@pytest.mark.usefixtures("loaded")
def test_series_of_an_area_with_gaps(session: Session, operator: Principal) -> None:
    series = weekly.weekly_series(
        session=session, actor=operator, country="THA", disease="dengue", area="th-10"
    )
    assert (series.country, series.disease, series.area, series.level) == (
        "THA",
        "dengue",
        "TH-10",
        "area",
    )
    assert series.weeks == ["2024-W01", "2024-W02", "2024-W03", "2024-W04"]
    assert series.week_starts[0] == dt.date(2024, 1, 1)
    assert series.cases == [5, 7, None, 9]
    assert series.deaths == [0, None, None, 0]
    assert (series.total_cases, series.total_deaths, series.reported_weeks) == (21, 0, 3)


@pytest.mark.usefixtures("loaded")
def test_a_countrys_series_is_its_national_total_or_else_the_sum_of_its_areas(
    session: Session, operator: Principal
) -> None:
    national = weekly.weekly_series(
        session=session, actor=operator, country="PHL", disease="measles"
    )
    assert national.level == "national"
    assert (national.weeks, national.cases) == (["2024-W01", "2024-W02", "2024-W03"], [20, None, 0])
    summed = weekly.weekly_series(session=session, actor=operator, country="THA", disease="A97.9")
    assert summed.level == "sum_of_areas"
    assert summed.cases == [7, 8, None, 12]
    # Deaths are summed only where every area gave them.
    assert summed.deaths == [1, None, None, 0]
    ranged = weekly.weekly_series(
        session=session,
        actor=operator,
        country="THA",
        disease="dengue",
        from_week="2024-W02",
        to_week="2024-W03",
    )
    assert (ranged.weeks, ranged.cases) == (["2024-W02"], [8])
    empty = weekly.weekly_series(session=session, actor=operator, country="VNM", disease="dengue")
    assert (empty.weeks, empty.cases, empty.deaths) == ([], [], [])


def test_a_series_needs_a_known_country_and_disease(session: Session, operator: Principal) -> None:
    with pytest.raises(Invalid) as raised:
        weekly.weekly_series(session=session, actor=operator, country="", disease="")
    assert [e.field for e in raised.value.errors] == ["country", "disease"]
    with pytest.raises(Invalid) as raised:
        weekly.weekly_series(session=session, actor=operator, country="XYZ", disease="dengue")
    assert [e.field for e in raised.value.errors] == ["country"]


@pytest.mark.usefixtures("loaded")
def test_reported_series_and_areas(session: Session, operator: Principal) -> None:
    assert [
        (s.country, s.disease, s.counts)
        for s in weekly.reported_series(session=session, actor=operator)
    ] == [("THA", "dengue", 6), ("PHL", "measles", 3)]
    assert weekly.reported_areas(
        session=session, actor=operator, country="THA", disease="dengue"
    ) == ["TH-10", "TH-50"]


# --- demo ----------------------------------------------------------------------------------------


def test_the_demo_is_deterministic_and_idempotent(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    assert demo.demo_csv() == demo.demo_csv()
    with unit_of_work(session_factory) as session:
        first = demo.load_demo(session=session, actor=operator)
    with unit_of_work(session_factory) as session:
        second = demo.load_demo(session=session, actor=operator)
    weeks = 411
    assert counts(first) == (12 * weeks, 12 * weeks, 0, 0)
    assert counts(second) == (12 * weeks, 0, 0, 12 * weeks)
    assert first.countries == ["IDN", "PHL", "THA", "VNM"]
    assert first.diseases == ["dengue", "measles"]
    assert (first.first_week, first.last_week) == ("2019-W01", "2026-W46")
    values = stored(session_factory)
    assert {key[4] for key in values} == {"aggregate"}
    assert {key[1] for key in values if key[0] in ("IDN", "PHL")} == {None}
    assert len({key[1] for key in values if key[0] == "THA"}) == 5
    with session_factory() as session:
        series = weekly.weekly_series(
            session=session, actor=operator, country="VNM", disease="dengue", area="VN-SG"
        )
    assert None not in series.cases and len(series.cases) == weeks
    # Seasonal: the rainy-season quarter has more cases than the dry one.
    rainy = sum(
        c or 0 for w, c in zip(series.weeks, series.cases, strict=True) if 27 <= int(w[-2:]) <= 39
    )
    dry = sum(
        c or 0 for w, c in zip(series.weeks, series.cases, strict=True) if 1 <= int(w[-2:]) <= 13
    )
    assert rainy > 2 * dry


# --- command line --------------------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    app, import_app, export_app = typer.Typer(), typer.Typer(), typer.Typer()
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    import_commands.register(app=app, import_app=import_app, export_app=export_app)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_the_import_command_prints_what_it_did(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "weekly.csv"
    path.write_bytes(csv_bytes(row(), row(area=None), row("VNM", "VN-HN", week="2024-W09")))
    first = cli("import", "weekly-counts", str(path))
    assert first.exit_code == 0, first.output
    assert " ".join(first.stdout.split()) == (
        "Imported weekly.csv: 3 rows — 3 created, 0 updated, 0 unchanged (2024-W07 to 2024-W09)."
    )
    second = cli("import", "weekly-counts", str(path))
    assert "0 created, 0 updated, 3 unchanged" in " ".join(second.stdout.split())
    assert len(stored(session_factory)) == 3
    with session_factory() as session:
        [entry, _again] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "weekly_counts.import")
        ).all()
        assert entry.actor.startswith("cli:")


def test_the_import_command_lists_the_errors_and_exits_non_zero(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        csv_bytes(*(row(week=f"2023-W{w:02d}", cases="many") for w in range(1, 13)), row())
    )
    result = cli("import", "weekly-counts", str(path))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "bad.csv: 12 problem(s) in the file; nothing was imported" in output
    assert "row 2, cases: 'many' is not a whole number of cases" in output
    assert "… and 2 more" in output
    assert stored(session_factory) == {}
    help_text = cli("import", "weekly-counts", "--help").output
    assert re.search(r"country,area,disease,week,cases,deaths", help_text)
