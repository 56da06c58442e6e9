"""The API of resource requests and pledges: asking, the board, the steps (403 across
countries, 409 for wrong steps, 422 naming fields), the event kept from those who do not see
it, and pledging with the region's decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem
from tests.resources.request_world import World, build, in_days

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources.models import Pledge, ResourceRequest

Headers = dict[str, str]
BASE = "/api/v1/resources/requests"


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return build(session)


@pytest.fixture
def users(make_user: Callable[..., User], login: Callable[[User], Headers]) -> dict[str, Headers]:
    made = {
        "lao_eoc": (Role.EOC_OFFICER, "LAO"),
        "lao_focal": (Role.FOCAL_POINT, "LAO"),
        "tha_focal": (Role.FOCAL_POINT, "THA"),
        "kor_logistics": (Role.LOGISTICS_OFFICER, "KOR"),
        "regional_logistics": (Role.LOGISTICS_OFFICER, None),
        "viewer": (Role.VIEWER, "IDN"),
        "phl_eoc": (Role.EOC_OFFICER, "PHL"),
    }
    return {name: login(make_user(role, country)) for name, (role, country) in made.items()}


def body(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "item",
        "item": "ors-sachet",
        "quantity": 500,
        "priority": "critical",
        "needed_by": in_days(7).isoformat(),
        "delivery_point": "Central medical store, Vientiane",
    }
    values.update(changes)
    return values


def create(client: TestClient, headers: Headers, **changes: Any) -> dict[str, Any]:
    response = client.post(BASE, json=body(**changes), headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_ask_read_and_walk_the_steps(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    made = create(client, users["lao_eoc"])
    assert (made["country_code"], made["status"], made["item_code"]) == (
        "LAO",
        "submitted",
        "ors-sachet",
    )
    assert (made["allocated"], made["received"], made["steps"]) == (0, 0, [])
    rid = made["id"]
    endorsed = client.post(
        f"{BASE}/{rid}/steps", json={"step": "endorse"}, headers=users["lao_focal"]
    )
    assert endorsed.status_code == 200, endorsed.text
    assert endorsed.json()["status"] == "endorsed"
    approved = client.post(
        f"{BASE}/{rid}/steps",
        json={"step": "approve", "note": "critical"},
        headers=users["regional_logistics"],
    )
    assert approved.json()["status"] == "approved"
    read = client.get(f"{BASE}/{rid}", headers=users["viewer"]).json()
    assert [(s["step"], s["to_status"]) for s in read["steps"]] == [
        ("endorse", "endorsed"),
        ("approve", "approved"),
    ]
    assert read["steps"][1]["note"] == "critical"


def test_country_users_see_every_request_but_change_only_their_own(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    rid = create(client, users["lao_eoc"])["id"]
    board = client.get(BASE, headers=users["tha_focal"])
    assert board.status_code == 200
    assert [r["id"] for r in board.json()["items"]] == [rid]
    refused = client.post(
        f"{BASE}/{rid}/steps", json={"step": "endorse"}, headers=users["tha_focal"]
    )
    assert_problem(refused, 403)
    as_other = client.post(BASE, json=body(country="LAO"), headers=users["tha_focal"])
    assert_problem(as_other, 403)
    viewer = client.post(f"{BASE}/{rid}/steps", json={"step": "cancel"}, headers=users["viewer"])
    assert_problem(viewer, 403)
    assert client.post(BASE, json=body(), headers=users["viewer"]).status_code == 403


def test_a_wrong_step_is_409_naming_the_allowed_ones(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    rid = create(client, users["lao_eoc"])["id"]
    response = client.post(
        f"{BASE}/{rid}/steps", json={"step": "approve"}, headers=users["regional_logistics"]
    )
    problem = assert_problem(response, 409)
    assert "endorse, reject, cancel" in problem["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"item": "unknown-item"}, "item"),
        ({"quantity": 0}, "quantity"),
        ({"needed_by": "2020-01-01"}, "needed_by"),
        ({"kind": "team", "item": None, "team_type": "wizards"}, "team_type"),
        (
            {
                "kind": "team",
                "item": None,
                "team_type": "emt_type_2",
                "needed_until": in_days(1).isoformat(),
            },
            "needed_until",
        ),
        ({"priority": "urgent"}, "priority"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    client: TestClient,
    world: World,
    users: dict[str, Headers],
    session_factory: sessionmaker[Session],
    changes: dict[str, Any],
    field: str,
) -> None:
    response = client.post(BASE, json=body(**changes), headers=users["lao_eoc"])
    problem = assert_problem(response, 422)
    assert field in {e["field"].split(".")[-1] for e in problem["errors"]}, problem
    with session_factory() as session:
        assert session.scalar(select(func.count(ResourceRequest.id))) == 0


def test_missing_note_and_unknown_request(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    rid = create(client, users["lao_eoc"])["id"]
    no_note = client.post(
        f"{BASE}/{rid}/steps", json={"step": "reject"}, headers=users["lao_focal"]
    )
    problem = assert_problem(no_note, 422)
    assert [e["field"] for e in problem["errors"]] == ["note"]
    missing = client.get(f"{BASE}/987654", headers=users["viewer"])
    assert_problem(missing, 404)
    unknown_step = client.post(
        f"{BASE}/{rid}/steps", json={"step": "skip"}, headers=users["lao_focal"]
    )
    assert_problem(unknown_step, 422)


def test_the_board_filters_sorts_and_pages(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    low = create(client, users["lao_eoc"], priority="low")["id"]
    high = create(client, users["phl_eoc"], priority="high", delivery_point="Manila")["id"]
    critical = create(client, users["lao_eoc"], priority="critical")["id"]
    first = client.get(BASE, params={"limit": 2}, headers=users["viewer"])
    assert [r["id"] for r in first.json()["items"]] == [critical, high]
    assert first.json()["total"] == 3
    assert 'rel="next"' in first.headers["link"]
    only_lao = client.get(BASE, params={"country": "LAO"}, headers=users["viewer"]).json()
    assert [r["id"] for r in only_lao["items"]] == [critical, low]
    bad = client.get(BASE, params={"priority": "urgent"}, headers=users["viewer"])
    assert [e["field"] for e in assert_problem(bad, 422)["errors"]] == ["priority"]
    bad_sort = client.get(BASE, params={"sort": "size"}, headers=users["viewer"])
    assert [e["field"] for e in assert_problem(bad_sort, 422)["errors"]] == ["sort"]


def test_the_event_of_a_request_is_hidden_from_those_who_do_not_see_it(
    client: TestClient, world: World, users: dict[str, Headers]
) -> None:
    rid = create(client, users["lao_eoc"], event_id=world.lao_event)["id"]
    own = client.get(f"{BASE}/{rid}", headers=users["lao_focal"]).json()
    assert own["event_id"] == world.lao_event
    other = client.get(f"{BASE}/{rid}", headers=users["tha_focal"]).json()
    assert other["event_id"] is None
    on_board = client.get(BASE, headers=users["tha_focal"]).json()["items"]
    assert on_board[0]["event_id"] is None
    unseen = client.get(BASE, params={"event": world.lao_event}, headers=users["tha_focal"])
    assert_problem(unseen, 404)
    # Asking with an event one does not see reads like asking with one that does not exist.
    refused = client.post(
        BASE,
        json=body(country="LAO", event_id=world.lao_event),
        headers=users["regional_logistics"],
    )
    assert [e["field"] for e in assert_problem(refused, 422)["errors"]] == ["event_id"]


def test_pledge_and_decide(
    client: TestClient,
    world: World,
    users: dict[str, Headers],
    session_factory: sessionmaker[Session],
) -> None:
    rid = create(client, users["lao_eoc"])["id"]
    made = client.post(
        "/api/v1/resources/pledges",
        json={"lot_id": world.kor_lot, "quantity": 400, "request_id": rid, "conditions": "air"},
        headers=users["kor_logistics"],
    )
    assert made.status_code == 201, made.text
    pledge = made.json()
    assert (pledge["holder_code"], pledge["item_code"], pledge["status"]) == (
        "KOR-NAT",
        "ors-sachet",
        "offered",
    )
    too_much = client.post(
        "/api/v1/resources/pledges",
        json={"lot_id": world.kor_lot, "quantity": 5000},
        headers=users["kor_logistics"],
    )
    assert [e["field"] for e in assert_problem(too_much, 422)["errors"]] == ["quantity"]
    not_theirs = client.post(
        "/api/v1/resources/pledges",
        json={"lot_id": world.kor_lot, "quantity": 1},
        headers=users["tha_focal"],
    )
    assert_problem(not_theirs, 403)
    decision = f"/api/v1/resources/pledges/{pledge['id']}/decision"
    assert_problem(
        client.post(decision, json={"decision": "accept"}, headers=users["kor_logistics"]), 403
    )
    accepted = client.post(
        decision, json={"decision": "accept"}, headers=users["regional_logistics"]
    )
    assert accepted.json()["status"] == "accepted"
    again = client.post(decision, json={"decision": "decline"}, headers=users["regional_logistics"])
    assert_problem(again, 409)
    listed = client.get(
        "/api/v1/resources/pledges", params={"request_id": rid}, headers=users["viewer"]
    ).json()
    assert [p["id"] for p in listed["items"]] == [pledge["id"]]
    withdrawn = client.post(decision, json={"decision": "withdraw"}, headers=users["kor_logistics"])
    assert withdrawn.json()["status"] == "withdrawn"
    with session_factory() as session:
        assert session.scalar(select(func.count(Pledge.id))) == 1
