"""API: notifiable diseases, through the HTTP client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthbridge.flows import reference_records
from healthbridge.policy import Role
from problem_assertions import assert_problem

DISEASES = reference_records("diseases")
Headers = dict[str, str]


@pytest.fixture
def headers(make_user: Callable[..., Any], login: Callable[[Any], Headers]) -> Headers:
    return login(make_user(Role.EOC_OFFICER, "PHL"))


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["code"] for item in response.json()["items"]}


def test_list_diseases(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/diseases", params={"limit": 500}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == len(DISEASES) == len(body["items"])
    assert codes(response) == {d["code"] for d in DISEASES}
    names = [d["name_en"] for d in body["items"]]
    assert names == sorted(names)
    dengue = next(d for d in body["items"] if d["code"] == "dengue")
    assert [c["level"] for c in dengue["classifications"]] == ["suspected", "probable", "confirmed"]


def test_list_diseases_pages(client: TestClient, headers: Headers) -> None:
    first = client.get("/api/v1/diseases", params={"limit": 10}, headers=headers).json()
    rest = client.get(
        "/api/v1/diseases", params={"limit": 10, "offset": 20}, headers=headers
    ).json()
    assert (first["limit"], first["offset"], len(first["items"])) == (10, 0, 10)
    assert (rest["limit"], rest["offset"]) == (10, 20)
    assert len(rest["items"]) == len(DISEASES) - 20
    assert first["total"] == rest["total"] == len(DISEASES)
    assert not {d["code"] for d in first["items"]} & {d["code"] for d in rest["items"]}


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("dengue", {"dengue", "severe_dengue"}),
        ("DENGUE", {"dengue", "severe_dengue"}),
        ("A92", {"chikungunya", "zika"}),  # ICD-10
        ("covid", {"covid_19"}),  # code and name
        ("%", set()),  # a LIKE wildcard is searched for literally
        ("_", {d["code"] for d in DISEASES if "_" in d["code"]}),
        ("a_", {d["code"] for d in DISEASES if "a_" in d["code"]}),
    ],
)
def test_filter_by_q(client: TestClient, headers: Headers, q: str, found: set[str]) -> None:
    response = client.get("/api/v1/diseases", params={"q": q}, headers=headers)
    assert codes(response) == found
    assert response.json()["total"] == len(found)


def test_filter_by_category(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/diseases", params={"category": "vector_borne"}, headers=headers)
    assert codes(response) == {d["code"] for d in DISEASES if d["category"] == "vector_borne"}
    assert "dengue" in codes(response)
    assert "cholera" not in codes(response)


def test_sort_by_icd10(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/api/v1/diseases", params={"sort": "-icd10", "limit": 500}, headers=headers
    )
    icd10 = [d["icd10"] for d in response.json()["items"]]
    assert icd10 == sorted((d["icd10"] for d in DISEASES), reverse=True)


def test_bad_sort(client: TestClient, headers: Headers) -> None:
    body = assert_problem(
        client.get("/api/v1/diseases", params={"sort": "incubation"}, headers=headers), 422
    )
    assert {e["field"] for e in body["errors"]} == {"sort"}


@pytest.mark.parametrize("limit", [0, 501])
def test_bad_limit(client: TestClient, headers: Headers, limit: int) -> None:
    body = assert_problem(
        client.get("/api/v1/diseases", params={"limit": limit}, headers=headers), 422
    )
    assert "limit" in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("code", ["A97.9", "a97.9", "dengue", "DENGUE"])
def test_get_dengue_by_code_or_icd10(client: TestClient, headers: Headers, code: str) -> None:
    response = client.get(f"/api/v1/diseases/{code}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "dengue"
    assert body["icd10"] == "A97.9"
    assert "A97.9" in body["icd10_codes"]
    assert [c["level"] for c in body["classifications"]] == ["suspected", "probable", "confirmed"]
    assert [c["rank"] for c in body["classifications"]] == [0, 1, 2]


def test_get_by_icd10_distinguishes_severe_dengue(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/diseases/A97.2", headers=headers)
    assert response.status_code == 200
    assert response.json()["code"] == "severe_dengue"


def test_hiv_has_only_confirmed_cases(client: TestClient, headers: Headers) -> None:
    response = client.get("/api/v1/diseases/B24", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "hiv_infection"
    assert [c["level"] for c in body["classifications"]] == ["confirmed"]


@pytest.mark.parametrize("code", ["Z99.9", "ebola"])
def test_get_unknown_disease(client: TestClient, headers: Headers, code: str) -> None:
    body = assert_problem(client.get(f"/api/v1/diseases/{code}", headers=headers), 404)
    assert code in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/diseases", "/api/v1/diseases/A97.9"])
def test_no_credentials(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 401)
