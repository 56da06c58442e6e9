"""First-come-first-served: the baseline the optimal plan is compared with.

Requests are served one after the other, in the order of ``requested_at`` when given (requests
without it come after those with it) and otherwise in input order. Each request takes, from the
lots of its item that can reach it with the minimum shelf life left, the earliest-expiring lot
first (ties: the lot id; lots bound to other requests by ``for_requests`` are skipped), as much
as the lot still holds, until it has what it asked for. It is
what a hand-run spreadsheet does; it ignores priorities, equity and lateness.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from healthbridge.analytics.allocation.plan import Allocation, Plan, sort_allocations
from healthbridge.analytics.allocation.problem import Lot, Problem, Request


def request_order(problem: Problem) -> list[Request]:
    """The requests in first-come-first-served order."""
    latest = datetime.max.replace(tzinfo=UTC)

    def key(indexed: tuple[int, Request]) -> tuple[bool, datetime, int]:
        index, request = indexed
        stamp = request.requested_at
        return (stamp is None, stamp or latest, index)

    return [request for _, request in sorted(enumerate(problem.requests), key=key)]


def fcfs(problem: Problem) -> Plan:
    """The first-come-first-served plan of ``problem`` (allocations only, no teams)."""
    left = {lot.id: lot.quantity for lot in problem.lots}
    lots_of: dict[str, list[Lot]] = defaultdict(list)
    for lot in problem.lots:
        lots_of[lot.item].append(lot)
    for lots in lots_of.values():
        lots.sort(key=lambda lot: (lot.expires_on, lot.id))
    today = problem.today.toordinal()
    allocations: list[Allocation] = []
    for request in request_order(problem):
        wanted = request.quantity
        shelf = problem.item(request.item).min_shelf_life_days
        for lot in lots_of[request.item]:
            if wanted <= 0:
                break
            days = problem.transit(lot.holder, request.country)
            if days is None or left[lot.id] <= 0 or not lot.may_serve(request.id):
                continue
            arrival = today + days
            if lot.expires_on.toordinal() - arrival < shelf:
                continue
            take = min(wanted, left[lot.id])
            left[lot.id] -= take
            wanted -= take
            allocations.append(Allocation(lot.id, request.id, take, date.fromordinal(arrival)))
    return Plan(allocations=_merge(allocations), method="fcfs")


def _merge(allocations: list[Allocation]) -> tuple[Allocation, ...]:
    return sort_allocations(allocations)
