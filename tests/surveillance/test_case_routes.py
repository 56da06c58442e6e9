"""API: case reports and lab results through the HTTP client — the import (CSV; 422 with row
errors, 403 naming the row), the country-scoped lists, one case, and the turnaround."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.interop.cases_csv import write_cases_csv
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import cases
from healthbridge.surveillance.models import CaseReport
from problem_assertions import assert_problem

FHIR_DATA = Path(__file__).parents[1] / "interop" / "data" / "fhir"
Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


def case(case_id: str, country: str = "THA", **values: Any) -> CaseRecord:
    fields: dict[str, Any] = {
        "row": 0,
        "country": country,
        "case_id": case_id,
        "disease": "dengue",
        "classification": "confirmed",
        "report_date": dt.date(2024, 3, 4),
        "onset_date": dt.date(2024, 3, 1),
        "area": "TH-10" if country == "THA" else "VN-SG",
    }
    fields.update(values)
    return CaseRecord(**fields)


def lab(case_id: str, sample_id: str, country: str = "THA", days: int = 2) -> LabRecord:
    return LabRecord(
        row=0,
        country=country,
        case_id=case_id,
        sample_id=sample_id,
        test_type="pcr",
        pathogen="DENV",
        result="positive",
        sample_date=dt.date(2024, 3, 4),
        result_date=dt.date(2024, 3, 4) + dt.timedelta(days=days),
        laboratory=f"{country} national lab",
    )


def upload(
    found: list[CaseRecord],
    labs: list[LabRecord] = (),
    name: str = "cases.csv",
    **form: str,  # type: ignore[assignment]
) -> dict[str, Any]:
    return {
        "files": {"file": (name, write_cases_csv(found, labs).encode(), "text/csv")},
        "data": form,
    }


@pytest.fixture
def thai(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.EPIDEMIOLOGIST, "THA"))


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    data = write_cases_csv(
        [case("TH-1"), case("TH-2", classification="probable"), case("VN-1", "VNM")],
        [lab("TH-1", "S1"), lab("TH-2", "S2", days=4), lab("VN-1", "V1", "VNM")],
    ).encode()
    with unit_of_work(session_factory) as session:
        cases.import_case_file(session=session, actor=operator, data=data, filename="fixture.csv")


def case_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(CaseReport)) or 0


def test_a_reporter_imports_a_csv_and_again_changes_nothing(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload([case("TH-1"), case("TH-2")], [lab("TH-1", "S1")])
    response = client.post("/api/v1/cases/import", headers=thai, **files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["cases_created"], body["labs_created"]) == (2, 2, 1)
    assert body["format"] == "csv" and body["countries"] == ["THA"]
    assert body["rollup_keys"] == [{"country": "THA", "disease": "dengue", "weeks": ["2024-W09"]}]
    again = client.post("/api/v1/cases/import", headers=thai, **files).json()
    assert (again["cases_unchanged"], again["labs_unchanged"], again["rollup_keys"]) == (2, 1, [])
    assert again["same_file_as"] == body["batch_id"]
    assert case_count(session_factory) == 2


def test_bad_rows_answer_422_with_every_row_error_and_store_nothing(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(
        [case("TH-1"), case("TH-2", area="VN-SG"), case("TH-3", disease="ebola")], name="bad.csv"
    )
    body = assert_problem(client.post("/api/v1/cases/import", headers=thai, **files), 422)
    assert body["detail"].startswith("bad.csv:")
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "area"), (4, "disease")]
    broken = {"files": {"file": ("x.csv", b"country,case_id\nTHA,1\n", "text/csv")}}
    body = assert_problem(client.post("/api/v1/cases/import", headers=thai, **broken), 422)
    assert {e["field"] for e in body["errors"]} >= {"disease", "report_date"}
    unknown = upload([case("TH-1")], format="xml")
    body = assert_problem(client.post("/api/v1/cases/import", headers=thai, **unknown), 422)
    assert body["errors"][0]["field"] == "format"
    assert case_count(session_factory) == 0


def test_another_countrys_rows_are_refused_naming_the_row_and_audited(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload([case("TH-1"), case("VN-1", "VNM")])
    body = assert_problem(client.post("/api/v1/cases/import", headers=thai, **files), 403)
    assert "cases.csv row 3" in body["detail"]
    assert case_count(session_factory) == 0
    with session_factory() as session:
        denial = session.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).one()
        assert (denial.action, denial.country_code) == ("case:report", "VNM")


def test_fhir_files_go_through_the_same_store(
    client: TestClient, make_user: MakeUser, login: Login, session_factory: sessionmaker[Session]
) -> None:
    admin = login(make_user(Role.REGIONAL_ADMIN, None))
    bundle = (FHIR_DATA / "cases-bundle.json").read_bytes()
    files = {"files": {"file": ("b.json", bundle, "application/json")}, "data": {"format": "fhir"}}
    response = client.post("/api/v1/cases/import", headers=admin, **files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["format"], body["cases_created"], body["labs_created"]) == ("fhir", 3, 3)
    # The same records as NDJSON: nothing changes.
    ndjson = (FHIR_DATA / "cases.ndjson").read_bytes()
    files = {
        "files": {"file": ("c.ndjson", ndjson, "application/x-ndjson")},
        "data": {"format": "fhir"},
    }
    again = client.post("/api/v1/cases/import", headers=admin, **files).json()
    assert (again["cases_unchanged"], again["labs_unchanged"]) == (3, 3), again
    assert case_count(session_factory) == 3
    broken = {"files": {"file": ("b.json", b"{}", "application/json")}, "data": {"format": "fhir"}}
    assert_problem(client.post("/api/v1/cases/import", headers=admin, **broken), 422)


@pytest.mark.usefixtures("loaded")
def test_lists_show_only_the_readers_country(client: TestClient, thai: Headers) -> None:
    response = client.get("/api/v1/cases", headers=thai, params={"limit": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and len(body["items"]) == 1
    assert 'rel="next"' in response.headers["link"]
    listed = client.get("/api/v1/cases", headers=thai).json()["items"]
    assert {c["case_id"] for c in listed} == {"TH-1", "TH-2"}
    probable = client.get("/api/v1/cases", headers=thai, params={"classification": "probable"})
    assert [c["case_id"] for c in probable.json()["items"]] == ["TH-2"]
    assert_problem(client.get("/api/v1/cases", headers=thai, params={"country": "VNM"}), 403)
    bad = assert_problem(
        client.get("/api/v1/cases", headers=thai, params={"sort": "colour", "from_week": "x"}), 422
    )
    assert bad["errors"][0]["field"] == "from_week"
    labs = client.get("/api/v1/lab-results", headers=thai).json()
    assert labs["total"] == 2 and {x["case_id"] for x in labs["items"]} == {"TH-1", "TH-2"}
    assert "VN-1" not in str(labs)


@pytest.mark.usefixtures("loaded")
def test_one_case_with_its_lab_results(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        ids = {k: i for k, i in session.execute(select(CaseReport.case_id, CaseReport.id))}
    body = client.get(f"/api/v1/cases/{ids['TH-2']}", headers=thai).json()
    assert (body["case_id"], body["classification"], body["week"]) == (
        "TH-2",
        "probable",
        "2024-W09",
    )
    assert [(x["sample_id"], x["turnaround_days"]) for x in body["lab_results"]] == [("S2", 4)]
    assert_problem(client.get(f"/api/v1/cases/{ids['VN-1']}", headers=thai), 403)
    assert_problem(client.get("/api/v1/cases/999999", headers=thai), 404)


@pytest.mark.usefixtures("loaded")
def test_turnaround(client: TestClient, thai: Headers) -> None:
    response = client.get("/api/v1/lab-results/turnaround", headers=thai)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "country": "THA",
            "laboratory": "THA national lab",
            "test_type": "pcr",
            "n": 2,
            "median": 3.0,
            "p90": 3.8,
            "mean": 3.0,
            "minimum": 2,
            "maximum": 4,
        }
    ]


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize(
    ("role", "country"),
    [(Role.REGIONAL_ADMIN, None), (Role.SECRETARIAT, None), (Role.VIEWER, "THA")],
)
def test_roles_that_read_no_case_are_refused(
    client: TestClient, make_user: MakeUser, login: Login, role: Role, country: str | None
) -> None:
    headers = login(make_user(role, country))
    for path in ("/api/v1/cases", "/api/v1/lab-results", "/api/v1/lab-results/turnaround"):
        assert_problem(client.get(path, headers=headers), 403)


# --- one case as JSON ----------------------------------------------------------------------------


def one_case(**values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "country": "THA",
        "case_id": "API-1",
        "disease": "A97.9",
        "classification": "confirmed",
        "report_date": "2024-03-04",
        "onset_date": "2024-03-01",
        "area": "th-10",
        "age_group": "15 - 24",
        "sex": "male",
        "travel_countries": ["khm", "LAO"],
        "lab_results": [
            {
                "sample_id": "API-S1",
                "test_type": "pcr",
                "pathogen": "DENV",
                "result": "pending",
                "sample_date": "2024-03-04",
            }
        ],
    }
    body.update(values)
    return body


def test_one_case_as_json_is_created_then_updated_then_unchanged(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    created = client.post("/api/v1/cases", headers=thai, json=one_case())
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["disease_code"], body["area_code"], body["age_group"]) == (
        "dengue",
        "TH-10",
        "15-24",
    )
    assert body["travel_countries"] == "KHM LAO" and body["source_format"] == "api"
    assert [x["result"] for x in body["lab_results"]] == ["pending"]
    lab = {**one_case()["lab_results"][0], "result": "positive", "result_date": "2024-03-06"}
    updated = client.post("/api/v1/cases", headers=thai, json=one_case(lab_results=[lab]))
    assert updated.status_code == 200, updated.text
    assert [(x["result"], x["turnaround_days"]) for x in updated.json()["lab_results"]] == [
        ("positive", 2)
    ]
    again = client.post("/api/v1/cases", headers=thai, json=one_case(lab_results=[lab]))
    assert again.status_code == 200 and again.json()["updated_at"] == updated.json()["updated_at"]
    assert case_count(session_factory) == 1


def test_a_reporter_who_may_not_read_cases_gets_a_receipt_not_the_case(
    client: TestClient, thai: Headers, make_user: MakeUser, login: Login
) -> None:
    admin = login(make_user(Role.REGIONAL_ADMIN, None))
    lab = {**one_case()["lab_results"][0], "result": "positive", "result_date": "2024-03-06"}
    assert client.post("/api/v1/cases", headers=thai, json=one_case(lab_results=[lab])).is_success
    # The regional administrator reports the same case again, without its lab result: the
    # stored case is not what it gets back.
    sent = client.post("/api/v1/cases", headers=admin, json=one_case(lab_results=[], sex="female"))
    assert sent.status_code == 200, sent.text
    receipt = sent.json()
    assert set(receipt) == {"id", "country_code", "case_id", "outcome"}
    assert (receipt["country_code"], receipt["case_id"], receipt["outcome"]) == (
        "THA",
        "API-1",
        "updated",
    )
    new = client.post("/api/v1/cases", headers=admin, json=one_case(case_id="API-2"))
    assert (new.status_code, new.json()["outcome"]) == (201, "created")
    # The country's own reader sees what was stored.
    assert client.get(f"/api/v1/cases/{receipt['id']}", headers=thai).json()["sex"] == "female"


def test_one_bad_case_names_the_json_fields(client: TestClient, thai: Headers) -> None:
    bad_lab = {**one_case()["lab_results"][0], "result_date": "2024-03-01"}
    body = assert_problem(
        client.post("/api/v1/cases", headers=thai, json=one_case(lab_results=[bad_lab])), 422
    )
    assert [e["field"] for e in body["errors"]] == ["lab_results[0].result_date"]
    body = assert_problem(
        client.post("/api/v1/cases", headers=thai, json=one_case(area="VN-HN", disease="ebola")),
        422,
    )
    assert sorted(e["field"] for e in body["errors"]) == ["area", "disease"]
    assert all("row" not in e for e in body["errors"])
    assert_problem(client.post("/api/v1/cases", headers=thai, json=one_case(sex="x")), 422)
    refused = client.post("/api/v1/cases", headers=thai, json=one_case(country="VNM", area=None))
    assert_problem(refused, 403)
