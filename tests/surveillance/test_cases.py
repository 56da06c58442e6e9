"""The case-report store on both databases: the import (atomic, idempotent, country-scoped,
audited), updates, lab results and their turnaround, the weekly rollup, and the audited,
country-scoped reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden, Invalid, NotFound
from healthbridge.interop.case_records import CaseBatch, CaseRecord, LabRecord
from healthbridge.interop.cases_csv import write_cases_csv
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import case_queries, cases
from healthbridge.surveillance.models import (
    SOURCE_CASE_ROLLUP,
    CaseImportBatch,
    CaseReport,
    LabResult,
    WeeklyCount,
)

MakeUser = Callable[..., User]


def case(case_id: str = "TH-1", country: str = "THA", **values: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "row": 0,
        "country": country,
        "case_id": case_id,
        "disease": "dengue",
        "classification": "confirmed",
        "report_date": dt.date(2024, 2, 14),
        "onset_date": dt.date(2024, 2, 12),
        "area": "TH-10" if country == "THA" else "VN-HN",
        "sex": "female",
        "outcome": "recovered",
    }
    fields.update(values)
    return CaseRecord(**fields)


def lab(
    case_id: str = "TH-1", sample_id: str = "S-1", country: str = "THA", **values: Any
) -> LabRecord:
    fields: dict[str, Any] = {
        "row": 0,
        "country": country,
        "case_id": case_id,
        "sample_id": sample_id,
        "test_type": "pcr",
        "pathogen": "DENV",
        "result": "positive",
        "sample_date": dt.date(2024, 2, 14),
        "result_date": dt.date(2024, 2, 17),
        "laboratory": "Bangkok lab",
    }
    fields.update(values)
    return LabRecord(**fields)


def csv_bytes(found: list[CaseRecord], labs: list[LabRecord] = ()) -> bytes:  # type: ignore[assignment]
    return write_cases_csv(found, labs).encode()


def principal(user: User) -> Principal:
    return Principal(
        email=user.email, role=Role(user.role), country=user.country_code, user_id=user.id
    )


def run_import(
    factory: sessionmaker[Session], actor: Principal, data: bytes, name: str = "cases.csv"
) -> cases.CaseImportReport:
    with unit_of_work(factory) as session:
        return cases.import_case_file(
            session=session, actor=actor, data=data, filename=name, today=dt.date(2024, 12, 31)
        )


def snapshot(factory: sessionmaker[Session]) -> dict[str, Any]:
    with factory() as session:
        return {
            "cases": sorted(
                (c.country_code, c.case_id, c.classification, c.outcome, c.week, c.content_hash)
                for c in session.scalars(select(CaseReport))
            ),
            "labs": sorted(
                (lab.sample_id, lab.result, lab.case_report_id)
                for lab in session.scalars(select(LabResult))
            ),
            "rollup": rollup(factory),
            "batches": session.scalar(select(func.count()).select_from(CaseImportBatch)),
        }


def rollup(
    factory: sessionmaker[Session],
) -> dict[tuple[str, str | None, str, str], tuple[int, int | None]]:
    with factory() as session:
        return {
            (w.country_code, w.area_code, w.disease_code, w.week): (w.cases, w.deaths)
            for w in session.scalars(
                select(WeeklyCount).where(WeeklyCount.source == SOURCE_CASE_ROLLUP)
            )
        }


def audit_actions(factory: sessionmaker[Session], prefix: str) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.startswith(prefix))
                .order_by(AuditEntry.id)
            )
        )


FIRST = (
    [
        case("TH-1"),
        case("TH-2", area="TH-50", onset_date=None, outcome="died", disease="A97.9"),
        case("TH-3", area=None, classification="suspected"),
        case("V-1", country="VNM", report_date=dt.date(2024, 2, 20), onset_date=None),
    ],
    [
        lab("TH-1"),
        lab("TH-1", test_type="serology", result="negative", result_date=dt.date(2024, 2, 15)),
        lab("TH-2", sample_id="S-2", result_date=None, result="pending"),
        lab("V-1", sample_id="S-1", country="VNM", laboratory="Ha Noi lab"),
    ],
)


# --- import --------------------------------------------------------------------------------------


def test_an_import_stores_cases_labs_and_the_rollup_and_twice_stores_them_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    data = csv_bytes(*FIRST)
    report = run_import(session_factory, operator, data)
    assert (report.rows, report.cases_created, report.labs_created) == (5, 4, 4)
    assert (report.cases_updated, report.cases_unchanged, report.labs_unchanged) == (0, 0, 0)
    assert report.countries == ["THA", "VNM"]
    assert report.diseases == ["dengue"]
    assert (report.first_week, report.last_week) == ("2024-W07", "2024-W08")
    assert [(s.country, s.disease, s.weeks) for s in report.rollup_keys] == [
        ("THA", "dengue", ["2024-W07"]),
        ("VNM", "dengue", ["2024-W08"]),
    ]
    with session_factory() as session:
        stored = {c.case_id: c for c in session.scalars(select(CaseReport))}
        assert stored["TH-1"].week == "2024-W07" and stored["TH-1"].week_start == dt.date(
            2024, 2, 12
        )
        assert stored["TH-2"].disease_code == "dengue"  # from ICD-10 A97.9
        assert stored["V-1"].week == "2024-W08"  # no onset: the report date's week
        assert len(stored["TH-1"].content_hash) == 32
        assert stored["TH-1"].source_format == "csv" and stored["TH-1"].batch_id == report.batch_id
        labs = {
            (x.sample_id, x.test_type, x.country_code): x
            for x in session.scalars(select(LabResult))
        }
        assert labs[("S-1", "pcr", "THA")].turnaround_days == 3
        assert labs[("S-1", "serology", "THA")].turnaround_days == 1
        assert labs[("S-2", "pcr", "THA")].turnaround_days is None
        assert labs[("S-1", "pcr", "VNM")].case_report_id == stored["V-1"].id
        batch = session.get(CaseImportBatch, report.batch_id)
        assert batch is not None
        assert (batch.rows, batch.created, batch.countries, batch.format) == (
            5,
            4,
            "THA,VNM",
            "csv",
        )
    assert rollup(session_factory) == {
        ("THA", "TH-10", "dengue", "2024-W07"): (1, 0),
        ("THA", "TH-50", "dengue", "2024-W07"): (1, 1),
        ("THA", None, "dengue", "2024-W07"): (3, 1),  # the case without an area counts here
        ("VNM", "VN-HN", "dengue", "2024-W08"): (1, 0),
        ("VNM", None, "dengue", "2024-W08"): (1, 0),
    }
    before = snapshot(session_factory)
    again = run_import(session_factory, operator, data)
    assert (again.cases_created, again.cases_updated, again.cases_unchanged) == (0, 0, 4)
    assert (again.labs_created, again.labs_updated, again.labs_unchanged) == (0, 0, 4)
    assert again.rollup_keys == [] and again.same_file_as == report.batch_id
    after = snapshot(session_factory)
    assert after["batches"] == before["batches"] + 1
    assert {k: v for k, v in after.items() if k != "batches"} == {
        k: v for k, v in before.items() if k != "batches"
    }
    entries = audit_actions(session_factory, "case_reports.import")
    assert len(entries) == 2
    assert entries[0].detail["cases"] == [4, 0, 0] and entries[0].detail["labs"] == [4, 0, 0]
    assert "TH-1" not in str(entries[0].detail)  # counts only, never a case id


def test_changed_values_update_cases_labs_and_the_rollup(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(*FIRST))
    changed = [
        case("TH-1", outcome="died"),
        # moved to another week: its old week loses the area row and the national count
        case("TH-3", area=None, classification="suspected", onset_date=dt.date(2024, 1, 3)),
    ]
    labs = [lab("TH-2", sample_id="S-2", result="negative", result_date=dt.date(2024, 2, 20))]
    report = run_import(session_factory, operator, csv_bytes(changed, labs))
    assert (report.cases_created, report.cases_updated, report.cases_unchanged) == (0, 2, 0)
    assert (report.labs_created, report.labs_updated, report.labs_unchanged) == (0, 1, 0)
    assert [(s.country, s.weeks) for s in report.rollup_keys] == [("THA", ["2024-W01", "2024-W07"])]
    with session_factory() as session:
        s2 = session.scalars(select(LabResult).where(LabResult.sample_id == "S-2")).one()
        assert (s2.result, s2.turnaround_days) == ("negative", 6)
        assert session.scalar(select(func.count()).select_from(CaseReport)) == 4
    assert {k: v for k, v in rollup(session_factory).items() if k[0] == "THA"} == {
        ("THA", "TH-10", "dengue", "2024-W07"): (1, 1),
        ("THA", "TH-50", "dengue", "2024-W07"): (1, 1),
        ("THA", None, "dengue", "2024-W07"): (2, 2),
        ("THA", None, "dengue", "2024-W01"): (1, 0),
    }
    # The last case of a week moves away: the week's rows go.
    run_import(
        session_factory,
        operator,
        csv_bytes(
            [case("TH-3", area=None, classification="suspected", onset_date=dt.date(2024, 2, 13))]
        ),
    )
    assert ("THA", None, "dengue", "2024-W01") not in rollup(session_factory)
    assert rollup(session_factory)[("THA", None, "dengue", "2024-W07")] == (3, 2)


def test_a_lab_result_may_join_a_case_stored_before_but_not_an_unknown_one(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator, csv_bytes(*FIRST))
    report = run_import(session_factory, operator, csv_bytes([], [lab("TH-3", sample_id="S-9")]))
    assert (report.rows, report.labs_created, report.cases_created) == (1, 1, 0)
    with pytest.raises(Invalid) as raised:
        run_import(
            session_factory, operator, csv_bytes([], [lab("TH-404", sample_id="S-8")]), "late.csv"
        )
    [error] = raised.value.errors
    assert (error.row, error.field) == (2, "case_id")
    assert "late.csv" in raised.value.detail and "TH-404" in error.message


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"area": "VN-HN"}, "area", "VN-HN is in VNM, not in THA"),
        ({"area": "TH-99"}, "area", "not the ISO 3166-2 code"),
        ({"disease": "ebola"}, "disease", "neither a disease code"),
        ({"country": "XXX"}, "country", "not the alpha-3 code of a served country"),
        ({"report_date": dt.date(2025, 3, 1), "onset_date": None}, "report_date", "in the future"),
    ],
)
def test_a_bad_row_stores_nothing_at_all(
    session_factory: sessionmaker[Session],
    operator: Principal,
    bad: dict[str, Any],
    field: str,
    message: str,
) -> None:
    run_import(session_factory, operator, csv_bytes(*FIRST))
    before = snapshot(session_factory)
    rows = [case("TH-1", outcome="died"), case("TH-9"), case("TH-10", **bad)]
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, csv_bytes(rows), "bad.csv")
    assert raised.value.detail.startswith("bad.csv:")
    [error] = raised.value.errors
    assert (error.row, error.field) == (4, field)
    assert message in error.message
    assert snapshot(session_factory) == before


def test_a_reporter_imports_only_their_own_countrys_cases(
    session_factory: sessionmaker[Session], make_user: MakeUser
) -> None:
    thai = principal(make_user(Role.EPIDEMIOLOGIST, "THA"))
    with pytest.raises(Forbidden) as refused:
        run_import(session_factory, thai, csv_bytes(*FIRST))
    assert "cases.csv row 6:" in refused.value.detail
    assert refused.value.errors[0].field == "country" and refused.value.errors[0].row == 6
    assert snapshot(session_factory)["cases"] == []
    own = run_import(session_factory, thai, csv_bytes(FIRST[0][:3], FIRST[1][:3]))
    assert own.cases_created == 3
    viewer = principal(make_user(Role.VIEWER, "THA"))
    with pytest.raises(Forbidden):
        run_import(session_factory, viewer, csv_bytes(FIRST[0][:1]))


def test_a_fhir_batch_through_the_same_store(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    batch = CaseBatch(
        filename="bundle.json",
        format="fhir",
        sha256="0" * 64,
        cases=[dataclasses.replace(case("TH-7"), row=1)],
        labs=[dataclasses.replace(lab("TH-7", sample_id="S-7"), row=2)],
        row_label="entry",
    )
    with unit_of_work(session_factory) as session:
        report = cases.import_case_batch(session=session, actor=operator, batch=batch)
    assert (report.format, report.cases_created, report.labs_created) == ("fhir", 1, 1)
    bad = dataclasses.replace(
        batch, cases=[dataclasses.replace(case("TH-8", sex="woman"), row=3)], labs=[]
    )
    with pytest.raises(Invalid) as raised, unit_of_work(session_factory) as session:
        cases.import_case_batch(session=session, actor=operator, batch=bad)
    assert [(e.row, e.field) for e in raised.value.errors] == [(3, "Patient.gender")]


# --- reads ---------------------------------------------------------------------------------------


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    run_import(session_factory, operator, csv_bytes(*FIRST))


@pytest.mark.usefixtures("loaded")
def test_a_thai_reader_sees_only_thai_cases_and_every_read_is_audited(
    session_factory: sessionmaker[Session], make_user: MakeUser
) -> None:
    thai = principal(make_user(Role.EPIDEMIOLOGIST, "THA"))
    with unit_of_work(session_factory) as session:
        rows, total, exact = case_queries.list_cases(
            session=session, actor=thai, page=PageRequest()
        )
        assert total == 3 and exact and {r.country_code for r in rows} == {"THA"}
        assert [r.report_date for r in rows] == sorted((r.report_date for r in rows), reverse=True)
        where = case_queries.check_case_filter(session=session, disease="A97.9", area="th-50")
        rows, _total, _exact = case_queries.list_cases(
            session=session, actor=thai, page=PageRequest(), where=where
        )
        assert [r.case_id for r in rows] == ["TH-2"]
        where = case_queries.check_case_filter(session=session, q="h-3", classification="Suspected")
        assert [
            r.case_id
            for r in case_queries.list_cases(
                session=session, actor=thai, page=PageRequest(), where=where
            )[0]
        ] == ["TH-3"]
        vnm_id = session.scalars(
            select(CaseReport.id).where(CaseReport.country_code == "VNM")
        ).one()
        th1 = session.scalars(select(CaseReport.id).where(CaseReport.case_id == "TH-1")).one()
        detail = case_queries.get_case(session=session, actor=thai, case_report_id=th1)
        assert sorted(x.test_type for x in detail.lab_results) == ["pcr", "serology"]
    with session_factory() as session, pytest.raises(Forbidden):
        where = case_queries.check_case_filter(session=session, country="VNM")
        case_queries.list_cases(session=session, actor=thai, page=PageRequest(), where=where)
    with session_factory() as session, pytest.raises(Forbidden):
        case_queries.get_case(session=session, actor=thai, case_report_id=vnm_id)
    with session_factory() as session, pytest.raises(NotFound):
        case_queries.get_case(session=session, actor=thai, case_report_id=99999)
    reads = audit_actions(session_factory, "case_report.")
    assert [e.action for e in reads] == ["case_report.list"] * 3 + ["case_report.read"]
    assert reads[0].country_code == "THA" and reads[0].detail["total"] == 3
    assert reads[-1].object_id == str(th1)


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("role", [Role.REGIONAL_ADMIN, Role.SECRETARIAT, Role.VIEWER])
def test_regional_roles_and_viewers_read_no_case(
    session_factory: sessionmaker[Session], make_user: MakeUser, role: Role
) -> None:
    actor = principal(make_user(role, None if role is not Role.VIEWER else "THA"))
    with session_factory() as session:
        for read in (case_queries.list_cases, case_queries.list_lab_results):
            with pytest.raises(Forbidden):
                read(session=session, actor=actor, page=PageRequest())
        with pytest.raises(Forbidden):
            case_queries.turnaround(session=session, actor=actor)


@pytest.mark.usefixtures("loaded")
def test_lab_results_and_their_turnaround(
    session_factory: sessionmaker[Session], make_user: MakeUser, operator: Principal
) -> None:
    more = [case(f"TH-{n}") for n in range(20, 25)]
    labs = [
        lab(f"TH-{n}", sample_id=f"T-{n}", result_date=dt.date(2024, 2, 14) + dt.timedelta(days=d))
        for n, d in zip(range(20, 25), [1, 2, 2, 4, 10], strict=True)
    ]
    run_import(session_factory, operator, csv_bytes(more, labs))
    thai = principal(make_user(Role.FOCAL_POINT, "THA"))
    with unit_of_work(session_factory) as session:
        rows, total = case_queries.list_lab_results(session=session, actor=thai, page=PageRequest())
        assert total == 8 and {r.country_code for r in rows} == {"THA"}
        where = case_queries.check_case_filter(session=session, result="pending")
        rows, total = case_queries.list_lab_results(
            session=session, actor=thai, page=PageRequest(), where=where
        )
        assert [r.sample_id for r in rows] == ["S-2"]
        where = case_queries.check_case_filter(
            session=session, test_type="serology", pathogen="denv"
        )
        assert (
            case_queries.list_lab_results(
                session=session, actor=thai, page=PageRequest(), where=where
            )[1]
            == 1
        )
        stats = case_queries.turnaround(session=session, actor=thai)
    by_key = {(s.laboratory, s.test_type): s for s in stats}
    pcr = by_key[("Bangkok lab", "pcr")]
    # TH-1's pcr (3 days) and the five above (1, 2, 2, 4, 10); S-2 has no result date.
    assert (pcr.n, pcr.median, pcr.minimum, pcr.maximum) == (6, 2.5, 1, 10)
    assert pcr.mean == pytest.approx(22 / 6, abs=0.01)
    assert pcr.p90 == pytest.approx(7.0)  # linear between 4 and 10
    assert by_key[("Bangkok lab", "serology")].n == 1
    assert all(s.country == "THA" for s in stats)
    with session_factory() as session, pytest.raises(Invalid) as bad:
        case_queries.check_case_filter(session=session, test_type="x-ray", from_week="2024-W99")
    assert [e.field for e in bad.value.errors] == ["from_week", "test_type"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 50)), min_size=1, max_size=30))
def test_turnaround_statistics_of_a_histogram_are_those_of_its_values(
    histogram: list[tuple[int, int]],
) -> None:
    values = [v for v, _n in histogram]
    counts = [n for _v, n in histogram]
    raw = [v for v, n in histogram for _ in range(n)]
    n, median, p90, mean = case_queries.turnaround_stats(values, counts)
    assert n == len(raw)
    assert median == pytest.approx(statistics.median(raw))
    # The mean is rounded to 2 decimals: within half a hundredth (plus float error).
    assert mean == pytest.approx(sum(raw) / len(raw), abs=0.005 + 1e-9)
    assert min(raw) <= median <= p90 <= max(raw)
    ordered = sorted(raw)
    position = 0.9 * (len(raw) - 1)  # R's type 7
    low = ordered[int(position)]
    high = ordered[min(int(position) + 1, len(raw) - 1)]
    assert p90 == pytest.approx(low + (high - low) * (position - int(position)))
