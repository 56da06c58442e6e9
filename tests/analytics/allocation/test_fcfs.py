"""First-come-first-served: the baseline plan."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from healthbridge.analytics.allocation import evaluate, fcfs, parse_problem, solve
from healthbridge.analytics.allocation.fcfs import request_order

TODAY = date(2026, 11, 26)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def problem(
    lots: list[tuple[str, int, int]], requests: list[dict[str, Any]], shelf: int = 0
) -> Any:
    return parse_problem(
        {
            "today": TODAY.isoformat(),
            "items": [{"id": "ors", "min_shelf_life_days": shelf}],
            "lots": [
                {"id": i, "item": "ors", "holder": "KOR", "quantity": q, "expires_on": day(e)}
                for i, q, e in lots
            ],
            "requests": [
                {"item": "ors", "country": "LAO", "priority": "high", "needed_by": day(10), **r}
                for r in requests
            ],
            "transit_days": {"KOR": {"LAO": 4}},
        }
    )


def shipped(plan: Any) -> dict[tuple[str, str], int]:
    return {(a.lot, a.request): a.quantity for a in plan.allocations}


def test_input_order_and_earliest_expiry_first() -> None:
    p = problem(
        [("L-late", 10, 300), ("L-early", 6, 100)],
        [{"id": "B", "quantity": 8}, {"id": "A", "quantity": 8, "priority": "critical"}],
    )
    assert shipped(fcfs(p)) == {("L-early", "B"): 6, ("L-late", "B"): 2, ("L-late", "A"): 8}


def test_requested_at_orders_the_queue_and_missing_stamps_come_last() -> None:
    p = problem(
        [("L1", 5, 300)],
        [
            {"id": "R1", "quantity": 5},
            {"id": "R2", "quantity": 5, "requested_at": "2026-11-25T10:00:00Z"},
            {"id": "R3", "quantity": 5, "requested_at": "2026-11-24"},
        ],
    )
    assert [r.id for r in request_order(p)] == ["R3", "R2", "R1"]
    assert shipped(fcfs(p)) == {("L1", "R3"): 5}


def test_fcfs_skips_lots_too_close_to_expiry() -> None:
    p = problem([("OLD", 10, 50), ("NEW", 10, 400)], [{"id": "R1", "quantity": 10}], shelf=90)
    assert shipped(fcfs(p)) == {("NEW", "R1"): 10}


def test_the_optimum_beats_fcfs_when_the_queue_is_in_the_wrong_order() -> None:
    p = problem(
        [("L1", 10, 300)],
        [
            {"id": "LOW", "quantity": 10, "priority": "low"},
            {"id": "CRIT", "quantity": 10, "priority": "critical"},
        ],
    )
    assert shipped(fcfs(p)) == {("L1", "LOW"): 10}
    assert evaluate(p, solve(p)).priority_weighted == 80 > evaluate(p, fcfs(p)).priority_weighted
