"""API of cooperation projects, through the HTTP client: every endpoint, its errors and policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import (
    IDENTIFIER,
    project_payload,
    result_payload,
    transaction_payload,
)

from healthbridge.accounts.models import User
from healthbridge.cooperation.projects.models import Project
from healthbridge.interop import iati
from healthbridge.policy import Role
from problem_assertions import assert_problem

Headers = dict[str, str]


@pytest.fixture
def editor(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Headers:
    return login(make_user(Role.SECRETARIAT, None))


@pytest.fixture
def viewer(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Headers:
    return login(make_user(Role.VIEWER, "IDN"))


def post_project(client: TestClient, headers: Headers, **changes: Any) -> Any:
    return client.post("/api/v1/projects", json=project_payload(**changes), headers=headers)


@pytest.fixture
def created(client: TestClient, editor: Headers) -> dict[str, Any]:
    response = post_project(client, editor)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


def count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Project)) or 0


# --- create, read ------------------------------------------------------------------------------


def test_create_answers_the_whole_project(created: dict[str, Any]) -> None:
    assert created["iati_identifier"] == IDENTIFIER
    assert created["reporting_org"] == {
        "code": "KOR-MOHW",
        "ref": "KR-GOV-010",
        "type": "10",
        "name": "Ministry of Health and Welfare",
    }
    assert created["budget_total"] == "220000.00"
    assert created["disbursed_total"] == "100000.50"
    assert [c["alpha2"] for c in created["recipient_countries"]] == ["TH", "VN"]
    assert created["results"][0]["indicators"][0]["periods"][0]["progress"] == "75.0"
    assert created["participating_orgs"][1]["role_label"] == "Implementing"


def test_get_project(client: TestClient, viewer: Headers, created: dict[str, Any]) -> None:
    response = client.get(f"/api/v1/projects/{created['id']}", headers=viewer)
    assert response.status_code == 200
    body = response.json()
    assert body == created
    assert body["description"] == {"en": "A project made by the tests."}
    assert len(body["budgets"]) == 4 and len(body["transactions"]) == 3


def test_get_unknown_project_is_404(client: TestClient, viewer: Headers) -> None:
    assert_problem(client.get("/api/v1/projects/4242", headers=viewer), 404)


def test_create_names_the_invalid_field_and_stores_nothing(
    client: TestClient, editor: Headers, session_factory: sessionmaker[Session]
) -> None:
    response = post_project(client, editor, sectors=[{"code": "99999"}])
    body = assert_problem(response, 422)
    assert error_fields(body) == {"sectors.0.code"}
    assert "99999" in body["errors"][0]["message"]

    response = post_project(
        client,
        editor,
        activity_dates=[
            {"type": 1, "iso_date": "2024-06-01"},
            {"type": 3, "iso_date": "2024-01-01"},
        ],
    )
    assert error_fields(assert_problem(response, 422)) == {"activity_dates.1.iso_date"}

    response = post_project(client, editor, activity_status="open")
    assert "activity_status" in error_fields(assert_problem(response, 422))
    assert count(session_factory) == 0


def test_create_twice_is_a_conflict(
    client: TestClient, editor: Headers, created: dict[str, Any]
) -> None:
    body = assert_problem(post_project(client, editor), 409)
    assert error_fields(body) == {"iati_identifier"}


def test_viewers_read_but_do_not_write(client: TestClient, viewer: Headers) -> None:
    assert_problem(post_project(client, viewer), 403)
    assert client.get("/api/v1/projects", headers=viewer).status_code == 200


def test_anonymous_is_refused(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/projects"), 401)
    assert_problem(client.get("/api/v1/projects/iati.xml"), 401)


# --- list ------------------------------------------------------------------------------------


def test_list_filters_and_pages(client: TestClient, editor: Headers, viewer: Headers) -> None:
    for n, sector in enumerate(("12250", "12220", "12281"), start=1):
        response = post_project(
            client,
            editor,
            iati_identifier=f"KR-GOV-010-LIST-{n}",
            sectors=[{"code": sector}],
            activity_status=n,
        )
        assert response.status_code == 201, response.text

    response = client.get("/api/v1/projects", params={"limit": 2}, headers=viewer)
    body = response.json()
    assert (body["total"], len(body["items"])) == (3, 2)
    assert 'rel="next"' in response.headers["link"]
    item = body["items"][0]
    assert item["iati_identifier"] == "KR-GOV-010-LIST-1"
    assert {"budget_total", "disbursed_total", "sectors", "recipient_countries"} <= set(item)
    assert "transactions" not in item

    def identifiers(**params: Any) -> list[str]:
        response = client.get("/api/v1/projects", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return [p["iati_identifier"] for p in response.json()["items"]]

    assert identifiers(sector="12220") == ["KR-GOV-010-LIST-2"]
    assert identifiers(status=3) == ["KR-GOV-010-LIST-3"]
    assert identifiers(country="VNM", sort="-identifier") == [
        "KR-GOV-010-LIST-3",
        "KR-GOV-010-LIST-2",
        "KR-GOV-010-LIST-1",
    ]
    assert identifiers(reporting_org="WHO") == []
    assert identifiers(q="list-2") == ["KR-GOV-010-LIST-2"]
    assert_problem(client.get("/api/v1/projects", params={"status": 9}, headers=viewer), 422)
    assert_problem(client.get("/api/v1/projects", params={"sort": "title"}, headers=viewer), 422)


# --- update, results, transactions -------------------------------------------------------------


def test_patch_changes_named_fields(
    client: TestClient, editor: Headers, created: dict[str, Any]
) -> None:
    response = client.patch(
        f"/api/v1/projects/{created['id']}",
        json={"activity_status": 3, "title": {"en": "Renamed", "th": "ชื่อใหม่"}},
        headers=editor,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["activity_status_label"] == "Finalisation"
    assert body["title"] == {"en": "Renamed", "th": "ชื่อใหม่"}
    assert body["budgets"] == created["budgets"]


def test_patch_refuses_bad_input(
    client: TestClient, editor: Headers, viewer: Headers, created: dict[str, Any]
) -> None:
    path = f"/api/v1/projects/{created['id']}"
    body = assert_problem(client.patch(path, json={"iati_identifier": "X"}, headers=editor), 422)
    assert "iati_identifier" in error_fields(body)
    body = assert_problem(
        client.patch(path, json={"sectors": [{"code": "12250", "percentage": 50}]}, headers=editor),
        422,
    )
    assert error_fields(body) == {"sectors.0.percentage"}
    assert_problem(client.patch(path, json={"activity_status": 2}, headers=viewer), 403)
    assert_problem(client.patch("/api/v1/projects/4242", json={}, headers=editor), 404)
    assert client.get(path, headers=viewer).json() == created


def test_add_result(client: TestClient, editor: Headers, created: dict[str, Any]) -> None:
    path = f"/api/v1/projects/{created['id']}/results"
    response = client.post(path, json=result_payload(), headers=editor)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["type_label"] == "Outcome"
    assert body["indicators"][0]["periods"][0]["progress"] == "70.0"
    project = client.get(f"/api/v1/projects/{created['id']}", headers=editor).json()
    assert [r["type"] for r in project["results"]] == [1, 2]

    bad = result_payload()
    bad["indicators"][0]["periods"][0]["actual_value"] = "seventy"
    body = assert_problem(client.post(path, json=bad, headers=editor), 422)
    assert error_fields(body) == {"indicators.0.periods.0.actual_value"}
    body = assert_problem(client.post(path, json={**bad, "indicators": []}, headers=editor), 422)
    assert error_fields(body) == {"indicators"}


def test_add_transaction(client: TestClient, editor: Headers, created: dict[str, Any]) -> None:
    path = f"/api/v1/projects/{created['id']}/transactions"
    response = client.post(path, json=transaction_payload(), headers=editor)
    assert response.status_code == 201, response.text
    assert response.json()["type_label"] == "Disbursement"
    assert response.json()["currency"] == "USD"
    project = client.get(f"/api/v1/projects/{created['id']}", headers=editor).json()
    assert project["disbursed_total"] == "125000.50"

    body = assert_problem(client.post(path, json=transaction_payload(type=14), headers=editor), 422)
    assert error_fields(body) == {"type"}
    assert_problem(
        client.post(
            "/api/v1/projects/4242/transactions", json=transaction_payload(), headers=editor
        ),
        404,
    )


# --- IATI XML --------------------------------------------------------------------------------


def test_iati_export(client: TestClient, viewer: Headers, created: dict[str, Any]) -> None:
    response = client.get("/api/v1/projects/iati.xml", headers=viewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    document = etree.fromstring(response.content).getroottree()
    assert iati.schema_errors(document) == []
    assert document.getroot().findtext("iati-activity/iati-identifier") == IDENTIFIER

    one = client.get("/api/v1/projects/iati.xml", params={"identifier": IDENTIFIER}, headers=viewer)
    assert one.status_code == 200
    assert len(etree.fromstring(one.content).findall("iati-activity")) == 1
    missing = client.get(
        "/api/v1/projects/iati.xml", params={"identifier": "KR-GOV-010-NONE"}, headers=viewer
    )
    assert_problem(missing, 404)


def test_iati_export_of_an_empty_portfolio_is_404(client: TestClient, viewer: Headers) -> None:
    assert (
        "at least one"
        in assert_problem(client.get("/api/v1/projects/iati.xml", headers=viewer), 404)["detail"]
    )


def test_iati_import_upload(
    client: TestClient,
    editor: Headers,
    viewer: Headers,
    created: dict[str, Any],
    session_factory: sessionmaker[Session],
) -> None:
    exported = client.get("/api/v1/projects/iati.xml", headers=editor).content
    changed = exported.replace(b"KR-GOV-010-TEST-001", b"KR-GOV-010-TEST-009")

    def upload(data: bytes, headers: Headers = editor) -> Any:
        return client.post(
            "/api/v1/projects/import",
            files={"file": ("activities.xml", data, "application/xml")},
            headers=headers,
        )

    response = upload(changed)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "identifiers": ["KR-GOV-010-TEST-009"],
    }
    assert upload(changed).json()["unchanged"] == 1
    assert upload(exported).json()["unchanged"] == 1
    assert count(session_factory) == 2

    body = assert_problem(upload(changed.replace(b'code="12264"', b'code="99999"')), 422)
    [error] = body["errors"]
    assert error["field"] == "iati-activity[KR-GOV-010-TEST-009]/sector[2]/@code"
    assert error["row"] > 1
    assert "nothing was changed" in body["detail"]

    body = assert_problem(upload(b"<iati-activities version='2.03'><oops></iati-activities>"), 422)
    assert body["errors"][0]["field"] == "file"
    assert_problem(upload(changed, headers=viewer), 403)
    assert count(session_factory) == 2


def test_iati_import_requires_a_file(client: TestClient, editor: Headers) -> None:
    body = assert_problem(client.post("/api/v1/projects/import", headers=editor), 422)
    assert "file" in error_fields(body)
