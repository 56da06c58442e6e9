"""API of allocation plans and shipments: run, read beside first-come-first-served, decide;
dispatch, receive and cancel shipments; problem+json for every refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import UserFactory
from tests.problem_assertions import assert_problem
from tests.resources.plan_data import OPERATOR, World, make_world

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources import ledger
from healthbridge.resources.models import Shipment, StockMovement

Login = Callable[[User], dict[str, str]]
API = "/api/v1/resources"


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return make_world(session)


def test_run_read_approve_and_ship(
    client: TestClient,
    make_user: UserFactory,
    login: Login,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    regional = login(make_user(Role.LOGISTICS_OFFICER, None))
    thai = login(make_user(Role.LOGISTICS_OFFICER, "THA"))
    lao = login(make_user(Role.LOGISTICS_OFFICER, "LAO"))
    viewer = login(make_user(Role.VIEWER, "IDN"))

    assert_problem(client.post(f"{API}/plans", headers=thai), 403)
    made = client.post(f"{API}/plans", headers=regional)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["status"] == "proposed"
    assert plan["fill_rate"] == 1.0 and plan["fcfs_fill_rate"] == 1.0
    assert "fcfs" in plan["summary"] and plan["summary"]["by_country"]["VNM"]["delivered"] == 700
    assert {
        (line["holder_code"], line["country_code"], line["quantity"]) for line in plan["lines"]
    } == {
        ("KOR-NAT", "LAO", 300),
        ("ARRMS-THA", "LAO", 300),
        ("ARRMS-THA", "VNM", 700),
    }
    plan_id = plan["id"]

    listed = client.get(f"{API}/plans", headers=viewer)
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert client.get(f"{API}/plans/{plan_id}", headers=viewer).json()["id"] == plan_id
    assert_problem(client.get(f"{API}/plans/999", headers=viewer), 404)
    assert_problem(client.get(f"{API}/plans?status=nope", headers=viewer), 422)

    body = assert_problem(
        client.post(
            f"{API}/plans/{plan_id}/decision", headers=regional, json={"decision": "reject"}
        ),
        422,
    )
    assert body["errors"][0]["field"] == "note"
    assert_problem(
        client.post(
            f"{API}/plans/{plan_id}/decision", headers=regional, json={"decision": "maybe"}
        ),
        422,
    )
    assert_problem(
        client.post(f"{API}/plans/{plan_id}/decision", headers=thai, json={"decision": "approve"}),
        403,
    )
    approved = client.post(
        f"{API}/plans/{plan_id}/decision",
        headers=regional,
        json={"decision": "approve", "note": "Go"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert_problem(
        client.post(
            f"{API}/plans/{plan_id}/decision", headers=regional, json={"decision": "approve"}
        ),
        409,
    )

    shipments = client.get(f"{API}/shipments?plan={plan_id}&country=LAO", headers=viewer)
    assert shipments.status_code == 200 and shipments.json()["total"] == 2
    reserve = next(s for s in shipments.json()["items"] if s["source_holder_code"] == "ARRMS-THA")
    assert reserve["status"] == "planned" and reserve["plan_id"] == plan_id
    assert reserve["destination_holder_code"] == "LAO-NAT"
    sid = reserve["id"]
    assert_problem(client.get(f"{API}/shipments/999", headers=viewer), 404)
    assert_problem(client.get(f"{API}/shipments?status=lost", headers=viewer), 422)

    assert_problem(client.post(f"{API}/shipments/{sid}/dispatch", headers=viewer, json={}), 403)
    assert_problem(client.post(f"{API}/shipments/{sid}/dispatch", headers=thai, json={}), 403)
    assert_problem(
        client.post(f"{API}/shipments/{sid}/receive", headers=lao, json={"quantity_received": 1}),
        409,
    )
    sent = client.post(
        f"{API}/shipments/{sid}/dispatch", headers=regional, json={"tracking": "AWB-9"}
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "dispatched" and sent.json()["tracking"] == "AWB-9"
    assert_problem(client.post(f"{API}/shipments/{sid}/cancel", headers=regional, json={}), 409)

    short = assert_problem(
        client.post(f"{API}/shipments/{sid}/receive", headers=lao, json={"quantity_received": 250}),
        422,
    )
    assert [e["field"] for e in short["errors"]] == ["discrepancy_note"]
    assert_problem(
        client.post(f"{API}/shipments/{sid}/receive", headers=lao, json={"quantity_received": -5}),
        422,
    )
    assert_problem(
        client.post(
            f"{API}/shipments/{sid}/receive", headers=thai, json={"quantity_received": 300}
        ),
        403,
    )
    got = client.post(
        f"{API}/shipments/{sid}/receive",
        headers=lao,
        json={"quantity_received": 250, "discrepancy_note": "One pallet crushed"},
    )
    assert got.status_code == 200, got.text
    assert got.json()["status"] == "received" and got.json()["quantity_received"] == 250
    with session_factory() as session:
        received_lot = got.json()["received_lot_id"]
        assert ledger.balance(session, received_lot) == 250
        assert ledger.balance(session, world.reserve_lot) == 700
        assert (
            session.scalar(
                select(func.count(StockMovement.id)).where(StockMovement.shipment_id == sid)
            )
            == 2
        )

    viet = next(
        s for s in client.get(f"{API}/shipments?country=VNM", headers=viewer).json()["items"]
    )
    cancelled = client.post(
        f"{API}/shipments/{viet['id']}/cancel", headers=regional, json={"note": "Road closed"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_problem(
        client.post(f"{API}/shipments/{viet['id']}/dispatch", headers=regional, json={"x": 1}),
        422,
    )


def test_nothing_to_allocate_is_409_and_refused_approval_changes_nothing(
    client: TestClient,
    make_user: UserFactory,
    login: Login,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    regional = login(make_user(Role.LOGISTICS_OFFICER, None))
    plan_id = client.post(f"{API}/plans", headers=regional).json()["id"]
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session,
            actor=OPERATOR,
            lot_id=world.korean_lot,
            kind="issue",
            quantity=-600,
        )
    body = assert_problem(
        client.post(
            f"{API}/plans/{plan_id}/decision", headers=regional, json={"decision": "approve"}
        ),
        409,
    )
    assert "lot K-1" in body["detail"]
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0
    assert client.get(f"{API}/plans/{plan_id}", headers=regional).json()["status"] == "proposed"
    # A fresh run sees what is left; once every request is served there is nothing to do.
    rerun = client.post(f"{API}/plans", headers=regional)
    assert rerun.status_code == 201
    assert (
        client.post(
            f"{API}/plans/{rerun.json()['id']}/decision",
            headers=regional,
            json={"decision": "approve"},
        ).status_code
        == 200
    )
    assert client.get(f"{API}/plans/{plan_id}", headers=regional).json()["status"] == "superseded"
    # Viet Nam still lacks 100 units, but no stock is left to give: nothing to allocate.
    body = assert_problem(client.post(f"{API}/plans", headers=regional), 409)
    assert "nothing to allocate" in body["detail"]
