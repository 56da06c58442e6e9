"""Benchmark of the allocation kernel: a region-scale instance solved lexicographically, and
first-come-first-served on the same instance.

Builds a seeded random instance shaped like the region (issue #6): 14 holders (the 13 ASEAN
Plus Three countries' national stockpiles and the regional reserve), 500 items, 5,000 lots,
5,000 requests from the 13 countries, with transit times of 1-12 days (some routes missing),
minimum shelf lives, expiries and needed-by dates such that some items are short and some
lots too close to expiry. Prints

* the solve time of each lexicographic stage and the total (target: under 10 s on 2 cores);
* the objective values of the optimal plan and of first-come-first-served, and the unmet
  critical need of both.

    .venv/bin/python bench/allocate.py                      # issue's instance
    .venv/bin/python bench/allocate.py --items 50 --lots 2000 --requests 1000
    .venv/bin/python bench/allocate.py --write problem.json  # also save the instance
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date, timedelta
from typing import Any

from healthbridge.analytics.allocation import (
    PRIORITIES,
    evaluate,
    fcfs,
    parse_problem,
    solve,
)

COUNTRIES = (
    "BRN",
    "KHM",
    "IDN",
    "LAO",
    "MYS",
    "MMR",
    "PHL",
    "SGP",
    "THA",
    "VNM",
    "KOR",
    "JPN",
    "CHN",
)
RESERVE = "ASEAN-RRMS"
PRIORITY_SHARES = (0.15, 0.30, 0.30, 0.25)


def region_instance(
    *, seed: int, items: int, lots: int, requests: int, shortage: float = 1.25
) -> dict[str, Any]:
    """A problem.json document; ``shortage`` is total demand over total supply (on average)."""
    rng = random.Random(seed)
    today = date(2026, 11, 26)
    holders = (*COUNTRIES, RESERVE)
    transit: dict[str, dict[str, int]] = {}
    for holder in holders:
        row = {}
        for country in COUNTRIES:
            if country == holder:
                continue
            if rng.random() < 0.85:
                row[country] = rng.randint(1, 12)
        transit[holder] = row
    item_ids = [f"item-{k:03d}" for k in range(items)]
    document_items = [
        {"id": i, "min_shelf_life_days": rng.choice((0, 30, 60, 90, 180))} for i in item_ids
    ]
    # Some items are asked for (and held) several times more often than others.
    popularity = [rng.lognormvariate(0.0, 0.5) for _ in item_ids]
    document_lots = []
    for k in range(lots):
        item = rng.choices(item_ids, weights=popularity)[0]
        document_lots.append(
            {
                "id": f"LOT-{k:05d}",
                "item": item,
                "holder": rng.choice(holders),
                "quantity": rng.randint(50, 2000),
                "expires_on": (today + timedelta(days=rng.randint(20, 900))).isoformat(),
            }
        )
    mean_lot = 1025
    mean_request = mean_lot * shortage * lots / max(requests, 1)
    document_requests = []
    for k in range(requests):
        item = rng.choices(item_ids, weights=popularity)[0]
        document_requests.append(
            {
                "id": f"REQ-{k:05d}",
                "item": item,
                "country": rng.choice(COUNTRIES),
                "quantity": max(1, int(rng.expovariate(1 / mean_request))),
                "priority": rng.choices(PRIORITIES, weights=PRIORITY_SHARES)[0],
                "needed_by": (today + timedelta(days=rng.randint(1, 30))).isoformat(),
                "requested_at": (today - timedelta(days=rng.randint(0, 20))).isoformat(),
            }
        )
    return {
        "today": today.isoformat(),
        "items": document_items,
        "lots": document_lots,
        "requests": document_requests,
        "transit_days": transit,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--lots", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--shortage", type=float, default=1.25)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--write", help="Also write the instance as problem.json here.")
    options = parser.parse_args(argv)

    document = region_instance(
        seed=options.seed,
        items=options.items,
        lots=options.lots,
        requests=options.requests,
        shortage=options.shortage,
    )
    if options.write:
        with open(options.write, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1)
    started = time.perf_counter()
    problem = parse_problem(document)
    parsed = time.perf_counter() - started
    print(
        f"instance: {len(problem.items)} items, {len(problem.lots)} lots, "
        f"{len(problem.requests)} requests, {len(problem.transit_days)} holders, "
        f"{len(COUNTRIES)} requesting countries (seed {options.seed}, demand/supply "
        f"{options.shortage:g})"
    )
    print(f"parse: {parsed:.3f} s")

    started = time.perf_counter()
    plan = solve(problem)
    total = time.perf_counter() - started
    print("lexicographic solve, time per stage:")
    for stage, seconds in plan.stage_seconds.items():
        print(f"  {stage:<9} {seconds:8.3f} s")
    print(f"  {'total':<9} {total:8.3f} s  (target < 10 s)")

    started = time.perf_counter()
    baseline = fcfs(problem)
    fcfs_seconds = time.perf_counter() - started
    print(f"first-come-first-served: {fcfs_seconds:.3f} s")

    best, first = evaluate(problem, plan), evaluate(problem, baseline)
    requests = {r.id: r for r in problem.requests}

    def unmet(priority: str, delivered: dict[str, int]) -> int:
        return sum(
            r.quantity - delivered[r.id] for r in requests.values() if r.priority == priority
        )

    def min_fill(evaluation: Any) -> float:
        rates = [v[0] for v in evaluation.equity.values() if v]
        return sum(rates) / len(rates) if rates else 1.0

    rows = [
        ("priority-weighted quantity", best.priority_weighted, first.priority_weighted),
        ("units delivered", best.delivered, first.delivered),
        ("mean of items' min fill rate", min_fill(best), min_fill(first)),
        ("lateness (unit-days)", best.lateness, first.lateness),
        ("FEFO term (unit-days)", best.fefo, first.fefo),
    ]
    rows += [
        (
            f"unmet {p} need (units)",
            unmet(p, best.delivered_by_request),
            unmet(p, first.delivered_by_request),
        )
        for p in PRIORITIES
    ]
    print(f"\n{'objective':<30} {'optimal':>14} {'FCFS':>14}")
    for name, a, b in rows:
        print(
            f"{name:<30} {a:>14,.3f} {b:>14,.3f}"
            if isinstance(a, float) and not a.is_integer()
            else f"{name:<30} {a:>14,.0f} {b:>14,.0f}"
        )
    print(f"requested units: {best.requested:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
