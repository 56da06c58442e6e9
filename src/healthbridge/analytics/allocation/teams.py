"""Deployment of teams (WHO Emergency Medical Teams, field epidemiologists, laboratory
scientists) to team requests: an assignment MIP solved with HiGHS.

A team *qualifies* for a team request when

* it is of the type asked for, has every skill asked for and speaks at least one of the
  languages asked for (any language when the request names none);
* its holder can reach the country (``transit_days``; a holder reaches itself in 0 days);
* it leaves on ``max(today, available_from)`` and arrives ``transit`` days later, no later than
  ``needed_until``; and it stays available for the whole window (``available_until >=
  needed_until``).

Arriving after ``needed_from`` is allowed but counts as lateness (days). Each team serves at
most one request and each request takes at most one team. Stages, the first held at its
optimum during the second: maximise the priority-weighted number of requests filled, then
minimise the total days late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from healthbridge.analytics.allocation.highs import Model, SolverError
from healthbridge.analytics.allocation.plan import Deployment, sort_deployments
from healthbridge.analytics.allocation.problem import Problem, Team, TeamRequest

_INF = float("inf")


@dataclass(frozen=True, slots=True)
class TeamPair:
    """A team that qualifies for a team request, with its arrival and days late."""

    team: int
    team_request: int
    arrives_on: date
    late: int


def qualifies(problem: Problem, team: Team, wanted: TeamRequest) -> TeamPair | None:
    """The pair if ``team`` can serve ``wanted`` (indices left at -1), else None."""
    if team.type != wanted.type or not wanted.skills <= team.skills:
        return None
    if wanted.languages and not wanted.languages & team.languages:
        return None
    days = problem.transit(team.holder, wanted.country)
    if days is None or team.available_until < wanted.needed_until:
        return None
    departs = max(problem.today, team.available_from).toordinal()
    arrives = departs + days
    if arrives > wanted.needed_until.toordinal():
        return None
    late = max(0, arrives - wanted.needed_from.toordinal())
    return TeamPair(-1, -1, date.fromordinal(arrives), late)


def team_pairs(problem: Problem) -> list[TeamPair]:
    """Every (team, team request) pair that qualifies."""
    pairs: list[TeamPair] = []
    for i, team in enumerate(problem.teams):
        for j, wanted in enumerate(problem.team_requests):
            found = qualifies(problem, team, wanted)
            if found is not None:
                pairs.append(TeamPair(i, j, found.arrives_on, found.late))
    return pairs


def deploy(problem: Problem) -> tuple[Deployment, ...]:
    """The optimal deployments, sorted by team request id then team id."""
    pairs = team_pairs(problem)
    if not pairs:
        return ()
    model = Model()
    model.add_cols([0.0] * len(pairs), [1.0] * len(pairs), integer=True)
    by_team: dict[int, list[int]] = {}
    by_request: dict[int, list[int]] = {}
    for c, pair in enumerate(pairs):
        by_team.setdefault(pair.team, []).append(c)
        by_request.setdefault(pair.team_request, []).append(c)
    rows = [(cols, [1.0] * len(cols)) for cols in (*by_team.values(), *by_request.values())]
    model.add_rows([-_INF] * len(rows), [1.0] * len(rows), rows)
    weights = {
        c: -problem.weight(problem.team_requests[p.team_request].priority)
        for c, p in enumerate(pairs)
    }
    values, _, _ = model.solve(weights, mip=True)
    chosen = [c for c in range(len(pairs)) if values[c] > 0.5]
    best = sum(weights[c] for c in chosen)
    cols = list(weights)
    model.add_rows(
        [-_INF], [best + 1e-9 * max(1.0, abs(best))], [(cols, [weights[c] for c in cols])]
    )
    lateness = {c: float(p.late) for c, p in enumerate(pairs)}
    if any(lateness[c] > 0 for c in chosen):
        values, _, _ = model.solve(lateness, mip=True)
        chosen = [c for c in range(len(pairs)) if values[c] > 0.5]
    if any(abs(values[c] - round(values[c])) > 1e-6 for c in range(len(pairs))):
        raise SolverError("HiGHS returned a fractional team deployment")
    return sort_deployments(
        [
            Deployment(
                problem.teams[pairs[c].team].id,
                problem.team_requests[pairs[c].team_request].id,
                pairs[c].arrives_on,
            )
            for c in chosen
        ]
    )
