"""Allocation plans from the database: the problem of the current situation (reserve, pledged and
unpledged stock, holds of approved plans, transit), proposing, approving (all or nothing),
shipments moving the ledger on both sides, and who may do what."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.resources.plan_data import (
    EXPIRY,
    KOREAN_EXPIRY,
    KOREAN_LOGISTICS,
    LAO_LOGISTICS,
    OPERATOR,
    REGIONAL_LOGISTICS,
    THAI_LOGISTICS,
    TODAY,
    World,
    add_holder,
    add_item,
    add_lot,
    add_pledge,
    add_request,
    add_team,
    add_transit,
    make_world,
)

from healthbridge.analytics import allocation
from healthbridge.db import unit_of_work
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.resources import ledger, plans, plans_demo
from healthbridge.resources.models import (
    PRIORITIES,
    AllocationPlan,
    Lot,
    PlanLine,
    Pledge,
    ResourceRequest,
    Shipment,
    StockMovement,
)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return make_world(session)


def _total_stock(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0))) or 0)


def _by_id(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in entries}


def test_problem_takes_reserve_and_pledged_stock_never_unpledged_stock(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    assert problem["today"] == TODAY.isoformat()
    assert problem["items"] == [{"id": "ors-sachet", "min_shelf_life_days": 90}]
    lots = _by_id(problem["lots"])
    # The reserve's lot whole, the Korean lot as far as pledged, the Vietnamese lot not at all.
    assert set(lots) == {f"lot-{world.reserve_lot}", f"pledge-{world.korean_pledge}"}
    assert lots[f"lot-{world.reserve_lot}"]["quantity"] == 1000
    assert lots[f"lot-{world.reserve_lot}"]["holder"] == "ARRMS-THA"
    assert lots[f"pledge-{world.korean_pledge}"] == {
        "id": f"pledge-{world.korean_pledge}",
        "item": "ors-sachet",
        "holder": "KOR-NAT",
        "quantity": 300,
        "expires_on": KOREAN_EXPIRY.isoformat(),
    }
    # Only approved requests, first come first.
    assert [r["id"] for r in problem["requests"]] == [
        f"req-{world.viet_request}",
        f"req-{world.lao_request}",
    ]
    lao = _by_id(problem["requests"])[f"req-{world.lao_request}"]
    assert lao["quantity"] == 600 and lao["priority"] == "critical" and lao["country"] == "LAO"
    assert lao["requested_at"] == "2026-11-20T08:10:00"
    # Transit from the holders' countries; Korea has no route to Viet Nam.
    assert problem["transit_days"] == {"ARRMS-THA": {"LAO": 2, "VNM": 3}, "KOR-NAT": {"LAO": 4}}
    assert "teams" not in problem


def test_pledge_is_capped_by_what_the_lot_holds(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session,
            actor=OPERATOR,
            lot_id=world.korean_lot,
            kind="issue",
            quantity=-700,
        )
    with session_factory() as session:
        lots = _by_id(plans.build_problem(session, TODAY)["lots"])
    assert lots[f"pledge-{world.korean_pledge}"]["quantity"] == 100


def test_same_country_ships_in_zero_days(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        add_request(session, "THA", 50, "low", minutes=30)
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    assert problem["transit_days"]["ARRMS-THA"] == {"LAO": 2, "THA": 0, "VNM": 3}
    assert "THA" not in problem["transit_days"]["KOR-NAT"]


def _propose_and_approve(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        plan = plans.propose(session, REGIONAL_LOGISTICS, TODAY)
        plan_id = plan.id
    with unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, "Looks right")
    return plan_id


def test_propose_stores_the_plan_with_fcfs_and_lines(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        plan = plans.propose(session, REGIONAL_LOGISTICS, TODAY)
        plan_id = plan.id
    with session_factory() as session:
        stored = plans.get_plan(session, THAI_LOGISTICS, plan_id)
        assert stored.status == "proposed"
        assert stored.today == TODAY
        assert stored.problem["requests"]
        assert stored.summary["fill_rate"] == 1.0
        assert "fcfs" in stored.summary and "summary" in stored.summary["fcfs"]
        assert stored.summary["by_country"]["LAO"]["delivered"] == 600
        got: dict[tuple[int, int], int] = {}
        for line in stored.lines:
            got[(line.lot_id, line.request_id)] = line.quantity
        # Korea's pledge can only reach Lao PDR; Viet Nam gets the reserve.
        assert got == {
            (world.korean_lot, world.lao_request): 300,
            (world.reserve_lot, world.lao_request): 300,
            (world.reserve_lot, world.viet_request): 700,
        }
        arrivals = {(line.lot_id, line.request_id): line.arrives_on for line in stored.lines}
        assert arrivals[(world.korean_lot, world.lao_request)] == TODAY + dt.timedelta(days=4)
        assert stored.summary["sources"][f"pledge-{world.korean_pledge}"]["lot_id"] == (
            world.korean_lot
        )


def test_nothing_to_allocate_is_a_conflict(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        for request in session.scalars(select(ResourceRequest)):
            request.status = "closed"
    with pytest.raises(Conflict) as refused, unit_of_work(session_factory) as session:
        plans.propose(session, REGIONAL_LOGISTICS, TODAY)
    assert "nothing to allocate" in refused.value.detail
    with session_factory() as session:
        assert session.scalar(select(func.count(AllocationPlan.id))) == 0


def test_only_regional_logistics_propose_and_approve(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(Forbidden), unit_of_work(session_factory) as session:
        plans.propose(session, THAI_LOGISTICS, TODAY)
    with unit_of_work(session_factory) as session:
        plan_id = plans.propose(session, OPERATOR, TODAY).id
    with pytest.raises(Forbidden), unit_of_work(session_factory) as session:
        plans.approve(session, THAI_LOGISTICS, plan_id, None)


def test_approve_dispatch_receive_moves_the_ledger_on_both_sides(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as session:
        before = _total_stock(session)
    plan_id = _propose_and_approve(session_factory)
    with session_factory() as session:
        plan = plans.get_plan(session, REGIONAL_LOGISTICS, plan_id)
        assert plan.status == "approved" and plan.decision_note == "Looks right"
        shipments = list(session.scalars(select(Shipment).order_by(Shipment.id)))
        assert len(shipments) == 3
        assert {s.status for s in shipments} == {"planned"}
        assert {s.destination_holder_code for s in shipments} == {"LAO-NAT", "VNM-NAT"}
        line_arrivals = {line.id: line.arrives_on for line in plan.lines}
        assert all(s.expected_on == line_arrivals[s.plan_line_id] for s in shipments)
        # The plan's holds: the reserve lot keeps its balance but has nothing left to give.
        assert ledger.balance(session, world.reserve_lot) == 1000
        assert plans.available(session, [world.reserve_lot]) == {world.reserve_lot: 0}
        problem = plans.build_problem(session, TODAY)
        assert problem["requests"] == [] and problem["lots"] == []
        to_lao = next(
            s.id
            for s in shipments
            if s.lot_id == world.reserve_lot and s.request_id == world.lao_request
        )
        korean = next(s.id for s in shipments if s.lot_id == world.korean_lot)

    # The reserve's shipment to Lao PDR: dispatched by the region, received short by Lao PDR.
    with pytest.raises(Forbidden), unit_of_work(session_factory) as session:
        plans.dispatch(session, THAI_LOGISTICS, to_lao, "AWB-1")
    with unit_of_work(session_factory) as session:
        plans.dispatch(session, REGIONAL_LOGISTICS, to_lao, "AWB-1")
    with session_factory() as session:
        assert ledger.balance(session, world.reserve_lot) == 700
        assert _total_stock(session) == before - 300  # in transit
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        plans.dispatch(session, REGIONAL_LOGISTICS, to_lao, "AWB-1")
    with pytest.raises(Forbidden), unit_of_work(session_factory) as session:
        plans.receive(session, THAI_LOGISTICS, to_lao, 300, None)
    with pytest.raises(Invalid) as refused, unit_of_work(session_factory) as session:
        plans.receive(session, LAO_LOGISTICS, to_lao, 290, "  ")
    assert [e.field for e in refused.value.errors] == ["discrepancy_note"]
    with pytest.raises(Invalid) as refused, unit_of_work(session_factory) as session:
        plans.receive(session, LAO_LOGISTICS, to_lao, -1, None)
    assert [e.field for e in refused.value.errors] == ["quantity_received"]
    with unit_of_work(session_factory) as session:
        plans.receive(session, LAO_LOGISTICS, to_lao, 290, "10 sachets damaged")
    with session_factory() as session:
        received = session.get(Shipment, to_lao)
        assert received is not None and received.status == "received"
        assert received.quantity_received == 290
        assert received.discrepancy_note == "10 sachets damaged"
        lao_lot = session.get(Lot, received.received_lot_id)
        assert lao_lot is not None and lao_lot.holder_code == "LAO-NAT"
        assert lao_lot.lot_number == "R-1" and lao_lot.expires_on == EXPIRY
        assert ledger.balance(session, lao_lot.id) == 290
        # Stock only changed by the discrepancy.
        assert _total_stock(session) == before - 10
        kinds = [
            (m.kind, m.quantity)
            for m in session.scalars(
                select(StockMovement)
                .where(StockMovement.shipment_id == to_lao)
                .order_by(StockMovement.id)
            )
        ]
        assert kinds == [("transfer_out", -300), ("transfer_in", 290)]
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        plans.receive(session, LAO_LOGISTICS, to_lao, 290, "again")

    # Korea's pledged lot: dispatched by Korea, received in full by Lao PDR.
    with unit_of_work(session_factory) as session:
        plans.dispatch(session, KOREAN_LOGISTICS, korean, None)
    with unit_of_work(session_factory) as session:
        plans.receive(session, LAO_LOGISTICS, korean, 300, None)
    with session_factory() as session:
        assert ledger.balance(session, world.korean_lot) == 500
        assert _total_stock(session) == before - 10
        rows, total = plans.list_shipments(
            session, THAI_LOGISTICS, plans.ShipmentFilter(status="received"), PageRequest()
        )
        assert total == 2 and {s.id for s in rows} == {to_lao, korean}
        rows, total = plans.list_shipments(
            session,
            THAI_LOGISTICS,
            plans.ShipmentFilter(country="vnm", plan=plan_id),
            PageRequest(),
        )
        assert total == 1 and rows[0].request_id == world.viet_request
        with pytest.raises(Invalid):
            plans.list_shipments(
                session, THAI_LOGISTICS, plans.ShipmentFilter(status="lost"), PageRequest()
            )


def test_cancelled_shipment_frees_stock_and_request(
    session_factory: sessionmaker[Session], world: World
) -> None:
    _propose_and_approve(session_factory)
    with session_factory() as session:
        viet = session.scalar(select(Shipment.id).where(Shipment.request_id == world.viet_request))
    assert viet is not None
    with unit_of_work(session_factory) as session:
        plans.cancel(session, REGIONAL_LOGISTICS, viet, "Road closed")
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        plans.cancel(session, REGIONAL_LOGISTICS, viet, None)
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    assert _by_id(problem["requests"])[f"req-{world.viet_request}"]["quantity"] == 700
    assert _by_id(problem["lots"])[f"lot-{world.reserve_lot}"]["quantity"] == 700


def test_approval_is_refused_when_stock_moved_and_nothing_changes(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        plan_id = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session, actor=OPERATOR, lot_id=world.reserve_lot, kind="issue", quantity=-50
        )
    with pytest.raises(Conflict) as refused, unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    assert "lot R-1" in refused.value.detail and "line" in refused.value.detail
    assert refused.value.errors[0].field.startswith("lines[")
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0
        plan = session.get(AllocationPlan, plan_id)
        assert plan is not None and plan.status == "proposed"


def test_approval_is_refused_when_a_request_is_no_longer_approved(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        plan_id = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    with unit_of_work(session_factory) as session:
        request = session.get(ResourceRequest, world.viet_request)
        assert request is not None
        request.status = "cancelled"
    with pytest.raises(Conflict) as refused, unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    assert f"request {world.viet_request} is now cancelled" in refused.value.detail
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0


def test_a_failure_half_way_through_approval_leaves_nothing(
    session_factory: sessionmaker[Session], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(session_factory) as session:
        plan_id = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    made: list[int] = []
    original = plans.create_shipment

    def failing(session: Session, line: PlanLine, destination: str) -> Shipment:
        if made:
            raise RuntimeError("the database went away")
        shipment = original(session, line, destination)
        made.append(shipment.id)
        return shipment

    monkeypatch.setattr(plans, "create_shipment", failing)
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    assert made  # the first shipment was written before the failure
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0
        plan = session.get(AllocationPlan, plan_id)
        assert plan is not None and plan.status == "proposed"


def test_approval_supersedes_other_proposals_and_decisions_are_final(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        first = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
        second = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
        third = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    with pytest.raises(Invalid) as refused, unit_of_work(session_factory) as session:
        plans.reject(session, REGIONAL_LOGISTICS, third, " ")
    assert [e.field for e in refused.value.errors] == ["note"]
    with unit_of_work(session_factory) as session:
        plans.reject(session, REGIONAL_LOGISTICS, third, "Wait for the Korean pledge")
    with unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, second, None)
    with session_factory() as session:
        statuses = {p.id: p.status for p in session.scalars(select(AllocationPlan))}
        assert statuses == {first: "superseded", second: "approved", third: "rejected"}
        rows, total = plans.list_plans(session, THAI_LOGISTICS, PageRequest(), status="approved")
        assert total == 1 and rows[0].id == second
    for plan_id in (first, second, third):
        with pytest.raises(Conflict), unit_of_work(session_factory) as session:
            plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    with session_factory() as session, pytest.raises(NotFound):
        plans.get_plan(session, REGIONAL_LOGISTICS, 999)


def test_second_allocation_counts_what_approved_plans_already_hold(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        request = session.get(ResourceRequest, world.viet_request)
        assert request is not None
        request.quantity = 1000  # Viet Nam asks for more than the reserve has left
    _propose_and_approve(session_factory)
    with unit_of_work(session_factory) as session:
        add_lot(session, "ARRMS-THA", "R-2", 400)
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    # Lao PDR is served; Viet Nam had 700 of its 1000; the old lot is fully held.
    assert [(r["id"], r["quantity"]) for r in problem["requests"]] == [
        (f"req-{world.viet_request}", 300)
    ]
    assert [lot["quantity"] for lot in problem["lots"]] == [400]


def test_pledge_for_one_request_carries_for_requests(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        add_holder(session, "PARTNER-X", "partner", "THA")
        session.flush()
        partner_lot = add_lot(session, "PARTNER-X", "P-1", 200)
        bound = add_pledge(session, "PARTNER-X", partner_lot, 200, request_id=world.viet_request)
        # Bound to a request of another item, or to one no longer approved: it serves nothing.
        add_item(session, "n95", 0)
        session.flush()
        add_request(session, "LAO", 50, "high", item="n95", minutes=50)
        masks = add_lot(session, "PARTNER-X", "N-1", 100, item="n95")
        astray = add_pledge(session, "PARTNER-X", masks, 100, request_id=world.viet_request)
        late = add_pledge(session, "PARTNER-X", partner_lot, 10, request_id=world.thai_request)
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    lots = _by_id(problem["lots"])
    assert lots[f"pledge-{bound}"]["for_requests"] == [f"req-{world.viet_request}"]
    assert "for_requests" not in lots[f"pledge-{world.korean_pledge}"]
    assert f"pledge-{astray}" not in lots and f"pledge-{late}" not in lots
    assert len(allocation.parse_problem(problem).lots) == 3


def test_pledge_for_one_request_serves_only_that_request(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        add_holder(session, "PARTNER-X", "partner", "THA")
        session.flush()
        partner_lot = add_lot(session, "PARTNER-X", "P-1", 200)
        # Lao PDR is critical and could take it all, but the partner gave it to Viet Nam.
        add_pledge(session, "PARTNER-X", partner_lot, 200, request_id=world.viet_request)
        request = session.get(ResourceRequest, world.lao_request)
        assert request is not None
        request.quantity = 2000
    with unit_of_work(session_factory) as session:
        plan = plans.propose(session, REGIONAL_LOGISTICS, TODAY)
        from_partner = {
            line.request_id: line.quantity for line in plan.lines if line.lot_id == partner_lot
        }
    assert from_partner == {world.viet_request: 200}


def test_teams_of_the_reserve_and_pledges_are_deployed(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        team = add_team(session, "ARRMS-EPI", "ARRMS-THA", "field_epidemiologist", ["en", "lo"])
        add_team(session, "VNM-EPI", "VNM-NAT", "field_epidemiologist", ["vi"])  # not pledged
        wanted = ResourceRequest(
            country_code="LAO",
            kind="team",
            team_type="field_epidemiologist",
            quantity=1,
            priority="high",
            needed_by=TODAY + dt.timedelta(days=5),
            needed_until=TODAY + dt.timedelta(days=24),
            skills=["outbreak"],
            languages=["lo"],
            delivery_point="Vientiane",
            status="approved",
            requested_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
            requested_by="someone@example.org",
            updated_at=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
        )
        session.add(wanted)
        session.flush()
        wanted_id = wanted.id
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    assert [t["id"] for t in problem["teams"]] == [f"team-{team}"]
    assert problem["team_requests"][0]["id"] == f"treq-{wanted_id}-1"
    with unit_of_work(session_factory) as session:
        plan = plans.propose(session, REGIONAL_LOGISTICS, TODAY)
        deployed = [(d.team_id, d.request_id, d.arrives_on) for d in plan.deployments]
        plan_id = plan.id
    assert deployed == [(team, wanted_id, TODAY + dt.timedelta(days=2))]
    with unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    with session_factory() as session:
        problem = plans.build_problem(session, TODAY)
    assert "team_requests" not in problem


def test_transit_without_route_is_left_out(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        add_transit(session, "THA", "KOR", 5)
        add_request(session, "KOR", 10, "low", minutes=40)
    with session_factory() as session:
        transit = plans.build_problem(session, TODAY)["transit_days"]
    assert transit["ARRMS-THA"]["KOR"] == 5
    assert transit["KOR-NAT"]["KOR"] == 0
    assert "VNM" not in transit["KOR-NAT"]


def test_demo_approves_a_plan_in_transit_once(
    session_factory: sessionmaker[Session], world: World
) -> None:
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            plans_demo.load_demo(session=session, actor=OPERATOR)
    with session_factory() as session:
        statuses = list(session.scalars(select(AllocationPlan.status)))
        assert statuses == ["approved"]
        shipments = list(session.scalars(select(Shipment).order_by(Shipment.id)))
        assert [s.status for s in shipments] == ["received", "dispatched", "planned"]
        first = shipments[0]
        assert first.quantity_received is not None and first.quantity_received < first.quantity
        assert first.discrepancy_note and "damaged" in first.discrepancy_note


def test_demo_without_anything_to_allocate_does_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        plans_demo.load_demo(session=session, actor=OPERATOR)
    with session_factory() as session:
        assert session.scalar(select(func.count(AllocationPlan.id))) == 0


def test_approval_is_refused_when_the_pledge_was_withdrawn(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        plan_id = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    with unit_of_work(session_factory) as session:
        pledge = session.get(Pledge, world.korean_pledge)
        assert pledge is not None
        pledge.status = "withdrawn"
    with pytest.raises(Conflict) as refused, unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    assert "lot K-1" in refused.value.detail and "pledges" in refused.value.detail
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 0
        lots = _by_id(plans.build_problem(session, TODAY)["lots"])
    assert f"pledge-{world.korean_pledge}" not in lots


_ITEMS = itertools.count(1)
_COUNTRIES = ("THA", "LAO", "VNM", "KOR")
_lot_spec = st.tuples(
    st.sampled_from(("ARRMS-THA", "KOR-NAT", "VNM-NAT")),
    st.integers(0, 400),  # in stock
    st.integers(5, 400),  # days to expiry
    st.integers(0, 400),  # pledged (national lots; 0: not pledged)
)
_request_spec = st.tuples(
    st.sampled_from(_COUNTRIES), st.integers(1, 400), st.sampled_from(PRIORITIES)
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shelf=st.sampled_from((0, 30, 90)),
    lots=st.lists(_lot_spec, min_size=1, max_size=4),
    wanted=st.lists(_request_spec, min_size=1, max_size=4),
    dispatch_every=st.integers(1, 3),
)
def test_approved_plans_never_overcommit_stock_pledges_or_requests(
    session_factory: sessionmaker[Session],
    world: World,
    shelf: int,
    lots: list[tuple[str, int, int, int]],
    wanted: list[tuple[str, int, str]],
    dispatch_every: int,
) -> None:
    code = f"item-{next(_ITEMS)}"
    with unit_of_work(session_factory) as session:
        add_item(session, code, shelf)
        session.flush()
        for n, (holder, quantity, days, pledge) in enumerate(lots):
            lot_id = add_lot(
                session, holder, f"{code}-{n}", quantity, TODAY + dt.timedelta(days=days), code
            )
            if holder != "ARRMS-THA" and pledge:
                add_pledge(session, holder, lot_id, pledge)
        for m, (country, quantity, priority) in enumerate(wanted):
            add_request(session, country, quantity, priority, item=code, minutes=m)
    try:
        with unit_of_work(session_factory) as session:
            plan_id = plans.propose(session, REGIONAL_LOGISTICS, TODAY).id
    except Conflict:
        return
    with unit_of_work(session_factory) as session:
        plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
    with session_factory() as session:
        ids = list(session.scalars(select(Shipment.id).where(Shipment.status == "planned")))
    for shipment_id in ids[::dispatch_every]:
        with unit_of_work(session_factory) as session:
            plans.dispatch(session, REGIONAL_LOGISTICS, shipment_id, None)

    with session_factory() as session:
        shipments = list(session.scalars(select(Shipment)))
        lot_rows = {lot.id: lot for lot in session.scalars(select(Lot))}
        balances = ledger.balances(session, lot_rows)
        held = plans.held_by_lot(session)
        for lot_id, lot in lot_rows.items():
            assert balances[lot_id] >= 0
            assert balances[lot_id] - held.get(lot_id, 0) >= 0, lot.lot_number
        pledged: dict[int, int] = {}
        for pledge in session.scalars(select(Pledge).where(Pledge.lot_id.is_not(None))):
            assert pledge.lot_id is not None
            pledged[pledge.lot_id] = pledged.get(pledge.lot_id, 0) + (pledge.quantity or 0)
        sent: dict[int, int] = {}
        served: dict[int, int] = {}
        for s in shipments:
            sent[s.lot_id] = sent.get(s.lot_id, 0) + s.quantity
            served[s.request_id] = served.get(s.request_id, 0) + s.quantity
            lot = lot_rows[s.lot_id]
            # Fresh enough on arrival, and never from unpledged national stock.
            assert (lot.expires_on - s.expected_on).days >= lot.item.min_shelf_life_days
            if lot.holder.kind != "regional_reserve":
                assert sent[s.lot_id] <= pledged.get(s.lot_id, 0)
        for request_id, quantity in served.items():
            request = session.get(ResourceRequest, request_id)
            assert request is not None and quantity <= request.quantity
        assert world.viet_lot not in sent
        # What is left is still a valid problem.
        allocation.parse_problem(plans.build_problem(session, TODAY))


def test_concurrent_approvals_approve_one_plan_only(
    session_factory: sessionmaker[Session], world: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    with unit_of_work(session_factory) as session:
        ids = [plans.propose(session, REGIONAL_LOGISTICS, TODAY).id for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def approve(plan_id: int) -> None:
        start.wait()
        try:
            with unit_of_work(session_factory) as session:
                plans.approve(session, REGIONAL_LOGISTICS, plan_id, None)
            outcomes[plan_id] = "approved"
        except Conflict as refused:
            outcomes[plan_id] = refused.detail

    threads = [threading.Thread(target=approve, args=(plan_id,)) for plan_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values())[0] == "approved"
    assert "superseded" in sorted(outcomes.values())[1]
    with session_factory() as session:
        assert session.scalar(select(func.count(Shipment.id))) == 3
        statuses = sorted(session.scalars(select(AllocationPlan.status)))
    assert statuses == ["approved", "superseded"]
