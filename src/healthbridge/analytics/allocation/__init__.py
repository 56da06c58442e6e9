"""Allocation of scarce medical resources: lots of supplies to requests, and teams to team
requests, by lexicographic optimisation with HiGHS (issue #6).

``parse_problem`` checks a ``problem.json`` document, ``solve`` returns the optimal
:class:`Plan`, ``fcfs`` the first-come-first-served baseline, and ``plan_to_dict`` the
``plan.json`` document. See ``docs/methods-allocation.md`` for the model and the formats.
"""

from healthbridge.analytics.allocation.fcfs import fcfs
from healthbridge.analytics.allocation.highs import SolverError
from healthbridge.analytics.allocation.plan import (
    Allocation,
    Deployment,
    Evaluation,
    Plan,
    evaluate,
    plan_to_dict,
    summarise,
)
from healthbridge.analytics.allocation.problem import (
    DEFAULT_PRIORITY_WEIGHTS,
    PRIORITIES,
    TEAM_TYPES,
    Item,
    Lot,
    Problem,
    ProblemError,
    Request,
    Team,
    TeamRequest,
    parse_problem,
)
from healthbridge.analytics.allocation.solver import STAGES, solve

__all__ = [
    "DEFAULT_PRIORITY_WEIGHTS",
    "PRIORITIES",
    "STAGES",
    "TEAM_TYPES",
    "Allocation",
    "Deployment",
    "Evaluation",
    "Item",
    "Lot",
    "Plan",
    "Problem",
    "ProblemError",
    "Request",
    "SolverError",
    "Team",
    "TeamRequest",
    "evaluate",
    "fcfs",
    "parse_problem",
    "plan_to_dict",
    "solve",
    "summarise",
]
