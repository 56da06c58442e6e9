"""The UHC API through the HTTP client: indicators, observations and the CSV upload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.uhc import demo
from healthbridge.db import unit_of_work
from healthbridge.interop import gho
from healthbridge.policy import Principal, Role
from problem_assertions import assert_problem

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


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


def upload(
    client: TestClient,
    headers: Headers,
    *rows: dict[str, str],
    data: bytes | None = None,
    filename: str = "gho.csv",
    source: str | None = None,
) -> Any:
    body = data if data is not None else gho.write_gho_csv(list(rows)).encode()
    return client.post(
        "/api/v1/uhc-indicators/import",
        files={"file": (filename, body, "text/csv")},
        data={"source": source} if source is not None else None,
        headers=headers,
    )


@pytest.fixture
def viewer(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.VIEWER, "IDN"))


@pytest.fixture
def demo_data(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


# --- indicators ---------------------------------------------------------------------------------


def test_list_indicators(client: TestClient, viewer: Headers) -> None:
    response = client.get("/api/v1/uhc-indicators", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (7, 50, 0)
    assert [i["code"] for i in body["items"]] == [
        "UHC_INDEX_REPORTED",
        "FINPROTECTION_CATA_TOT_10_POP",
        "FINPROTECTION_CATA_TOT_25_POP",
        "GHED_OOPSCHE_SHA2011",
        "HWF_0001",
        "HWF_0006",
        "WHS4_100",
    ]
    first = body["items"][0]
    assert first["sdg_target"] == "3.8"
    assert first["sdg_indicator"] == "3.8.1"
    assert (first["min_value"], first["max_value"], first["higher_is_better"]) == (0, 100, True)


def test_list_indicators_pages_and_sorts(client: TestClient, viewer: Headers) -> None:
    response = client.get(
        "/api/v1/uhc-indicators", params={"limit": 3, "sort": "-code"}, headers=viewer
    )
    body = response.json()
    assert [i["code"] for i in body["items"]] == [
        "WHS4_100",
        "UHC_INDEX_REPORTED",
        "HWF_0006",
    ]
    assert 'rel="next"' in response.headers["link"]
    bad = client.get("/api/v1/uhc-indicators", params={"sort": "unit"}, headers=viewer)
    assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["sort"]


def test_get_one_indicator(client: TestClient, viewer: Headers) -> None:
    response = client.get("/api/v1/uhc-indicators/hwf_0001", headers=viewer)
    assert response.status_code == 200
    assert response.json()["code"] == "HWF_0001"
    assert response.json()["unit"] == "per 10,000 population"
    missing = client.get("/api/v1/uhc-indicators/WHOSIS_000001", headers=viewer)
    assert "WHOSIS_000001" in assert_problem(missing, 404)["detail"]


# --- observations -------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo_data")
def test_an_indicators_observations_filtered_by_country_and_years(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get(
        "/api/v1/uhc-indicators/WHS4_100/observations",
        params={"country": "mmr", "from_year": 2020, "to_year": 2022, "sort": "year"},
        headers=viewer,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3
    assert [(o["year"], o["value"]) for o in body["items"]] == [
        (2020, 84.0),
        (2021, 37.0),
        (2022, 71.0),
    ]
    item = body["items"][0]
    assert item["country_code"] == "MMR"
    assert item["indicator_code"] == "WHS4_100"
    assert item["source"] == "Demo data approximating WHO GHO"
    assert item["imported_at"].endswith("Z")


@pytest.mark.usefixtures("demo_data")
def test_an_indicators_observations_page_with_a_link_header(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get(
        "/api/v1/uhc-indicators/UHC_INDEX_REPORTED/observations",
        params={"limit": 10, "offset": 10},
        headers=viewer,
    )
    body = response.json()
    assert (body["total"], len(body["items"])) == (56, 10)  # 14 countries × 4 years
    assert 'rel="next"' in response.headers["link"]
    assert 'rel="prev"' in response.headers["link"]


def test_observations_of_an_unknown_indicator_are_not_found(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get("/api/v1/uhc-indicators/NOPE/observations", headers=viewer)
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_year": 2022, "to_year": 2020}, "to_year"),
        ({"from_year": 1492}, "from_year"),
        ({"country": "USA"}, "country"),
    ],
)
def test_bad_observation_filters_are_422_naming_the_field(
    client: TestClient, viewer: Headers, params: dict[str, Any], field: str
) -> None:
    response = client.get(
        "/api/v1/uhc-indicators/WHS4_100/observations", params=params, headers=viewer
    )
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == [field]


@pytest.mark.usefixtures("demo_data")
@pytest.mark.parametrize(
    ("params", "total"),
    [
        ({}, 434),
        ({"country": "THA"}, 35),
        ({"indicator": "FINPROTECTION_CATA_TOT_10_POP"}, 29),
        ({"year": 2022}, 14),
        ({"country": "LAO", "indicator": "UHC_INDEX_REPORTED", "year": 2019}, 1),
    ],
)
def test_all_observations_filtered(
    client: TestClient, viewer: Headers, params: dict[str, Any], total: int
) -> None:
    response = client.get("/api/v1/uhc-observations", params=params, headers=viewer)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == total


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"indicator": "NOPE"}, "indicator"),
        ({"country": "XX"}, "country"),
        ({"year": 3000}, "year"),
    ],
)
def test_bad_filters_of_all_observations(
    client: TestClient, viewer: Headers, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/v1/uhc-observations", params=params, headers=viewer)
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == [field]


def test_reading_needs_a_token(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/uhc-indicators"), 401)
    assert_problem(client.get("/api/v1/uhc-observations"), 401)


# --- upload -------------------------------------------------------------------------------------


def test_a_focal_point_uploads_their_countrys_values_once(
    client: TestClient, make_user: MakeUser, login: Login, viewer: Headers
) -> None:
    focal = login(make_user(Role.FOCAL_POINT, "THA"))
    rows = (row(), row("WHS4_100", "THA", 2022, "97"), row(country="USA"), row("XYZ"))
    response = upload(client, focal, *rows, source="Thai MOPH annual report")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "gho.csv",
        "rows": 4,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 2,
        "skipped_by_reason": {"unserved_country": 1, "untracked_indicator": 1},
        "countries": ["THA"],
        "indicators": ["UHC_INDEX_REPORTED", "WHS4_100"],
    }
    again = upload(client, focal, *rows, source="Thai MOPH annual report")
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)

    stored = client.get("/api/v1/uhc-observations", params={"country": "THA"}, headers=viewer)
    assert {o["source"] for o in stored.json()["items"]} == {"Thai MOPH annual report"}
    assert stored.json()["total"] == 2


def test_an_upload_with_a_bad_row_is_a_422_with_row_and_field_and_stores_nothing(
    client: TestClient, make_user: MakeUser, login: Login, viewer: Headers
) -> None:
    admin = login(make_user(Role.REGIONAL_ADMIN, None))
    response = upload(
        client,
        admin,
        row(),
        row(country="VNM", year=2021, value="high"),
        row(country="LAO", year=20210),
        filename="uhc-2021.csv",
    )
    body = assert_problem(response, 422)
    assert body["detail"] == "uhc-2021.csv: 2 problem(s) in the file; nothing was imported"
    assert body["errors"] == [
        {"row": 3, "field": "FactValueNumeric", "message": "'high' is not a number"},
        {"row": 4, "field": "Period", "message": "'20210' is not a year"},
    ]
    listed = client.get("/api/v1/uhc-observations", headers=viewer)
    assert listed.json()["total"] == 0


def test_an_upload_that_is_not_a_gho_csv_is_a_422(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    admin = login(make_user(Role.REGIONAL_ADMIN, None))
    binary = upload(client, admin, data=b"\x89PNG\r\n\x1a\n\x00\x00", filename="chart.png")
    assert assert_problem(binary, 422)["detail"].startswith("chart.png is not UTF-8 text")
    layout = upload(client, admin, data=b"country,year,value\nTHA,2021,82\n")
    body = assert_problem(layout, 422)
    assert {(e["row"], e["field"]) for e in body["errors"]} == {
        (1, "IndicatorCode"),
        (1, "SpatialDimValueCode"),
        (1, "Period"),
        (1, "FactValueNumeric"),
    }


def test_an_upload_without_a_file_is_a_422(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    admin = login(make_user(Role.REGIONAL_ADMIN, None))
    response = client.post("/api/v1/uhc-indicators/import", headers=admin)
    assert [e["field"] for e in assert_problem(response, 422)["errors"]] == ["file"]


def test_a_focal_point_uploading_another_countrys_row_is_refused_and_audited(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    viewer: Headers,
    session_factory: sessionmaker[Session],
) -> None:
    focal = login(make_user(Role.FOCAL_POINT, "THA"))
    response = upload(client, focal, row(), row(country="VNM", value="68"))
    body = assert_problem(response, 403)
    assert body["detail"].startswith("gho.csv row 3: records of VNM are outside the scope of THA")
    assert body["errors"] == [
        {"row": 3, "field": "SpatialDimValueCode", "message": "VNM is outside your scope (THA)"}
    ]
    assert client.get("/api/v1/uhc-observations", headers=viewer).json()["total"] == 0
    with session_factory() as session:
        denied = session.scalars(
            select(AuditEntry).where(
                AuditEntry.outcome == "denied", AuditEntry.country_code == "VNM"
            )
        ).one()
    assert (denied.action, denied.object_type, denied.object_id) == (
        "uhc:write",
        "uhc_import",
        "gho.csv",
    )


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EPIDEMIOLOGIST])
def test_roles_without_uhc_write_cannot_upload(
    client: TestClient, make_user: MakeUser, login: Login, role: Role
) -> None:
    response = upload(client, login(make_user(role, "THA")), row())
    assert_problem(response, 403)


def test_uploading_needs_a_token(client: TestClient) -> None:
    assert_problem(upload(client, {}, row()), 401)


def test_an_upload_is_audited(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    admin = make_user(Role.REGIONAL_ADMIN, None)
    upload(client, login(admin), row(), row(country="VNM", value="68"))
    with session_factory() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "uhc.import")).one()
    assert entry.actor_user_id == admin.id
    assert entry.country_code is None  # two countries
    assert entry.detail["countries"] == ["THA", "VNM"]
    assert entry.detail["created"] == 2
