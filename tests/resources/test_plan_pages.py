"""Pages of allocation plans and shipments: run an allocation, the side-by-side with
first-come-first-served (chart and tables), approve / reject, shipment tracking with dispatch and
receive forms; refusals shown on the page with what was typed."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import UserFactory
from tests.eoc.test_pages import HTML, sign_in
from tests.resources.plan_data import OPERATOR, World, make_world

from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources import ledger
from healthbridge.resources.models import AllocationPlan, ResourceRequest, Shipment


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return make_world(session)


def _plan_id(location: str) -> int:
    match = re.fullmatch(r"/resources/plans/(\d+)", location)
    assert match is not None, location
    return int(match.group(1))


def test_run_compare_approve_and_track(
    client: TestClient,
    make_user: UserFactory,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    csrf = sign_in(client, make_user(Role.LOGISTICS_OFFICER, None))
    listing = client.get("/resources/plans", headers=HTML)
    assert listing.status_code == 200
    assert "Run an allocation" in listing.text and "No allocation plan yet" in listing.text

    ran = client.post("/resources/plans", data={"csrf_token": csrf}, follow_redirects=False)
    assert ran.status_code == 303
    plan_id = _plan_id(ran.headers["location"])
    page = client.get(f"/resources/plans/{plan_id}", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="objectives"' in html and "First come, first served" in html
    assert 'data-testid="fills-by-country"' in html and 'data-testid="fills-by-item"' in html
    assert 'data-code="LAO"' in html and 'data-code="VNM"' in html
    figure = re.search(r'data-figure="([^"]+)"', html)
    assert figure is not None
    data = json.loads(unescape(figure.group(1)))
    assert data["layout"]["barmode"] == "group"
    assert [trace["name"] for trace in data["data"]] == ["Optimal plan", "First come, first served"]
    assert data["data"][0]["x"] == ["LAO", "VNM"] and data["data"][0]["y"] == [100.0, 100.0]
    assert 'data-testid="plan-lines"' in html and "KOR-NAT" in html
    fcfs = html.split('data-testid="fcfs-lines"')[1].split("</details>")[0]
    assert "3 lines" in fcfs and "K-1" in fcfs and "R-1" in fcfs
    assert 'data-testid="plan-decision"' in html

    # Rejecting without a note is refused on the page, nothing changes.
    refused = client.post(
        f"/resources/plans/{plan_id}/decision",
        data={"csrf_token": csrf, "decision": "reject", "note": ""},
    )
    assert refused.status_code == 422 and "<code>note</code>" in refused.text
    approved = client.post(
        f"/resources/plans/{plan_id}/decision",
        data={"csrf_token": csrf, "decision": "approve", "note": "Agreed in the call"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == f"/resources/shipments?plan={plan_id}"
    after = client.get(f"/resources/plans/{plan_id}", headers=HTML).text
    assert 'data-testid="plan-decision"' not in after and "Agreed in the call" in after

    tracking = client.get(f"/resources/shipments?plan={plan_id}", headers=HTML)
    assert tracking.status_code == 200
    assert tracking.text.count('data-testid="dispatch-form"') == 3
    with session_factory() as session:
        to_lao = session.scalar(
            select(Shipment.id).where(
                Shipment.lot_id == world.reserve_lot, Shipment.request_id == world.lao_request
            )
        )
    sent = client.post(
        f"/resources/shipments/{to_lao}/dispatch",
        data={"csrf_token": csrf, "tracking": "AWB-77"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    again = client.post(
        f"/resources/shipments/{to_lao}/dispatch", data={"csrf_token": csrf, "tracking": "AWB-78"}
    )
    assert again.status_code == 409 and "only a planned shipment" in again.text

    # Receiving short without a note keeps what was typed.
    short = client.post(
        f"/resources/shipments/{to_lao}/receive",
        data={"csrf_token": csrf, "quantity_received": "280", "discrepancy_note": ""},
    )
    assert short.status_code == 422 and "<code>discrepancy_note</code>" in short.text
    assert 'value="280"' in short.text
    bad = client.post(
        f"/resources/shipments/{to_lao}/receive",
        data={"csrf_token": csrf, "quantity_received": "lots"},
    )
    assert bad.status_code == 422 and "<code>quantity_received</code>" in bad.text
    done = client.post(
        f"/resources/shipments/{to_lao}/receive",
        data={"csrf_token": csrf, "quantity_received": "280", "discrepancy_note": "Wet boxes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    received = client.get("/resources/shipments?status=received", headers=HTML).text
    assert "Discrepancy: Wet boxes" in received and "AWB-77" in received
    with session_factory() as session:
        shipment = session.get(Shipment, to_lao)
        assert shipment is not None and shipment.received_lot_id is not None
        assert ledger.balance(session, shipment.received_lot_id) == 280


def test_refusals_and_read_only_views(
    client: TestClient,
    make_user: UserFactory,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    # A country's logistics officer reads plans but does not run or decide them.
    thai = sign_in(client, make_user(Role.LOGISTICS_OFFICER, "THA"))
    assert "Run an allocation" not in client.get("/resources/plans", headers=HTML).text
    denied = client.post("/resources/plans", data={"csrf_token": thai}, follow_redirects=False)
    assert denied.status_code == 403
    with unit_of_work(session_factory) as session:
        for request in session.scalars(select(ResourceRequest)):
            request.status = "closed"
    client.cookies.clear()
    csrf = sign_in(client, make_user(Role.SECRETARIAT, None))
    nothing = client.post("/resources/plans", data={"csrf_token": csrf})
    assert nothing.status_code == 409 and "nothing to allocate" in nothing.text
    with session_factory() as session:
        assert session.scalar(select(func.count(AllocationPlan.id))) == 0
    assert client.get("/resources/plans/999", headers=HTML).status_code == 404
    listing = client.get("/resources/shipments?status=lost&plan=x", headers=HTML)
    assert listing.status_code == 200 and "<code>status</code>" in listing.text


def test_stock_moved_before_approval_is_shown(
    client: TestClient,
    make_user: UserFactory,
    world: World,
    session_factory: sessionmaker[Session],
) -> None:
    csrf = sign_in(client, make_user(Role.REGIONAL_ADMIN, None))
    ran = client.post("/resources/plans", data={"csrf_token": csrf}, follow_redirects=False)
    plan_id = _plan_id(ran.headers["location"])
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session, actor=OPERATOR, lot_id=world.reserve_lot, kind="issue", quantity=-1
        )
    refused = client.post(
        f"/resources/plans/{plan_id}/decision",
        data={"csrf_token": csrf, "decision": "approve", "note": "ok"},
    )
    assert refused.status_code == 409 and "lot R-1" in refused.text
    assert 'data-testid="plan-decision"' in refused.text and ">ok</textarea>" in refused.text
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0
