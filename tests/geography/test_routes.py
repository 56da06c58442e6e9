"""API: countries and subdivisions, through the HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthbridge.policy import Role
from problem_assertions import assert_problem

ASEAN = {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"}
SERVED = ASEAN | {"CHN", "JPN", "KOR"}

Headers = dict[str, str]


@pytest.fixture
def headers(make_user: Callable[..., Any], login: Callable[[Any], Headers]) -> Headers:
    """Reference data is for every signed-in user: a viewer is enough."""
    return login(make_user(Role.VIEWER, "THA"))


def error_fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


# --- list -----------------------------------------------------------------------------------


def test_list_countries(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/countries", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["total"] == 14
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert {c["code"] for c in body["items"]} == SERVED
    names = [c["name_en"] for c in body["items"]]
    assert names == sorted(names)  # default order: by name
    thailand = next(c for c in body["items"] if c["code"] == "THA")
    assert thailand["alpha2"] == "TH"
    assert {m["group_code"] for m in thailand["memberships"]} == {"ASEAN", "APT"}


def test_list_countries_pages(client: TestClient, headers: Headers) -> None:
    seen: list[str] = []
    for offset, expected in ((0, 5), (5, 5), (10, 4), (15, 0)):
        response = client.get(
            "/api/v1/countries", params={"limit": 5, "offset": offset}, headers=headers
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["total"], body["limit"], body["offset"]) == (14, 5, offset)
        assert len(body["items"]) == expected
        seen += [c["code"] for c in body["items"]]
    assert len(seen) == 14
    assert set(seen) == SERVED


def test_list_countries_link_header_points_to_next_and_previous_pages(
    client: TestClient, headers: Headers
) -> None:
    """paging.py promises a ``Link`` header with ``next``/``prev`` on every list."""
    first = client.get("/api/v1/countries", params={"limit": 5}, headers=headers)
    assert first.status_code == 200
    assert 'rel="next"' in first.headers.get("link", "")
    assert "offset=5" in first.headers["link"]
    assert 'rel="prev"' not in first.headers["link"]
    last = client.get("/api/v1/countries", params={"limit": 5, "offset": 10}, headers=headers)
    assert 'rel="prev"' in last.headers.get("link", "")
    assert 'rel="next"' not in last.headers["link"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("thai", {"THA"}),
        ("THAI", {"THA"}),
        ("vnm", {"VNM"}),  # the code
        ("korea", {"KOR"}),
        ("Socialist Republic", {"VNM"}),  # the official name
        ("%", set()),  # a LIKE wildcard is searched for literally
        ("_", set()),
    ],
)
def test_list_countries_q(client: TestClient, headers: Headers, q: str, expected: set[str]) -> None:
    response = client.get("/api/v1/countries", params={"q": q}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert {c["code"] for c in body["items"]} == expected
    assert body["total"] == len(expected)


def test_list_countries_of_asean(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/countries", params={"group": "ASEAN"}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 11
    assert {c["code"] for c in body["items"]} == ASEAN
    lower = client.get("/api/v1/countries", params={"group": "asean"}, headers=headers)
    assert {c["code"] for c in lower.json()["items"]} == ASEAN


def test_list_countries_of_asean_plus_three(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/countries", params={"group": "APT"}, headers=headers)
    assert response.status_code == 200
    assert response.json()["total"] == 14
    none = client.get("/api/v1/countries", params={"group": "EU"}, headers=headers)
    assert none.status_code == 200
    assert none.json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
        "total_exact": True,
    }


def test_list_countries_sorted_descending(client: TestClient, headers: Headers) -> None:
    ascending = client.get("/api/v1/countries", params={"sort": "name"}, headers=headers)
    descending = client.get("/api/v1/countries", params={"sort": "-name"}, headers=headers)
    assert descending.status_code == 200
    names = [c["name_en"] for c in descending.json()["items"]]
    assert names[0] == "Viet Nam"
    assert names == [c["name_en"] for c in ascending.json()["items"]][::-1]
    by_code = client.get("/api/v1/countries", params={"sort": "-code"}, headers=headers)
    codes = [c["code"] for c in by_code.json()["items"]]
    assert codes == sorted(SERVED, reverse=True)


@pytest.mark.parametrize("sort", ["population", "-capital", "--name", "name desc"])
def test_list_countries_bad_sort(client: TestClient, headers: Headers, sort: str) -> None:
    response = client.get("/api/v1/countries", params={"sort": sort}, headers=headers)
    body = assert_problem(response, 422)
    assert error_fields(body) == {"sort"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_list_countries_bad_paging(
    client: TestClient, headers: Headers, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/v1/countries", params=params, headers=headers)
    body = assert_problem(response, 422)
    assert field in error_fields(body)


def test_list_countries_largest_limit(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/countries", params={"limit": 500}, headers=headers)
    assert response.status_code == 200
    assert response.json()["limit"] == 500


# --- one country ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["THA", "tha", "Tha"])
def test_get_country_case_insensitive(client: TestClient, headers: Headers, code: str) -> None:
    response = client.get(f"/api/v1/countries/{code}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "THA"
    assert body["name_en"] == "Thailand"
    assert body["alpha2"] == "TH"


def test_get_timor_leste_membership(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/countries/TLS", headers=headers)
    assert response.status_code == 200
    asean = [m for m in response.json()["memberships"] if m["group_code"] == "ASEAN"]
    assert asean == [
        {"group_code": "ASEAN", "role": "member", "since": "2025-10-26", "until": None}
    ]


@pytest.mark.parametrize("code", ["XXX", "USA", "TH"])
def test_get_unknown_country(client: TestClient, headers: Headers, code: str) -> None:
    body = assert_problem(client.get(f"/api/v1/countries/{code}", headers=headers), 404)
    assert code in body["detail"]


# --- subdivisions ---------------------------------------------------------------------------


def test_country_subdivisions(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/api/v1/countries/THA/subdivisions", params={"limit": 500}, headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(body["items"]) > 70
    assert all(s["country_code"] == "THA" for s in body["items"])
    assert all(s["code"].startswith("TH-") for s in body["items"])
    codes = [s["code"] for s in body["items"]]
    assert codes == sorted(codes)  # default order: by code
    bangkok = next(s for s in body["items"] if s["code"] == "TH-10")
    assert bangkok["name"] == "Krung Thep Maha Nakhon"  # Bangkok, as ISO 3166-2 names it


def test_country_subdivisions_page_and_q(client: TestClient, headers: Headers) -> None:
    page = client.get("/api/v1/countries/tha/subdivisions", params={"limit": 10}, headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert len(body["items"]) == 10
    assert body["total"] > 10
    found = client.get(
        "/api/v1/countries/THA/subdivisions", params={"q": "krung thep"}, headers=headers
    )
    assert [s["code"] for s in found.json()["items"]] == ["TH-10"]


def test_subdivisions_of_unknown_country(client: TestClient, headers: Headers) -> None:
    assert_problem(client.get("/api/v1/countries/XXX/subdivisions", headers=headers), 404)


def test_subdivisions_list_and_one(client: TestClient, headers: Headers) -> None:
    everything = client.get("/api/v1/subdivisions", headers=headers).json()
    singapore = client.get("/api/v1/subdivisions", params={"country": "SGP"}, headers=headers)
    assert singapore.status_code == 200
    assert 0 < singapore.json()["total"] < everything["total"]
    assert {s["country_code"] for s in singapore.json()["items"]} == {"SGP"}
    one = client.get("/api/v1/subdivisions/th-10", headers=headers)
    assert one.status_code == 200
    assert one.json()["code"] == "TH-10"
    assert one.json()["country_code"] == "THA"
    assert_problem(client.get("/api/v1/subdivisions/TH-999", headers=headers), 404)


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/countries",
        "/api/v1/countries/THA",
        "/api/v1/countries/THA/subdivisions",
        "/api/v1/subdivisions",
        "/api/v1/subdivisions/TH-10",
    ],
)
def test_no_credentials(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_problem(response, 401)
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_bad_token(client: TestClient) -> None:
    response = client.get("/api/v1/countries", headers={"Authorization": "Bearer hb_nope"})
    assert_problem(response, 401)


def test_every_role_reads_reference_data(
    client: TestClient, make_user: Callable[..., Any], login: Callable[[Any], Headers]
) -> None:
    for role, country in ((Role.SECRETARIAT, None), (Role.LOGISTICS_OFFICER, "KOR")):
        response = client.get("/api/v1/countries/KOR", headers=login(make_user(role, country)))
        assert response.status_code == 200
        assert response.json()["code"] == "KOR"
