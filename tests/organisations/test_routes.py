"""API: organisations, through the HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthbridge.flows import reference_records
from healthbridge.policy import Role
from problem_assertions import assert_problem

ORGANISATIONS = reference_records("organisations")
Headers = dict[str, str]


@pytest.fixture
def headers(make_user: Callable[..., Any], login: Callable[[Any], Headers]) -> Headers:
    return login(make_user(Role.EPIDEMIOLOGIST, "VNM"))


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


def expected(**where: Any) -> set[str]:
    return {r["code"] for r in ORGANISATIONS if all(r.get(k) == v for k, v in where.items())}


def test_list_organisations(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/organisations", params={"limit": 500}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(ORGANISATIONS) == len(body["items"])
    assert codes(response) == {r["code"] for r in ORGANISATIONS}
    names = [o["name_en"] for o in body["items"]]
    assert names == sorted(names)  # default order: by name


def test_list_organisations_pages(client: TestClient, headers: Headers) -> None:
    total = len(ORGANISATIONS)
    seen: list[str] = []
    offset = 0
    while offset < total:
        response = client.get(
            "/api/v1/organisations", params={"limit": 10, "offset": offset}, headers=headers
        )
        body = response.json()
        assert (body["total"], body["limit"], body["offset"]) == (total, 10, offset)
        assert len(body["items"]) == min(10, total - offset)
        seen += [o["code"] for o in body["items"]]
        offset += 10
    assert len(seen) == len(set(seen)) == total


def test_filter_by_kind(client: TestClient, headers: Headers) -> None:
    ministries = client.get(
        "/api/v1/organisations",
        params={"kind": "ministry_of_health", "limit": 500},
        headers=headers,
    )
    assert codes(ministries) == expected(kind="ministry_of_health")
    assert ministries.json()["total"] == 14
    un = client.get("/api/v1/organisations", params={"kind": "un_agency"}, headers=headers)
    assert codes(un) == {"WHO", "WHO-SEARO", "WHO-WPRO"}
    nothing = client.get("/api/v1/organisations", params={"kind": "bakery"}, headers=headers)
    assert codes(nothing) == set()


@pytest.mark.parametrize("country", ["KOR", "kor"])
def test_filter_by_country(client: TestClient, headers: Headers, country: str) -> None:
    response = client.get("/api/v1/organisations", params={"country": country}, headers=headers)
    assert codes(response) == expected(country="KOR")
    assert "KOR-KDCA" in codes(response)
    assert response.json()["total"] == len(expected(country="KOR"))
    assert all(o["country_code"] == "KOR" for o in response.json()["items"])


def test_filter_by_kind_and_country(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/api/v1/organisations",
        params={"kind": "development_agency", "country": "KOR"},
        headers=headers,
    )
    assert codes(response) == {"KOR-KOFIH", "KOR-KOICA"}


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("kdca", {"KOR-KDCA"}),
        ("who", {"WHO", "WHO-SEARO", "WHO-WPRO"}),
        ("secretariat", {"ASEC"}),
        ("%", set()),
        ("_", set()),
    ],
)
def test_filter_by_q(client: TestClient, headers: Headers, q: str, found: set[str]) -> None:
    response = client.get("/api/v1/organisations", params={"q": q}, headers=headers)
    assert codes(response) == found


def test_sort(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/api/v1/organisations", params={"sort": "-code", "limit": 500}, headers=headers
    )
    assert [o["code"] for o in response.json()["items"]] == sorted(
        (r["code"] for r in ORGANISATIONS), reverse=True
    )
    ascending = client.get(
        "/api/v1/organisations", params={"sort": "name", "limit": 500}, headers=headers
    )
    descending = client.get(
        "/api/v1/organisations", params={"sort": "-name", "limit": 500}, headers=headers
    )
    assert [o["code"] for o in descending.json()["items"]] == [
        o["code"] for o in ascending.json()["items"]
    ][::-1]


def test_bad_sort(client: TestClient, headers: Headers) -> None:
    body = assert_problem(
        client.get("/api/v1/organisations", params={"sort": "website"}, headers=headers), 422
    )
    assert {e["field"] for e in body["errors"]} == {"sort"}


@pytest.mark.parametrize("limit", [0, 501])
def test_bad_limit(client: TestClient, headers: Headers, limit: int) -> None:
    body = assert_problem(
        client.get("/api/v1/organisations", params={"limit": limit}, headers=headers), 422
    )
    assert "limit" in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("code", ["KOR-KDCA", "kor-kdca"])
def test_get_organisation(client: TestClient, headers: Headers, code: str) -> None:
    response = client.get(f"/api/v1/organisations/{code}", headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "code": "KOR-KDCA",
        "acronym": "KDCA",
        "name_en": "Korea Disease Control and Prevention Agency",
        "kind": "public_health_agency",
        "country_code": "KOR",
        "parent_code": "KOR-MOHW",
        "website": "https://www.kdca.go.kr",
    }


def test_get_unknown_organisation(client: TestClient, headers: Headers) -> None:
    body = assert_problem(client.get("/api/v1/organisations/NOPE", headers=headers), 404)
    assert "NOPE" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/organisations", "/api/v1/organisations/WHO"])
def test_no_credentials(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 401)
