"""The commitments API, through the HTTP client: every endpoint, the overdue view, the scorecard."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.commitments.arrange import make_commitment, make_project

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.schemas import EvidenceCreate, StatusChangeCreate
from healthbridge.policy import Principal, Role
from problem_assertions import assert_problem

TODAY = service.today()
DAY = dt.timedelta(days=1)
API = "/api/v1/commitments"
Headers = dict[str, str]
Arrange = Callable[[Callable[[Session], Any]], Any]


@pytest.fixture
def as_(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Callable[..., Headers]:
    """Bearer headers of a new user of ``role`` and ``country``."""

    def headers(role: Role, country: str | None = "THA") -> Headers:
        return login(make_user(role, country))

    return headers


@pytest.fixture
def admin(as_: Callable[..., Headers]) -> Headers:
    return as_(Role.REGIONAL_ADMIN, None)


def body(meeting_id: int, /, **fields: Any) -> dict[str, Any]:
    return {
        "text": "Share UHC progress figures",
        "kind": "follow_up",
        "meeting_id": meeting_id,
        "owed_by_country": "THA",
        **fields,
    }


def error_fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}


def denials(session_factory: sessionmaker[Session], action: str) -> int:
    with session_factory() as s:
        return len(
            s.scalars(
                select(AuditEntry.id).where(
                    AuditEntry.outcome == "denied", AuditEntry.action == action
                )
            ).all()
        )


# --- create and read ---------------------------------------------------------------------------


def test_create_read_patch_move_and_evidence(
    client: TestClient, admin: Headers, meeting_id: int, arrange: Arrange
) -> None:
    created = client.post(
        API,
        json=body(meeting_id, due_on=str(TODAY + 20 * DAY), owed_to_organisation="ASEC"),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    commitment = created.json()
    assert commitment["status"] == "proposed"
    assert (commitment["owed_by"], commitment["owed_to"], commitment["overdue"]) == (
        "THA",
        "ASEC",
        False,
    )
    assert [h["to_status"] for h in commitment["history"]] == ["proposed"]
    assert commitment["evidence"] == []
    url = f"{API}/{commitment['id']}"

    patched = client.patch(url, json={"text": "Share national UHC figures"}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["text"] == "Share national UHC figures"
    assert patched.json()["owed_to"] == "ASEC"  # untouched

    agreed = client.post(f"{url}/status", json={"status": "agreed", "note": "Ok"}, headers=admin)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["status"] == "agreed"

    project_id = arrange(lambda s: make_project(s).id)
    evidence = client.post(
        f"{url}/evidence", json={"kind": "project", "project_id": project_id}, headers=admin
    )
    assert evidence.status_code == 201, evidence.text
    assert evidence.json()["project_id"] == project_id
    assert evidence.json()["commitment_id"] == commitment["id"]

    delivered = client.post(
        f"{url}/status",
        json={
            "status": "delivered",
            "delivered_on": str(TODAY - DAY),
            "evidence": {"kind": "link", "url": "https://example.org/report"},
        },
        headers=admin,
    )
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["delivered_on"] == str(TODAY - DAY)

    detail = client.get(url, headers=admin).json()
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [
        (None, "proposed"),
        ("proposed", "agreed"),
        ("agreed", "delivered"),
    ]
    assert detail["history"][1]["note"] == "Ok"
    assert [e["kind"] for e in detail["evidence"]] == ["project", "link"]


def test_bad_creations_are_problems_naming_the_field(
    client: TestClient, admin: Headers, meeting_id: int
) -> None:
    for fields, status, field in (
        ({"owed_by_organisation": "WHO"}, 422, {"owed_by_country", "owed_by_organisation"}),
        ({"owed_by_country": None}, 422, {"owed_by_country", "owed_by_organisation"}),
        ({"kind": "wish"}, 422, {"kind"}),
        ({"due_on": "next year"}, 422, {"due_on"}),
        ({"meeting_id": 999_999}, 422, {"meeting_id"}),
        ({"extra": 1}, 422, {"extra"}),
        ({"text": "bad\x00text"}, 422, {"text"}),
    ):
        response = client.post(API, json=body(meeting_id, **fields), headers=admin)
        problem = assert_problem(response, status)
        assert field <= error_fields(problem), problem
    assert client.get(API, headers=admin).json()["total"] == 0


def test_unknown_commitments_are_404(client: TestClient, admin: Headers) -> None:
    for method, path, payload in (
        ("GET", f"{API}/999", None),
        ("PATCH", f"{API}/999", {"text": "x"}),
        ("POST", f"{API}/999/status", {"status": "agreed"}),
        ("POST", f"{API}/999/evidence", {"kind": "delivery", "reference": "R"}),
    ):
        assert_problem(client.request(method, path, json=payload, headers=admin), 404)


def test_rule_breaking_moves_are_conflicts_and_missing_evidence_invalid(
    client: TestClient, admin: Headers, meeting_id: int
) -> None:
    commitment = client.post(API, json=body(meeting_id), headers=admin).json()
    url = f"{API}/{commitment['id']}"
    problem = assert_problem(
        client.post(f"{url}/status", json={"status": "delivered"}, headers=admin), 409
    )
    assert error_fields(problem) == {"status"}
    client.post(f"{url}/status", json={"status": "agreed"}, headers=admin)
    problem = assert_problem(
        client.post(f"{url}/status", json={"status": "delivered"}, headers=admin), 422
    )
    assert error_fields(problem) == {"evidence"}
    problem = assert_problem(
        client.post(f"{url}/status", json={"status": "dropped"}, headers=admin), 422
    )
    assert error_fields(problem) == {"note"}
    problem = assert_problem(
        client.post(
            f"{url}/evidence", json={"kind": "link", "url": "file:///etc/passwd"}, headers=admin
        ),
        422,
    )
    assert error_fields(problem) == {"url"}
    dropped = client.post(
        f"{url}/status", json={"status": "dropped", "note": "Superseded"}, headers=admin
    )
    assert dropped.status_code == 200
    problem = assert_problem(
        client.post(f"{url}/status", json={"status": "agreed"}, headers=admin), 409
    )
    assert "final" in problem["detail"]
    problem = assert_problem(client.patch(url, json={"due_on": "2030-01-01"}, headers=admin), 409)
    assert error_fields(problem) == {"due_on"}


# --- scope -------------------------------------------------------------------------------------


def test_thailands_focal_point_moves_only_thailands_commitments(
    client: TestClient,
    as_: Callable[..., Headers],
    admin: Headers,
    meeting_id: int,
    session_factory: sessionmaker[Session],
) -> None:
    tha = as_(Role.FOCAL_POINT, "THA")
    own = client.post(API, json=body(meeting_id), headers=tha)
    assert own.status_code == 201, own.text
    vnm = client.post(API, json=body(meeting_id, owed_by_country="VNM"), headers=admin).json()
    org = client.post(
        API, json=body(meeting_id, owed_by_country=None, owed_by_organisation="ASEC"), headers=admin
    ).json()
    before = denials(session_factory, "commitment:write")

    assert (
        client.post(
            f"{API}/{own.json()['id']}/status", json={"status": "agreed"}, headers=tha
        ).status_code
        == 200
    )
    refused = client.post(f"{API}/{vnm['id']}/status", json={"status": "agreed"}, headers=tha)
    assert_problem(refused, 403)
    assert_problem(
        client.post(f"{API}/{org['id']}/status", json={"status": "agreed"}, headers=tha), 403
    )
    assert_problem(client.patch(f"{API}/{vnm['id']}", json={"text": "mine now"}, headers=tha), 403)
    assert_problem(client.post(API, json=body(meeting_id, owed_by_country="VNM"), headers=tha), 403)
    assert denials(session_factory, "commitment:write") == before + 4
    # Reading is for everyone.
    assert client.get(f"{API}/{vnm['id']}", headers=tha).json()["status"] == "proposed"
    viewer = as_(Role.VIEWER, "VNM")
    assert client.get(f"{API}/{vnm['id']}", headers=viewer).status_code == 200
    assert_problem(
        client.post(f"{API}/{vnm['id']}/status", json={"status": "agreed"}, headers=viewer), 403
    )


def test_anonymous_requests_are_401(client: TestClient) -> None:
    assert_problem(client.get(API), 401)
    assert_problem(client.get(f"{API}/scorecard"), 401)


# --- lists -------------------------------------------------------------------------------------


@pytest.fixture
def listed(arrange: Arrange, meeting_id: int) -> dict[str, int]:
    operator = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)

    def build(session: Session) -> dict[str, int]:
        def one(**fields: Any) -> int:
            return make_commitment(session, operator, meeting_id, **fields).id

        return {
            "overdue": one(text="Overdue: lab assessment", due_on=TODAY - 10 * DAY),
            "overdue_org": one(
                text="Overdue: WHO guidance",
                owed_by_organisation="WHO",
                kind="pledge",
                due_on=TODAY - DAY,
            ),
            "soon": one(text="Soon: UHC figures", owed_by_country="VNM", due_on=TODAY + 7 * DAY),
            "later": one(text="Later: training", due_on=TODAY + 200 * DAY, status="agreed"),
            "undated": one(text="Undated: office", kind="request", owed_by_organisation="USA-CDC"),
        }

    return dict(arrange(build))


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_list_filters_and_the_overdue_view(
    client: TestClient, admin: Headers, listed: dict[str, int], meeting_id: int
) -> None:
    everything = client.get(API, headers=admin)
    assert ids(everything) == [
        listed["overdue"],
        listed["overdue_org"],
        listed["soon"],
        listed["later"],
        listed["undated"],
    ]
    overdue = client.get(API, params={"overdue": "true"}, headers=admin)
    assert ids(overdue) == [listed["overdue"], listed["overdue_org"]]
    assert all(c["overdue"] for c in overdue.json()["items"])
    assert listed["overdue"] not in ids(client.get(API, params={"overdue": "false"}, headers=admin))
    assert ids(client.get(API, params={"due_within": 30}, headers=admin)) == [listed["soon"]]
    assert ids(client.get(API, params={"due_within": 7}, headers=admin)) == [listed["soon"]]
    assert ids(client.get(API, params={"due_within": 6}, headers=admin)) == []
    assert ids(client.get(API, params={"status": "agreed"}, headers=admin)) == [listed["later"]]
    assert ids(client.get(API, params={"kind": "request"}, headers=admin)) == [listed["undated"]]
    assert ids(client.get(API, params={"owed_by": "usa-cdc"}, headers=admin)) == [listed["undated"]]
    assert ids(client.get(API, params={"owed_by": "THA"}, headers=admin)) == [
        listed["overdue"],
        listed["later"],
    ]
    assert ids(client.get(API, params={"meeting": meeting_id, "q": "uhc"}, headers=admin)) == [
        listed["soon"]
    ]
    assert ids(client.get(API, params={"sort": "-due_on", "limit": 1}, headers=admin)) == [
        listed["undated"]
    ]
    for params, field in (
        ({"status": "done"}, "status"),
        ({"owed_by": "ATLANTIS"}, "owed_by"),
        ({"meeting": 999_999}, "meeting"),
        ({"due_within": -1}, "due_within"),
        ({"overdue": "maybe"}, "overdue"),
        ({"sort": "text"}, "sort"),
        ({"limit": 0}, "limit"),
    ):
        problem = assert_problem(client.get(API, params=params, headers=admin), 422)
        assert field in error_fields(problem), problem


def test_lists_page_with_link_headers(
    client: TestClient, admin: Headers, listed: dict[str, int]
) -> None:
    first = client.get(API, params={"limit": 2}, headers=admin)
    assert (first.json()["total"], len(first.json()["items"])) == (5, 2)
    assert 'rel="next"' in first.headers["link"]
    last = client.get(API, params={"limit": 2, "offset": 4}, headers=admin)
    assert ids(last) == [listed["undated"]]
    assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]


# --- scorecard ---------------------------------------------------------------------------------


def test_the_scorecard_on_a_small_known_set(
    client: TestClient, admin: Headers, arrange: Arrange, meeting_id: int
) -> None:
    operator = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)
    year = TODAY.year - 1  # a whole year that came due
    jan, dec = dt.date(year, 1, 15), dt.date(year, 12, 15)

    def build(session: Session) -> None:
        def one(due: dt.date, **fields: Any) -> int:
            return make_commitment(
                session, operator, meeting_id, due_on=due, status="agreed", **fields
            ).id

        def move(commitment_id: int, status: str, on: dt.date | None = None) -> None:
            service.change_status(
                session=session,
                actor=operator,
                commitment_id=commitment_id,
                change=StatusChangeCreate(
                    status=status,
                    delivered_on=on,
                    note="why",
                    evidence=EvidenceCreate(kind="delivery", reference="R") if on else None,
                ),
            )

        move(one(jan), "delivered", jan)  # THA: on time
        move(one(jan), "delivered", jan + 5 * DAY)  # THA: late
        one(jan)  # THA: overdue
        move(one(jan), "dropped")  # THA: dropped, not owed
        one(TODAY + 30 * DAY)  # THA: due next month, outside that year
        move(one(dec, owed_by_country="KOR"), "delivered", dec)  # KOR: on the day
        move(one(dec, owed_by_organisation="WHO"), "in_progress")  # WHO: overdue

    arrange(build)

    response = client.get(f"{API}/scorecard", params={"year": year}, headers=admin)
    assert response.status_code == 200, response.text
    card = response.json()
    assert (card["year"], card["as_of"]) == (year, str(TODAY))
    assert [r["owed_by"] for r in card["rows"]] == ["KOR", "THA", "WHO"]
    rows = {r["owed_by"]: r for r in card["rows"]}
    figures = ("owed", "delivered", "delivered_on_time", "overdue", "dropped", "on_time_rate")
    assert [rows["THA"][f] for f in figures] == [3, 2, 1, 1, 1, pytest.approx(0.3333, abs=1e-4)]
    assert [rows["KOR"][f] for f in figures] == [1, 1, 1, 0, 0, 1.0]
    assert [rows["WHO"][f] for f in figures] == [1, 0, 0, 1, 0, 0.0]
    assert (rows["THA"]["name"], rows["WHO"]["owed_by_kind"]) == ("Thailand", "organisation")
    every_year = {
        r["owed_by"]: r for r in client.get(f"{API}/scorecard", headers=admin).json()["rows"]
    }
    assert (every_year["THA"]["owed"], every_year["THA"]["on_time_rate"]) == (
        4,
        pytest.approx(1 / 3, abs=1e-4),
    )
    assert (
        client.get(f"{API}/scorecard", params={"year": year - 5}, headers=admin).json()["rows"]
        == []
    )
    problem = assert_problem(
        client.get(f"{API}/scorecard", params={"year": 1900}, headers=admin), 422
    )
    assert error_fields(problem) == {"year"}
