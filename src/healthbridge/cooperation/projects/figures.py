"""The figures a project shows: its budget, what it disbursed, and each indicator's progress.

Totals are in the project's default currency; values in another currency are left out of them
(they are still listed, with their currency, in the budgets and transactions).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from healthbridge.cooperation.projects import codelists
from healthbridge.cooperation.projects.models import Budget, Project, Transaction
from healthbridge.cooperation.projects.validation import decimal_of

ZERO = Decimal("0.00")
REVISED = 2


def _in_default_currency(project: Project, item: Budget | Transaction) -> bool:
    return item.currency is None or item.currency == project.default_currency


def plain_number(value: Decimal) -> str:
    """A number without exponent or trailing zeros after the point: ``80``, ``33.33``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def budget_total(project: Project) -> Decimal:
    """The project's budget: per period, the revised budgets where there are any, else the
    original ones (IATI: a revised budget replaces the original budget of its period)."""
    periods: dict[tuple[dt.date, dt.date], list[Budget]] = defaultdict(list)
    for budget in project.budgets:
        if _in_default_currency(project, budget):
            periods[(budget.period_start, budget.period_end)].append(budget)
    total = ZERO
    for budgets in periods.values():
        revised = [b for b in budgets if b.type == REVISED]
        total += sum((b.value for b in revised or budgets), ZERO)
    return total


def disbursed_total(project: Project) -> Decimal:
    """Disbursements and expenditure (IATI transaction types 3 and 4)."""
    return sum(
        (
            t.value
            for t in project.transactions
            if t.type in codelists.DISBURSED_TYPES and _in_default_currency(project, t)
        ),
        ZERO,
    )


def progress(
    *,
    measure: int,
    ascending: bool,
    baseline: str | None,
    target: str | None,
    actual: str | None,
) -> Decimal | None:
    """How far the actual value has come from the baseline towards the target, in percent.

    Without a baseline the way starts at zero. A descending indicator (lower is better) counts
    the way down. ``None`` for qualitative indicators, a missing value, or a target equal to
    the baseline. Not clamped: 120 means the target was passed.
    """
    if measure not in codelists.NUMERIC_MEASURES:
        return None
    goal, reached = decimal_of(target), decimal_of(actual)
    start = decimal_of(baseline) or Decimal(0)
    if goal is None or reached is None:
        return None
    way = goal - start if ascending else start - goal
    if way == 0:
        return None
    done = reached - start if ascending else start - reached
    return (done * 100 / way).quantize(Decimal("0.1"))
