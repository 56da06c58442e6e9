"""The lexicographic solver on hand-made cases: one per constraint and per objective."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from healthbridge.analytics.allocation import Plan, evaluate, parse_problem, solve

TODAY = date(2026, 11, 26)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def lot(
    id: str, quantity: int, *, holder: str = "KOR", item: str = "ors", expires: int = 365
) -> dict[str, Any]:
    return {
        "id": id,
        "item": item,
        "holder": holder,
        "quantity": quantity,
        "expires_on": day(expires),
    }


def req(
    id: str,
    quantity: int,
    *,
    country: str = "LAO",
    item: str = "ors",
    priority: str = "high",
    needed: int = 30,
) -> dict[str, Any]:
    return {
        "id": id,
        "item": item,
        "country": country,
        "quantity": quantity,
        "priority": priority,
        "needed_by": day(needed),
    }


def run(
    lots: list[dict[str, Any]],
    requests: list[dict[str, Any]],
    *,
    shelf: int = 0,
    transit: dict[str, dict[str, int]] | None = None,
    **extra: Any,
) -> dict[tuple[str, str], int]:
    problem = parse_problem(
        {
            "today": TODAY.isoformat(),
            "items": [{"id": "ors", "min_shelf_life_days": shelf}, {"id": "masks"}],
            "lots": lots,
            "requests": requests,
            "transit_days": {"KOR": {"LAO": 4, "THA": 3}, "JPN": {"LAO": 10}}
            if transit is None
            else transit,
            **extra,
        }
    )
    plan = solve(problem)
    return {(a.lot, a.request): a.quantity for a in plan.allocations}


def delivered(plan: dict[tuple[str, str], int], request: str) -> int:
    return sum(q for (_, r), q in plan.items() if r == request)


def test_the_issue_example_gives_the_issue_plan() -> None:
    problem = parse_problem(
        {
            "today": "2026-11-26",
            "priority_weights": {"critical": 8, "high": 4, "medium": 2, "low": 1},
            "items": [{"id": "ors-sachet", "min_shelf_life_days": 90}],
            "lots": [
                {
                    "id": "L1",
                    "item": "ors-sachet",
                    "holder": "KOR",
                    "quantity": 1000,
                    "expires_on": "2027-06-30",
                }
            ],
            "requests": [
                {
                    "id": "R1",
                    "item": "ors-sachet",
                    "country": "LAO",
                    "quantity": 500,
                    "priority": "critical",
                    "needed_by": "2026-12-05",
                }
            ],
            "transit_days": {"KOR": {"LAO": 4}},
        }
    )
    plan = solve(problem)
    assert [(a.lot, a.request, a.quantity, a.arrives_on.isoformat()) for a in plan.allocations] == [
        ("L1", "R1", 500, "2026-11-30")
    ]


def test_a_lot_ships_no_more_than_it_holds() -> None:
    assert run([lot("L1", 10)], [req("R1", 15)]) == {("L1", "R1"): 10}


def test_a_request_receives_no_more_than_it_asked() -> None:
    assert run([lot("L1", 100)], [req("R1", 30)]) == {("L1", "R1"): 30}


def test_lots_serve_only_their_item() -> None:
    plan = run([lot("L1", 100, item="masks")], [req("R1", 30)])
    assert plan == {}


def test_shelf_life_boundary() -> None:
    # Arrival after 4 days; the lot must keep 90 days: expiry at day 94 passes, 93 fails.
    assert run([lot("L1", 10, expires=94)], [req("R1", 10)], shelf=90) == {("L1", "R1"): 10}
    assert run([lot("L1", 10, expires=93)], [req("R1", 10)], shelf=90) == {}


def test_a_missing_transit_pair_means_no_shipment() -> None:
    assert run([lot("L1", 10, holder="JPN")], [req("R1", 10, country="THA")]) == {}


def test_a_holder_ships_to_itself_in_zero_days() -> None:
    problem = parse_problem(
        {
            "today": TODAY.isoformat(),
            "items": [{"id": "ors"}],
            "lots": [lot("L1", 10, holder="LAO")],
            "requests": [req("R1", 4, needed=0)],
            "transit_days": {},
        }
    )
    [allocation] = solve(problem).allocations
    assert (allocation.quantity, allocation.arrives_on) == (4, TODAY)


def test_whole_units_with_odd_quantities() -> None:
    plan = run([lot("L1", 7)], [req("R1", 4), req("R2", 4)])
    assert sorted(plan.values()) == [3, 4]
    assert all(isinstance(q, int) for q in plan.values())


def test_critical_wins_over_low_when_short() -> None:
    plan = run([lot("L1", 10)], [req("R1", 10, priority="low"), req("R2", 10, priority="critical")])
    assert plan == {("L1", "R2"): 10}


def test_weights_override_reverses_the_choice() -> None:
    plan = run(
        [lot("L1", 10)],
        [req("R1", 10, priority="low"), req("R2", 10, priority="critical")],
        priority_weights={"critical": 1, "low": 8},
    )
    assert plan == {("L1", "R1"): 10}


def test_equity_shares_a_short_lot_evenly() -> None:
    plan = run([lot("L1", 10)], [req("R1", 10), req("R2", 10)])
    assert plan == {("L1", "R1"): 5, ("L1", "R2"): 5}


def test_equity_with_three_sizes_maximises_the_smallest_fill_rate() -> None:
    plan = run([lot("L1", 12)], [req("R1", 4), req("R2", 8), req("R3", 12)])
    assert {r: delivered(plan, r) for r in ("R1", "R2", "R3")} == {"R1": 2, "R2": 4, "R3": 6}


def test_equity_in_whole_units_is_leximin() -> None:
    # 7 units for three requests of 3: the best smallest fill is 2/3 and only one of them
    # can be full; (3, 2, 2) in some order.
    plan = run([lot("L1", 7)], [req("R1", 3), req("R2", 3), req("R3", 3)])
    assert sorted(delivered(plan, r) for r in ("R1", "R2", "R3")) == [2, 2, 3]
    # 5 units for requests of 2 and 6: fill rates 1/2 and 3/6 tie at 1/2 (1 + 3 = 4 units),
    # and the last unit raises one of them: 2/2 + 3/6 or 1/2 + 4/6, both leximin-optimal.
    plan = run([lot("L1", 5)], [req("R1", 2), req("R2", 6)])
    assert (delivered(plan, "R1"), delivered(plan, "R2")) in {(2, 3), (1, 4)}


def test_equity_does_not_override_priority() -> None:
    plan = run(
        [lot("L1", 10)], [req("R1", 10, priority="critical"), req("R2", 10, priority="high")]
    )
    assert plan == {("L1", "R1"): 10}


def test_the_faster_holder_is_chosen_when_both_suffice() -> None:
    # KOR arrives in 4 days, JPN in 10; needed in 5 days. JPN's lot expires first, so FEFO
    # alone would pick it: lateness comes first.
    plan = run(
        [lot("FAST", 10, holder="KOR", expires=300), lot("SLOW", 10, holder="JPN", expires=200)],
        [req("R1", 10, needed=5)],
    )
    assert plan == {("FAST", "R1"): 10}


def test_the_earliest_expiring_lot_is_chosen_when_both_arrive_in_time() -> None:
    plan = run(
        [lot("LATE", 10, expires=400), lot("EARLY", 10, expires=120)], [req("R1", 10, needed=20)]
    )
    assert plan == {("EARLY", "R1"): 10}


def test_plan_is_sorted_and_without_zero_quantities() -> None:
    problem = parse_problem(
        {
            "today": TODAY.isoformat(),
            "items": [{"id": "ors"}],
            "lots": [lot("B", 5), lot("A", 5, expires=100)],
            "requests": [req("R2", 3), req("R1", 6), req("R0", 0)],
            "transit_days": {"KOR": {"LAO": 4}},
        }
    )
    plan: Plan = solve(problem)
    keys = [(a.request, a.lot) for a in plan.allocations]
    assert keys == sorted(keys)
    assert all(a.quantity > 0 for a in plan.allocations)
    found = evaluate(problem, plan)
    assert found.delivered == 9
    assert set(plan.stage_seconds) >= {"priority", "equity", "lateness", "fefo"}


def test_a_lot_bound_to_requests_serves_only_them() -> None:
    bound = dict(lot("PLEDGE", 10), for_requests=["R2"])
    plan = run([bound], [req("R1", 10, priority="critical"), req("R2", 10, priority="low")])
    assert plan == {("PLEDGE", "R2"): 10}
