"""The lexicographic allocation of lots to requests (HiGHS through ``highspy``).

Lots serve only requests of their own item, so the problem splits into one independent model
per item, solved in turn. For each item, with ``x[l, r]`` the whole units of lot ``l`` shipped to
request ``r`` (only for *feasible pairs*: a transit route exists and the lot keeps the item's
minimum shelf life on arrival) and ``d_r`` the units request ``r`` receives, the stages are, each
with the earlier ones held at their optimum:

1. ``priority``: maximise ``sum(weight[priority(r)] * d_r)``;
2. ``equity``: maximise the smallest fill rate ``d_r / q_r`` of the item's requests, then the
   next, as far as the model allows (iterated max-min in whole units, below);
3. ``lateness``: minimise ``sum(x[l, r] * max(0, arrival - needed_by))`` in unit-days, then
   ``fefo``: minimise ``sum(x[l, r] * (expires_on - today))``, the first-expiring lots first.
   Both keep at least the units the plan already delivers (a row ``sum(x) >= units``), so that
   neither can trade deliveries for fewer late or long-dated units.

Every model stays a transportation problem (lot rows, request rows, the units row: a network
matrix, totally unimodular), so each stage is an LP whose simplex vertex is a whole-number plan
(the one exception, the LP bound of equity step (a) below, is used for its value only).
A stage is held while the next ones run by complementary slackness: every column with a non-zero
reduced cost and every row with a non-zero dual is fixed at its value, which leaves exactly the
optimal face and keeps the matrix unimodular. Equity is held by lower bounds on the request
rows. After each stage the plan is checked to be integral and the earlier objectives are
re-evaluated; should anything be off by more than the tolerances (numerical trouble), the item
is solved again as MIPs with each stage held by an explicit row (objective within 1e-9,
relative, of its optimum).

Equity (iterated max-min over whole units). Requests whose delivery stage 1 already fixes (their
row or all their columns fixed) are constants and left out. For the others:

a. the highest level ``tau`` that all of them can reach together is found exactly: an LP bound,
   then a bisection over the candidate fill rates ``a / q_r`` above the best plan found, each step
   a feasibility LP with the request rows' lower bounds at ``ceil(tau * q_r)``;
b. of the requests sitting exactly at ``tau``, as many as possible are raised by one unit in one
   LP (among as many, those whose unit raises their fill rate most, i.e. the smaller requests);
   the others are *saturated* and keep ``tau`` as a lower bound;
c. repeat with the requests not saturated, until none is left or all are full.

Guaranteed: objective 1 exactly; the smallest fill rate of each item is the largest possible in
whole units, and at every later level the fill rates are max-min optimal given the earlier
levels, with the fewest requests left at each level. With whole units the feasible fill-rate
vectors are a finite set, not a convex one, so the choice of *which* requests rise at a level
can matter for the next levels; the tie-break of (b) handles the cases seen (a brute-force
comparison over thousands of random small instances found the leximin optimum every time; see
``tests/analytics/allocation/test_properties.py``) but is not proven to give the leximin optimum
in general. Equity is then held per request (each keeps its level), so lateness and FEFO are
optimised over the plans giving every request at least its level, a subset of all leximin-optimal
plans.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from healthbridge.analytics.allocation.highs import Model, SolverError
from healthbridge.analytics.allocation.plan import Allocation, Deployment, Plan, sort_allocations
from healthbridge.analytics.allocation.problem import Item, Lot, Problem, Request
from healthbridge.analytics.allocation.teams import deploy

#: The stages, in lexicographic order (keys of :attr:`Plan.stage_seconds`).
STAGES: tuple[str, ...] = ("priority", "equity", "lateness", "fefo", "teams")

_INTEGRAL = 1e-6
_DUAL = 1e-7
_HOLD = 1e-9
_INF = float("inf")

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Pair:
    """A feasible (lot, request) pair of one item: lot can reach request in time and fresh."""

    lot: int
    request: int
    arrival: int  # ordinal of the arrival date
    late: int  # days late past needed_by (0 when on time)
    fefo: int  # days from today to the lot's expiry
    upper: int  # min(lot quantity, request quantity)


def feasible_pairs(
    problem: Problem, item: Item, lots: Sequence[Lot], requests: Sequence[Request]
) -> list[Pair]:
    """Every pair of a lot and a request of ``item`` that may ship (positive quantities, the
    lot not bound to other requests, a transit route, and ``expires_on - arrival >=
    min_shelf_life_days``)."""
    today = problem.today.toordinal()
    pairs: list[Pair] = []
    for i, lot in enumerate(lots):
        if lot.quantity <= 0:
            continue
        expiry = lot.expires_on.toordinal()
        for j, request in enumerate(requests):
            if request.quantity <= 0 or not lot.may_serve(request.id):
                continue
            days = problem.transit(lot.holder, request.country)
            if days is None:
                continue
            arrival = today + days
            if expiry - arrival < item.min_shelf_life_days:
                continue
            late = max(0, arrival - request.needed_by.toordinal())
            upper = min(lot.quantity, request.quantity)
            pairs.append(Pair(i, j, arrival, late, expiry - today, upper))
    return pairs


class _Inconsistent(Exception):
    """The unimodular shortcut produced a plan that breaks an earlier stage (numerics)."""


class _ItemSolver:
    def __init__(
        self,
        problem: Problem,
        lots: Sequence[Lot],
        requests: Sequence[Request],
        pairs: list[Pair],
        timings: dict[str, float],
        *,
        use_duals: bool,
    ) -> None:
        self.lots = lots
        self.requests = requests
        self.pairs = pairs
        self.timings = timings
        self.unimodular = use_duals
        self.weights = [problem.weight(r.priority) for r in requests]
        n = len(pairs)
        self.model = Model()
        self.model.add_cols([0.0] * n, [float(p.upper) for p in pairs], integer=True)
        self.cols_of_lot: dict[int, list[int]] = defaultdict(list)
        self.cols_of_request: dict[int, list[int]] = defaultdict(list)
        for index, pair in enumerate(pairs):
            self.cols_of_lot[pair.lot].append(index)
            self.cols_of_request[pair.request].append(index)
        lot_rows = [(cols, [1.0] * len(cols)) for cols in self.cols_of_lot.values()]
        lot_upper = [float(lots[i].quantity) for i in self.cols_of_lot]
        self.model.add_rows([-_INF] * len(lot_rows), lot_upper, lot_rows)
        self.request_ids = list(self.cols_of_request)
        first = self.model.add_rows(
            [-_INF] * len(self.request_ids),
            [float(requests[j].quantity) for j in self.request_ids],
            [
                (self.cols_of_request[j], [1.0] * len(self.cols_of_request[j]))
                for j in self.request_ids
            ],
        )
        self.request_row = {j: first + k for k, j in enumerate(self.request_ids)}
        self.lower = {j: 0 for j in self.request_ids}
        self.fixed_rows: set[int] = set()
        self.fixed_cols: set[int] = set()
        #: Earlier objectives (costs over the x columns, optimum) to re-check in unimodular mode.
        self.held: list[tuple[dict[int, float], float]] = []
        self.x: IntArray = np.zeros(n, dtype=np.int64)

    # -- helpers ------------------------------------------------------------------------------

    def value(self, costs: dict[int, float], x: IntArray | None = None) -> float:
        chosen = self.x if x is None else x
        return float(sum(cost * float(chosen[j]) for j, cost in costs.items()))

    def fill_rates(self, x: IntArray, requests: Sequence[int]) -> list[float]:
        return [
            float(sum(int(x[c]) for c in self.cols_of_request[j])) / self.requests[j].quantity
            for j in requests
        ]

    def _round(self, values: npt.NDArray[np.float64]) -> IntArray:
        x = values[: len(self.pairs)]
        rounded = np.rint(x)
        if np.any(np.abs(x - rounded) > _INTEGRAL):
            raise _Inconsistent("fractional plan")
        return rounded.astype(np.int64)

    def _timed(self, stage: str, started: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started

    def _hold_row(self, costs: dict[int, float], optimum: float) -> None:
        """Keep ``sum(costs * x) <= optimum`` (a minimisation) with a small tolerance."""
        slack = _HOLD * max(1.0, abs(optimum))
        cols = list(costs)
        self.model.add_rows([-_INF], [optimum + slack], [(cols, [costs[c] for c in cols])])

    def _fix_face(
        self,
        values: npt.NDArray[np.float64],
        col_dual: npt.NDArray[np.float64],
        row_dual: npt.NDArray[np.float64],
    ) -> None:
        """Restrict the model to the optimal face of the LP just solved (complementary
        slackness): bound-fix columns with a non-zero reduced cost, make rows with a non-zero
        dual equalities at their activity. Keeps the constraint matrix, hence unimodularity."""
        cols = [
            j
            for j in range(len(self.pairs))
            if j not in self.fixed_cols and abs(col_dual[j]) > _DUAL
        ]
        x = np.rint(values[: len(self.pairs)])
        self.model.set_col_bounds(cols, [float(x[j]) for j in cols], [float(x[j]) for j in cols])
        self.fixed_cols.update(cols)
        activity = self.model.row_values()
        for row in range(self.model.num_rows):
            if row not in self.fixed_rows and abs(row_dual[row]) > _DUAL:
                level = float(np.rint(activity[row]))
                self.model.set_row_bounds(row, level, level)
                self.fixed_rows.add(row)

    def optimise(self, stage: str, costs: dict[int, float]) -> None:
        """Minimise ``costs`` over the current model, then hold the optimum."""
        started = time.perf_counter()
        try:
            if self.unimodular:
                values, col_dual, row_dual = self.model.solve(costs, mip=False)
                x = self._round(values)
                for earlier, optimum in self.held:
                    if self.value(earlier, x) > optimum + _HOLD * max(1.0, abs(optimum)):
                        raise _Inconsistent("an earlier stage lost its optimum")
                self.x = x
                optimum = self.value(costs)
                self._fix_face(values, col_dual, row_dual)
                self.held.append((costs, optimum))
            else:
                values, _, _ = self.model.solve(costs, mip=True)
                self.x = self._round(values)
                self._hold_row(costs, self.value(costs))
        finally:
            self._timed(stage, started)

    # -- the stages ---------------------------------------------------------------------------

    def run(self) -> IntArray:
        pairs = self.pairs
        self.optimise("priority", {c: -self.weights[p.request] for c, p in enumerate(pairs)})
        self.equity()
        units = int(self.x.sum())
        late = {c: float(p.late) for c, p in enumerate(pairs) if p.late > 0}
        lateness_now = self.value(late)
        fefo = {c: float(p.fefo) for c, p in enumerate(pairs) if c not in self.fixed_cols}
        stage3 = lateness_now > 0 or len({pairs[c].fefo for c in fefo}) > 1
        if not stage3:
            return self.x
        every = list(range(len(pairs)))
        self.model.add_rows([float(units)], [_INF], [(every, [1.0] * len(every))])
        if lateness_now > 0:
            self.optimise("lateness", late)
        elif late:
            # Already on time: keep it so by closing the late pairs (a bound change only).
            cols = [c for c in late if c not in self.fixed_cols]
            self.model.set_col_bounds(cols, [0.0] * len(cols), [0.0] * len(cols))
            self.fixed_cols.update(cols)
        fefo = {c: float(pairs[c].fefo) for c in range(len(pairs))}
        self.optimise("fefo", fefo)
        return self.x

    def _constant(self, request: int) -> bool:
        if self.request_row[request] in self.fixed_rows:
            return True
        return all(c in self.fixed_cols for c in self.cols_of_request[request])

    def equity(self) -> None:
        """Stage 2: leximin of the fill rates of the requests (see the module docstring)."""
        started = time.perf_counter()
        try:
            free = [j for j in self.request_ids if not self._constant(j)]
            if len(free) <= 1:
                return
            rates = self.fill_rates(self.x, free)
            if min(rates) >= 1.0:  # all full: hold it as row bounds
                for j in free:
                    self._set_lower(j, self.requests[j].quantity)
                return
            self._levels(free)
        finally:
            self._timed("equity", started)

    def _set_lower(self, request: int, lower: int) -> None:
        if self.lower[request] == lower:
            return
        self.lower[request] = lower
        quantity = float(self.requests[request].quantity)
        self.model.set_row_bounds(self.request_row[request], float(lower), quantity)

    def _feasible(self) -> IntArray | None:
        found = self.model.try_solve({}, mip=not self.unimodular)
        return None if found is None else self._round(found[0])

    def _delivered(self, x: IntArray, request: int) -> int:
        return sum(int(x[c]) for c in self.cols_of_request[request])

    def _max_min_bound(self, active: list[int]) -> float:
        """The LP bound on the smallest fill rate of ``active`` given the current bounds."""
        model = self.model
        t = model.add_cols([0.0], [1.0], integer=False)
        rows = []
        for j in active:
            cols = self.cols_of_request[j]
            rows.append(([t, *cols], [-float(self.requests[j].quantity), *([1.0] * len(cols))]))
        model.add_rows([0.0] * len(rows), [_INF] * len(rows), rows)
        try:
            values, _, _ = model.solve({t: -1.0}, mip=False)
        finally:
            model.drop_last(cols=1, rows=len(rows))
        return float(values[t])

    def _raise(self, binding: list[int]) -> tuple[IntArray, set[int]]:
        """Raise as many ``binding`` requests as possible one unit above their lower bounds, the
        others keeping theirs (one LP: maximise the number raised). Returns the plan and the
        requests raised."""
        model = self.model
        z = model.add_cols([0.0] * len(binding), [1.0] * len(binding), integer=True)
        rows = []
        lower = []
        for m, j in enumerate(binding):
            cols = self.cols_of_request[j]
            rows.append(([z + m, *cols], [-1.0, *([1.0] * len(cols))]))
            lower.append(float(self.lower[j]))
        model.add_rows(lower, [_INF] * len(rows), rows)
        try:
            # As many as possible; among as many, those whose unit raises their fill rate most
            # (the smaller requests): the tie-break terms add up to less than one request.
            share = 1.0 / (2.0 * len(binding))
            costs = {
                z + m: -(1.0 + share / self.requests[j].quantity) for m, j in enumerate(binding)
            }
            values, _, _ = model.solve(costs, mip=not self.unimodular)
        finally:
            model.drop_last(cols=len(binding), rows=len(rows))
        x = self._round(values)
        raised = {j for m, j in enumerate(binding) if self._delivered(x, j) > self.lower[j]}
        return x, raised

    def _level_of(self, x: IntArray, active: list[int]) -> Fraction:
        return min(Fraction(self._delivered(x, j), self.requests[j].quantity) for j in active)

    def _try_level(
        self, level: Fraction, active: list[int], base: dict[int, int]
    ) -> IntArray | None:
        """A plan giving every active request at least ``level`` (None if there is none); the
        lower bounds are left as they were when there is none."""
        before = {j: self.lower[j] for j in active}
        for j in active:
            self._set_lower(j, max(base[j], math.ceil(level * self.requests[j].quantity)))
        x = self._feasible()
        if x is None:
            for j in active:
                self._set_lower(j, before[j])
        return x

    def _highest_level(self, active: list[int], base: dict[int, int]) -> Fraction:
        """The highest level all ``active`` requests can reach together in whole units (exact:
        a bisection between the plan's level and the LP bound over the candidate fill rates
        ``a / q``). Leaves the lower bounds at that level and ``self.x`` reaching it."""
        quantity = {j: self.requests[j].quantity for j in active}
        bound = Fraction(self._max_min_bound(active)).limit_denominator(10**12)
        low = self._level_of(self.x, active)
        self._try_level(low, active, base)
        high = bound + Fraction(1, 10**6)  # above the LP bound, with room for its tolerance
        while True:
            # The smallest fill rate above ``low`` that some request can take.
            candidate = min(Fraction(math.floor(low * q) + 1, q) for q in quantity.values())
            if candidate >= high or low >= 1:
                for j in active:  # the plan self.x reaches them
                    self._set_lower(j, max(base[j], math.ceil(low * quantity[j])))
                return low
            middle = max(candidate, (low + high) / 2)
            x = self._try_level(middle, active, base)
            if x is None:
                high = middle
            else:
                self.x = x
                low = self._level_of(x, active)

    def _levels(self, free: list[int]) -> None:
        """Iterated max-min over whole units: find the highest level every active request can
        reach together, raise as many of the requests sitting exactly at it as possible (one
        LP maximising their number), keep the others there (a lower bound on their delivery),
        and repeat with the requests left."""
        quantity = {j: self.requests[j].quantity for j in free}
        active = sorted(free, key=lambda j: self.requests[j].id)
        while active:
            base = {j: self.lower[j] for j in active}
            level = self._highest_level(active, base)
            if level >= 1:
                for j in active:
                    self._set_lower(j, quantity[j])
                return
            binding = [
                j
                for j in active
                if (level * quantity[j]).denominator == 1 and self.lower[j] == level * quantity[j]
            ]
            x, raised = self._raise(binding)
            for j in raised:
                self._set_lower(j, self.lower[j] + 1)
            self.x = x
            if len(raised) == len(binding):  # the level was not the highest: numerical trouble
                raise _Inconsistent("the max-min level could be raised")
            active = [
                j
                for j in active
                if (j not in binding or j in raised) and self.lower[j] < quantity[j]
            ]


def solve(
    problem: Problem,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """The lexicographically optimal plan of ``problem`` (allocations and team deployments).

    ``progress(done, total)`` is called after each item. Raises :class:`SolverError` if HiGHS
    fails to prove a stage optimal (never for a valid problem, barring numerical trouble).
    """
    timings: dict[str, float] = {}
    lots_of: dict[str, list[Lot]] = defaultdict(list)
    requests_of: dict[str, list[Request]] = defaultdict(list)
    for lot in problem.lots:
        lots_of[lot.item].append(lot)
    for request in problem.requests:
        requests_of[request.item].append(request)
    allocations: list[Allocation] = []
    for done, item in enumerate(problem.items, start=1):
        allocations.extend(
            solve_item(problem, item, lots_of[item.id], requests_of[item.id], timings)
        )
        if progress is not None:
            progress(done, len(problem.items))
    deployments: tuple[Deployment, ...] = ()
    if problem.teams and problem.team_requests:
        started = time.perf_counter()
        deployments = deploy(problem)
        timings["teams"] = time.perf_counter() - started
    return Plan(
        allocations=sort_allocations(allocations),
        deployments=deployments,
        method="lexicographic",
        stage_seconds={stage: timings.get(stage, 0.0) for stage in STAGES},
    )


def solve_item(
    problem: Problem,
    item: Item,
    lots: Sequence[Lot],
    requests: Sequence[Request],
    timings: dict[str, float] | None = None,
) -> list[Allocation]:
    """The allocations of one item (unsorted)."""
    timings = {} if timings is None else timings
    pairs = feasible_pairs(problem, item, lots, requests)
    if not pairs:
        return []
    try:
        x = _ItemSolver(problem, lots, requests, pairs, timings, use_duals=True).run()
    except _Inconsistent:
        try:
            x = _ItemSolver(problem, lots, requests, pairs, timings, use_duals=False).run()
        except _Inconsistent as exc:
            raise SolverError(f"item {item.id!r}: HiGHS returned a fractional plan") from exc
    _check(item, lots, requests, pairs, x)
    return [
        Allocation(lots[p.lot].id, requests[p.request].id, int(x[c]), _date(p.arrival))
        for c, p in enumerate(pairs)
        if x[c] > 0
    ]


def _date(ordinal: int) -> date:
    return date.fromordinal(ordinal)


def _check(
    item: Item, lots: Sequence[Lot], requests: Sequence[Request], pairs: list[Pair], x: IntArray
) -> None:
    """Re-check the hard constraints on the integer plan (guards against numerical trouble)."""
    shipped: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for c, pair in enumerate(pairs):
        if x[c] < 0:
            raise SolverError(f"item {item.id!r}: negative quantity in the plan")
        shipped[pair.lot] += int(x[c])
        received[pair.request] += int(x[c])
    if any(shipped[i] > lots[i].quantity for i in shipped) or any(
        received[j] > requests[j].quantity for j in received
    ):
        raise SolverError(f"item {item.id!r}: the plan breaks a capacity (numerical trouble)")
