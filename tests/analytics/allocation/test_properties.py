"""Random small instances (hypothesis): plans are feasible (re-checked by an independent
checker), never worse than first-come-first-served on objective 1, and equal to a brute-force
optimum (objective 1 and the leximin fill rates) where enumeration is possible."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.analytics.allocation import Plan, Problem, evaluate, fcfs, parse_problem, solve
from healthbridge.analytics.allocation.solver import _ItemSolver, feasible_pairs

TODAY = date(2026, 11, 26)
PLACES = ("KOR", "LAO", "THA")


def check_feasible(problem: Problem, plan: Plan) -> None:
    """Every hard constraint, checked from the problem's raw data (not the solver's pairs)."""
    lots = {lot.id: lot for lot in problem.lots}
    requests = {r.id: r for r in problem.requests}
    shipped: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    seen = set()
    for a in plan.allocations:
        assert (a.lot, a.request) not in seen
        seen.add((a.lot, a.request))
        lot, request = lots[a.lot], requests[a.request]
        assert isinstance(a.quantity, int) and a.quantity > 0
        assert lot.item == request.item
        assert lot.for_requests is None or request.id in lot.for_requests
        row = problem.transit_days.get(lot.holder, {})
        if request.country in row:
            days = row[request.country]
        else:
            assert lot.holder == request.country, "shipped without a transit route"
            days = 0
        assert a.arrives_on == problem.today + timedelta(days=days)
        shelf = problem.item(lot.item).min_shelf_life_days
        assert (lot.expires_on - a.arrives_on).days >= shelf
        shipped[a.lot] += a.quantity
        received[a.request] += a.quantity
    assert all(shipped[i] <= lots[i].quantity for i in shipped)
    assert all(received[j] <= requests[j].quantity for j in received)


@st.composite
def instances(
    draw: Any, *, max_lots: int = 4, max_requests: int = 4, max_quantity: int = 8
) -> dict[str, Any]:
    items = ["a", "b"][: draw(st.integers(1, 2))]
    transit: dict[str, dict[str, int]] = {}
    for holder in PLACES:
        for country in PLACES:
            if draw(st.booleans()):
                transit.setdefault(holder, {})[country] = draw(st.integers(0, 6))
    lots = [
        {
            "id": f"L{k}",
            "item": draw(st.sampled_from(items)),
            "holder": draw(st.sampled_from(PLACES)),
            "quantity": draw(st.integers(0, max_quantity)),
            "expires_on": (TODAY + timedelta(days=draw(st.integers(0, 60)))).isoformat(),
        }
        for k in range(draw(st.integers(0, max_lots)))
    ]
    requests = [
        {
            "id": f"R{k}",
            "item": draw(st.sampled_from(items)),
            "country": draw(st.sampled_from(PLACES)),
            "quantity": draw(st.integers(0, max_quantity)),
            "priority": draw(st.sampled_from(["critical", "high", "medium", "low"])),
            "needed_by": (TODAY + timedelta(days=draw(st.integers(0, 6)))).isoformat(),
        }
        for k in range(draw(st.integers(0, max_requests)))
    ]
    for entry in lots:
        if draw(st.integers(0, 3)) == 0:  # a lot bound to some requests of its item
            same = [r["id"] for r in requests if r["item"] == entry["item"]]
            entry["for_requests"] = (
                draw(st.lists(st.sampled_from(same), unique=True)) if same else []
            )
    document: dict[str, Any] = {
        "today": TODAY.isoformat(),
        "items": [{"id": i, "min_shelf_life_days": draw(st.integers(0, 30))} for i in items],
        "lots": lots,
        "requests": requests,
        "transit_days": transit,
    }
    if draw(st.booleans()):
        document["priority_weights"] = {
            p: draw(st.sampled_from([1, 2, 3, 8, 0.5, 2.5])) for p in ("critical", "low")
        }
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plans_are_feasible_and_never_worse_than_fcfs(document: dict[str, Any]) -> None:
    problem = parse_problem(document)
    best, baseline = solve(problem), fcfs(problem)
    check_feasible(problem, best)
    check_feasible(problem, baseline)
    assert (
        evaluate(problem, best).priority_weighted
        >= evaluate(problem, baseline).priority_weighted - 1e-9
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_requests=1, max_lots=4, max_quantity=20))
def test_one_request_per_item_gets_everything_deliverable(document: dict[str, Any]) -> None:
    problem = parse_problem(document)
    plan = solve(problem)
    got = evaluate(problem, plan).delivered_by_request
    for request in problem.requests:
        shelf = problem.item(request.item).min_shelf_life_days
        reachable = 0
        for lot in problem.lots:
            days = problem.transit(lot.holder, request.country)
            if lot.item == request.item and days is not None and lot.may_serve(request.id):
                arrival = problem.today + timedelta(days=days)
                if (lot.expires_on - arrival).days >= shelf:
                    reachable += lot.quantity
        assert got[request.id] == min(request.quantity, reachable)


def brute_force(problem: Problem, item: str) -> tuple[float, tuple[Fraction, ...]] | None:
    """The best objective 1 and, among plans reaching it, the best sorted fill rates (leximin)
    of ``item``, by enumerating every integer plan; None when there are too many."""
    lots = [lot for lot in problem.lots if lot.item == item]
    requests = [r for r in problem.requests if r.item == item]
    shelf = problem.item(item).min_shelf_life_days
    pairs = []
    for lot in lots:
        for r in requests:
            days = problem.transit(lot.holder, r.country)
            if days is None or not lot.may_serve(r.id):
                continue
            if (lot.expires_on - (problem.today + timedelta(days=days))).days >= shelf:
                pairs.append((lot, r, min(lot.quantity, r.quantity)))
    count = 1
    for *_, upper in pairs:
        count *= upper + 1
    if count > 20000:
        return None
    best: tuple[float, tuple[Fraction, ...]] | None = None
    for x in itertools.product(*(range(upper + 1) for *_, upper in pairs)):
        shipped: dict[str, int] = defaultdict(int)
        received: dict[str, int] = defaultdict(int)
        for (lot, r, _), q in zip(pairs, x, strict=True):
            shipped[lot.id] += q
            received[r.id] += q
        if any(shipped[lot.id] > lot.quantity for lot in lots) or any(
            received[r.id] > r.quantity for r in requests
        ):
            continue
        weighted = sum(problem.weight(r.priority) * received[r.id] for r in requests)
        rates = tuple(sorted(Fraction(received[r.id], r.quantity) for r in requests if r.quantity))
        if (
            best is None
            or weighted > best[0] + 1e-9
            or (abs(weighted - best[0]) <= 1e-9 and rates > best[1])
        ):
            best = (weighted, rates)
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_lots=3, max_requests=4, max_quantity=5))
def test_objective_1_and_leximin_equal_brute_force(document: dict[str, Any]) -> None:
    problem = parse_problem(document)
    plan = solve(problem)
    received: dict[str, int] = defaultdict(int)
    for a in plan.allocations:
        received[a.request] += a.quantity
    for item in problem.items:
        expected = brute_force(problem, item.id)
        if expected is None:
            continue
        requests = [r for r in problem.requests if r.item == item.id]
        weighted = sum(problem.weight(r.priority) * received[r.id] for r in requests)
        rates = tuple(sorted(Fraction(received[r.id], r.quantity) for r in requests if r.quantity))
        assert abs(weighted - expected[0]) <= 1e-9
        assert rates == expected[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_lots=4, max_requests=4, max_quantity=9))
def test_the_mip_fallback_agrees_with_the_unimodular_path(document: dict[str, Any]) -> None:
    problem = parse_problem(document)
    for item in problem.items:
        lots = [lot for lot in problem.lots if lot.item == item.id]
        requests = [r for r in problem.requests if r.item == item.id]
        pairs = feasible_pairs(problem, item, lots, requests)
        if not pairs:
            continue
        found = []
        for use_duals in (True, False):
            x = _ItemSolver(problem, lots, requests, pairs, {}, use_duals=use_duals).run()
            got: dict[int, int] = defaultdict(int)
            for c, pair in enumerate(pairs):
                got[pair.request] += int(x[c])
            weighted = sum(problem.weight(r.priority) * got[j] for j, r in enumerate(requests))
            rates = sorted(
                Fraction(got[j], r.quantity) for j, r in enumerate(requests) if r.quantity
            )
            found.append((weighted, rates))
        assert found[0][0] == pytest.approx(found[1][0])
        assert found[0][1] == found[1][1]
