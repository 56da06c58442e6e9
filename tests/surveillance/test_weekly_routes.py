"""API: weekly counts through the HTTP client — the list, the CSV import and a series."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.interop.weekly_csv import CellValue, write_weekly_csv
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import weekly_import
from healthbridge.surveillance.models import WeeklyCount
from problem_assertions import assert_problem

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


def row(
    country: str = "THA",
    area: str | None = "TH-10",
    disease: str = "dengue",
    week: str = "2024-W07",
    cases: int | str = 10,
    deaths: int | None = 0,
) -> dict[str, CellValue]:
    return {
        "country": country,
        "area": area,
        "disease": disease,
        "week": week,
        "cases": cases,
        "deaths": deaths,
    }


def upload(*rows: dict[str, CellValue], name: str = "weekly.csv") -> dict[str, Any]:
    return {"file": (name, write_weekly_csv(rows).encode(), "text/csv")}


@pytest.fixture
def viewer(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.VIEWER, "KHM"))


@pytest.fixture
def thai_epidemiologist(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.EPIDEMIOLOGIST, "THA"))


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    rows = [
        row(area=area, week=f"2024-W{w:02d}", cases=w * 10 + i, deaths=None if w == 3 else 0)
        for w in range(1, 5)
        for i, area in enumerate(["TH-10", "TH-50"])
        if not (w == 2 and area == "TH-10")
    ]
    rows.append(row("PHL", None, "measles", "2024-W02", 4, 0))
    with unit_of_work(session_factory) as session:
        weekly_import.import_weekly_csv(
            session=session,
            actor=operator,
            data=write_weekly_csv(rows).encode(),
            filename="fixture.csv",
        )


def stored(factory: sessionmaker[Session]) -> list[tuple[str, str | None, str, int]]:
    with factory() as session:
        return sorted(
            (
                (c.country_code, c.area_code, c.week, c.cases)
                for c in session.scalars(select(WeeklyCount))
            ),
            key=lambda t: (t[0], t[1] or "", t[2]),
        )


# --- list ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_every_role_of_every_country_lists_the_weekly_counts(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get("/api/v1/weekly-counts", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 8
    first = body["items"][0]
    assert {k: first[k] for k in ("country_code", "area_code", "disease_code", "week")} == {
        "country_code": "THA",
        "area_code": "TH-10",
        "disease_code": "dengue",
        "week": "2024-W01",
    }
    assert (first["week_start"], first["cases"], first["deaths"], first["source"]) == (
        "2024-01-01",
        10,
        0,
        "aggregate",
    )
    assert first["reported_at"].endswith(("Z", "+00:00"))
    weeks = [i["week"] for i in body["items"]]
    assert weeks == sorted(weeks)


@pytest.mark.usefixtures("loaded")
def test_filters_paging_and_sort(client: TestClient, viewer: Headers) -> None:
    def get(**params: Any) -> Any:
        response = client.get("/api/v1/weekly-counts", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return response

    body = get(country="THA", area="TH-10").json()
    assert [(i["week"], i["cases"]) for i in body["items"]] == [
        ("2024-W01", 10),
        ("2024-W03", 30),
        ("2024-W04", 40),
    ]
    assert get(disease="B05").json()["total"] == 1
    assert get(from_week="2024W03").json()["total"] == 4
    assert get(to_week="2024-W01", country="THA").json()["total"] == 2
    assert get(source="case_rollup").json()["total"] == 0
    paged = get(limit=3, offset=3, sort="-cases")
    assert [i["cases"] for i in paged.json()["items"]] == [30, 21, 11]
    assert 'rel="next"' in paged.headers["link"] and 'rel="prev"' in paged.headers["link"]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"country": "XYZ"}, {"country"}),
        ({"area": "TH-10", "country": "VNM"}, {"area"}),
        ({"disease": "A91"}, {"disease"}),
        ({"from_week": "2024-W53"}, {"from_week"}),
        ({"source": "dhis2"}, {"source"}),
        ({"sort": "population"}, {"sort"}),
        ({"limit": 0}, {"limit"}),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, viewer: Headers, params: dict[str, Any], fields: set[str]
) -> None:
    body = assert_problem(client.get("/api/v1/weekly-counts", params=params, headers=viewer), 422)
    assert {e["field"] for e in body["errors"]} == fields


# --- import --------------------------------------------------------------------------------------


def test_import_answers_the_counts_and_is_idempotent(
    client: TestClient, thai_epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(row(), row(area=None, cases=25), row(week="2024W08", disease="A97.9"))
    response = client.post("/api/v1/weekly-counts/import", files=files, headers=thai_epidemiologist)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "weekly.csv",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "countries": ["THA"],
        "diseases": ["dengue"],
        "first_week": "2024-W07",
        "last_week": "2024-W08",
        "signals_created": 0,
        "signals_updated": 0,
    }
    again = client.post("/api/v1/weekly-counts/import", files=files, headers=thai_epidemiologist)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 3)
    assert stored(session_factory) == [
        ("THA", None, "2024-W07", 25),
        ("THA", "TH-10", "2024-W07", 10),
        ("THA", "TH-10", "2024-W08", 10),
    ]


def test_a_bad_file_is_a_422_problem_with_row_and_field_errors(
    client: TestClient, thai_epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(row(), row(week="2024-W53"), row(cases="-2"), row(area="VN-HN"))
    body = assert_problem(
        client.post("/api/v1/weekly-counts/import", files=files, headers=thai_epidemiologist), 422
    )
    assert "weekly.csv" in body["detail"]
    assert body["errors"] == [
        {"row": 3, "field": "week", "message": "'2024-W53': 2024 has 52 ISO weeks, not 53"},
        {"row": 4, "field": "cases", "message": "'-2' is not a whole number of cases, 0 or more"},
        {"row": 5, "field": "area", "message": "VN-HN is in VNM, not in THA"},
    ]
    assert stored(session_factory) == []


def test_a_thai_epidemiologist_cannot_import_viet_nam_rows(
    client: TestClient, thai_epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(row(), row("VNM", "VN-HN"))
    body = assert_problem(
        client.post("/api/v1/weekly-counts/import", files=files, headers=thai_epidemiologist), 403
    )
    assert body["detail"].startswith("weekly.csv row 3:")
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["field"] == "country"
    assert stored(session_factory) == []
    with session_factory() as session:
        denial = session.scalars(
            select(AuditEntry).where(AuditEntry.outcome == "denied").order_by(AuditEntry.id.desc())
        ).first()
        assert denial is not None
        assert (denial.action, denial.country_code, denial.object_id) == (
            "surveillance:report",
            "VNM",
            "weekly.csv",
        )


def test_readers_who_do_not_report_cannot_import(client: TestClient, viewer: Headers) -> None:
    assert_problem(
        client.post("/api/v1/weekly-counts/import", files=upload(row()), headers=viewer), 403
    )


def test_import_needs_a_file(client: TestClient, thai_epidemiologist: Headers) -> None:
    body = assert_problem(
        client.post("/api/v1/weekly-counts/import", headers=thai_epidemiologist), 422
    )
    assert {e["field"] for e in body["errors"]} == {"file"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/weekly-counts"),
        ("GET", "/api/v1/weekly-counts/series?country=THA&disease=dengue"),
        ("POST", "/api/v1/weekly-counts/import"),
    ],
)
def test_no_credentials(client: TestClient, method: str, path: str) -> None:
    assert_problem(client.request(method, path), 401)


# --- series --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_a_series_as_arrays(client: TestClient, viewer: Headers) -> None:
    response = client.get(
        "/api/v1/weekly-counts/series",
        params={"country": "THA", "disease": "dengue", "area": "TH-10"},
        headers=viewer,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "country": "THA",
        "disease": "dengue",
        "area": "TH-10",
        "source": "aggregate",
        "level": "area",
        "weeks": ["2024-W01", "2024-W02", "2024-W03", "2024-W04"],
        "week_starts": ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"],
        "cases": [10, None, 30, 40],
        "deaths": [0, None, None, 0],
    }
    whole = client.get(
        "/api/v1/weekly-counts/series",
        params={"country": "tha", "disease": "A97.9"},
        headers=viewer,
    ).json()
    assert (whole["level"], whole["cases"], whole["deaths"]) == (
        "sum_of_areas",
        [21, 21, 61, 81],
        [0, 0, None, 0],
    )
    national = client.get(
        "/api/v1/weekly-counts/series",
        params={"country": "PHL", "disease": "measles", "from_week": "2024-W01"},
        headers=viewer,
    ).json()
    assert (national["level"], national["weeks"], national["cases"]) == (
        "national",
        ["2024-W02"],
        [4],
    )


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"disease": "dengue"}, {"country"}),
        ({"country": "THA"}, {"disease"}),
        ({"country": "THA", "disease": "dengue", "area": "VN-HN"}, {"area"}),
        ({"country": "THA", "disease": "dengue", "to_week": "next"}, {"to_week"}),
    ],
)
def test_bad_series_requests_are_422(
    client: TestClient, viewer: Headers, params: dict[str, str], fields: set[str]
) -> None:
    body = assert_problem(
        client.get("/api/v1/weekly-counts/series", params=params, headers=viewer), 422
    )
    assert {e["field"] for e in body["errors"]} == fields
