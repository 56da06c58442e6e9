"""Plans (allocations of lots to requests, deployments of teams) and what they achieve.

A :class:`Plan` is only *what* is shipped; :func:`evaluate` measures it against a problem with the
same yardsticks whichever method made it (the lexicographic optimum or first-come-first-served),
and :func:`plan_to_dict` gives the ``plan.json`` document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from healthbridge.analytics.allocation.problem import PRIORITIES, Problem

#: Digits kept for fill rates and non-integer objective values in ``plan.json``.
DIGITS = 6


@dataclass(frozen=True, slots=True)
class Allocation:
    """``quantity`` units of ``lot`` shipped to ``request``, arriving on ``arrives_on``."""

    lot: str
    request: str
    quantity: int
    arrives_on: date


@dataclass(frozen=True, slots=True)
class Deployment:
    """``team`` sent to ``team_request``, arriving on ``arrives_on``."""

    team: str
    team_request: str
    arrives_on: date


@dataclass(frozen=True)
class Plan:
    """Allocations sorted by request id then lot id (no zero quantities), and deployments
    sorted by team request id then team id. ``stage_seconds`` holds the solve time of each
    stage (not part of ``plan.json``: it changes from run to run)."""

    allocations: tuple[Allocation, ...]
    deployments: tuple[Deployment, ...] = ()
    method: str = "lexicographic"
    stage_seconds: Mapping[str, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Evaluation:
    """What a plan achieves on a problem.

    ``priority_weighted`` is objective 1; ``equity`` holds each item's fill rates of its
    requests (those asking for more than 0), sorted ascending (objective 2 compares these
    lexicographically); ``lateness`` (unit-days late past ``needed_by``) and ``fefo``
    (unit-days of shelf life left at ``today`` on the lots used) are objective 3.
    """

    priority_weighted: float
    equity: Mapping[str, tuple[float, ...]]
    lateness: int
    fefo: int
    requested: int
    delivered: int
    delivered_by_request: Mapping[str, int]
    teams_weighted: float = 0.0
    teams_filled: int = 0
    team_lateness: int = 0


def sort_allocations(allocations: list[Allocation]) -> tuple[Allocation, ...]:
    """The allocations in ``plan.json`` order, without zero quantities."""
    kept = [a for a in allocations if a.quantity > 0]
    return tuple(sorted(kept, key=lambda a: (a.request, a.lot)))


def sort_deployments(deployments: list[Deployment]) -> tuple[Deployment, ...]:
    """The deployments in ``plan.json`` order."""
    return tuple(sorted(deployments, key=lambda d: (d.team_request, d.team)))


def evaluate(problem: Problem, plan: Plan) -> Evaluation:
    """Measure ``plan`` on ``problem`` (the plan is assumed feasible; see the tests' checker)."""
    requests = {r.id: r for r in problem.requests}
    lots = {lot.id: lot for lot in problem.lots}
    delivered: dict[str, int] = defaultdict(int)
    lateness = 0
    fefo = 0
    for allocation in plan.allocations:
        request = requests[allocation.request]
        lot = lots[allocation.lot]
        delivered[request.id] += allocation.quantity
        late = (allocation.arrives_on - request.needed_by).days
        lateness += allocation.quantity * max(0, late)
        fefo += allocation.quantity * (lot.expires_on - problem.today).days
    weighted = sum(problem.weight(r.priority) * delivered[r.id] for r in problem.requests)
    rates: dict[str, list[float]] = defaultdict(list)
    for r in problem.requests:
        if r.quantity > 0:
            rates[r.item].append(delivered[r.id] / r.quantity)
    team_requests = {t.id: t for t in problem.team_requests}
    teams_weighted = 0.0
    team_lateness = 0
    for deployment in plan.deployments:
        wanted = team_requests[deployment.team_request]
        teams_weighted += problem.weight(wanted.priority)
        team_lateness += max(0, (deployment.arrives_on - wanted.needed_from).days)
    return Evaluation(
        priority_weighted=weighted,
        equity={item: tuple(sorted(values)) for item, values in sorted(rates.items())},
        lateness=lateness,
        fefo=fefo,
        requested=sum(r.quantity for r in problem.requests),
        delivered=sum(delivered.values()),
        delivered_by_request={r.id: delivered[r.id] for r in problem.requests},
        teams_weighted=teams_weighted,
        teams_filled=len(plan.deployments),
        team_lateness=team_lateness,
    )


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, DIGITS)


def _rate(delivered: int, requested: int) -> float | None:
    return round(delivered / requested, DIGITS) if requested else None


def _fills(groups: Mapping[str, tuple[int, int]]) -> dict[str, dict[str, Any]]:
    return {
        key: {"requested": asked, "delivered": got, "fill_rate": _rate(got, asked)}
        for key, (asked, got) in sorted(groups.items())
    }


def summarise(problem: Problem, plan: Plan) -> dict[str, Any]:
    """The ``summary`` of ``plan.json``: objective values, fill rates and unmet quantities."""
    found = evaluate(problem, plan)
    by_country: dict[str, tuple[int, int]] = {}
    by_item: dict[str, tuple[int, int]] = {}
    by_priority: dict[str, tuple[int, int]] = {p: (0, 0) for p in PRIORITIES}
    for r in problem.requests:
        got = found.delivered_by_request[r.id]
        for groups, key in ((by_country, r.country), (by_item, r.item), (by_priority, r.priority)):
            asked, given = groups.get(key, (0, 0))
            groups[key] = (asked + r.quantity, given + got)
    unmet = {
        r.id: r.quantity - found.delivered_by_request[r.id]
        for r in sorted(problem.requests, key=lambda r: r.id)
    }
    summary: dict[str, Any] = {
        "method": plan.method,
        "objectives": {
            "priority_weighted_quantity": _number(found.priority_weighted),
            "equity_min_fill_rate": {
                item: round(rates[0], DIGITS) for item, rates in found.equity.items()
            },
            "equity_fill_rates": {
                item: [round(v, DIGITS) for v in rates] for item, rates in found.equity.items()
            },
            "lateness_unit_days": found.lateness,
            "fefo_unit_days": found.fefo,
        },
        "requested": found.requested,
        "delivered": found.delivered,
        "fill_rate": _rate(found.delivered, found.requested),
        "by_country": _fills(by_country),
        "by_item": _fills(by_item),
        "by_priority": {p: _fills(by_priority)[p] for p in PRIORITIES},
        "unmet": unmet,
        "unmet_by_priority": {p: by_priority[p][0] - by_priority[p][1] for p in PRIORITIES},
        "priority_weights": {p: _number(problem.weight(p)) for p in PRIORITIES},
    }
    if problem.has_teams:
        filled = {d.team_request for d in plan.deployments}
        summary["teams"] = {
            "requested": len(problem.team_requests),
            "filled": found.teams_filled,
            "priority_weighted_filled": _number(found.teams_weighted),
            "lateness_days": found.team_lateness,
            "unfilled": sorted(t.id for t in problem.team_requests if t.id not in filled),
        }
    return summary


def plan_to_dict(problem: Problem, plan: Plan, *, compare: Plan | None = None) -> dict[str, Any]:
    """The ``plan.json`` document; with ``compare`` (the first-come-first-served plan), its
    allocations and summary are added under ``summary["fcfs"]``."""
    summary = summarise(problem, plan)
    if compare is not None:
        summary["fcfs"] = {
            "allocations": [_allocation(a) for a in compare.allocations],
            "summary": summarise(problem, compare),
        }
    document: dict[str, Any] = {
        "allocations": [_allocation(a) for a in plan.allocations],
        "summary": summary,
    }
    if problem.has_teams:
        document["deployments"] = [
            {"team": d.team, "team_request": d.team_request, "arrives_on": d.arrives_on.isoformat()}
            for d in plan.deployments
        ]
    return document


def _allocation(a: Allocation) -> dict[str, Any]:
    return {
        "lot": a.lot,
        "request": a.request,
        "quantity": a.quantity,
        "arrives_on": a.arrives_on.isoformat(),
    }
