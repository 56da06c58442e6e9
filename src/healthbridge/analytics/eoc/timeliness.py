"""7-1-7 timeliness of outbreak detection, notification and early response.

Frieden TR, Lee CT, Bochner AF, Buissonnière M, McClelland A (2021). 7-1-7: an organising
principle, target, and accountability metric to make the world safer from pandemics. *Lancet*
398(10300), 638–640; Resolve to Save Lives, *7-1-7 target* guidance: an outbreak is detected
within 7 days of its (estimated) emergence, notified to the public health authority responsible
for action within 1 day of detection, and the seven early-response actions are completed within
7 days of notification.

Days are whole calendar days between dates (``later - earlier``); a target is met when the
interval is at most the target. A target with a missing date is *pending* while its window is
still open on ``today`` (or cannot start yet, its start date being unknown), and *missed* once
the window has passed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

import numpy as np


class Status(StrEnum):
    """Where an event stands against one target."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"


class Step(StrEnum):
    """The three 7-1-7 intervals."""

    DETECTION = "detection"
    NOTIFICATION = "notification"
    RESPONSE = "response"


#: Target in days per step: 7-1-7.
TARGET_DAYS: Final[dict[Step, int]] = {Step.DETECTION: 7, Step.NOTIFICATION: 1, Step.RESPONSE: 7}


class EarlyResponseAction(StrEnum):
    """The seven early-response actions of the 7-1-7 guidance, in its order."""

    INVESTIGATION = "investigation"
    EPI_ANALYSIS_RISK_ASSESSMENT = "epi_analysis_risk_assessment"
    LAB_CONFIRMATION = "lab_confirmation"
    CASE_MANAGEMENT_IPC = "case_management_ipc"
    COMMUNITY_COUNTERMEASURES = "community_countermeasures"
    RISK_COMMUNICATION = "risk_communication"
    COORDINATION = "coordination"

    @property
    def label(self) -> str:
        """The action as the guidance words it."""
        return ACTION_LABELS[self]


ACTION_LABELS: Final[dict[EarlyResponseAction, str]] = {
    EarlyResponseAction.INVESTIGATION: "Initiate investigation or deploy response team",
    EarlyResponseAction.EPI_ANALYSIS_RISK_ASSESSMENT: (
        "Conduct epidemiological analysis and initial risk assessment"
    ),
    EarlyResponseAction.LAB_CONFIRMATION: "Obtain laboratory confirmation",
    EarlyResponseAction.CASE_MANAGEMENT_IPC: (
        "Initiate appropriate case management and IPC measures in health facilities"
    ),
    EarlyResponseAction.COMMUNITY_COUNTERMEASURES: (
        "Initiate appropriate public health countermeasures in affected communities"
    ),
    EarlyResponseAction.RISK_COMMUNICATION: (
        "Initiate appropriate risk communication and community engagement activities"
    ),
    EarlyResponseAction.COORDINATION: "Establish coordination mechanism (e.g. EOC activation)",
}


@dataclass(frozen=True, slots=True)
class EventDates:
    """The dates of one event, as recorded; any may still be unknown.

    ``actions`` holds the completion date of each early-response action done so far;
    ``not_applicable`` the actions that do not apply to this event (they are not waited for).
    """

    country: str
    emergence: date | None = None
    detection: date | None = None
    notification: date | None = None
    actions: Mapping[EarlyResponseAction, date] = field(default_factory=dict)
    not_applicable: frozenset[EarlyResponseAction] = frozenset()


@dataclass(frozen=True, slots=True)
class TargetResult:
    """One interval against its target."""

    step: Step
    target_days: int
    #: Days taken; None while the interval is open. Response days are floored at 0 (actions
    #: completed before notification).
    days: int | None
    status: Status
    #: The last day on which the target can still be met; None while its start is unknown.
    deadline: date | None
    #: ``days`` once the interval is closed, the days run so far (as of ``today``) while it is
    #: open, None while its start is unknown.
    elapsed_days: int | None


@dataclass(frozen=True, slots=True)
class Timeliness:
    """The 7-1-7 assessment of one event as of ``today``."""

    country: str
    #: Calendar quarter of detection (else emergence) as ``"2026-Q1"``; None if neither is known.
    quarter: str | None
    detection: TargetResult
    notification: TargetResult
    response: TargetResult
    #: What made a target be missed: ``"detection"``, ``"notification"``, or the label of each
    #: late early-response action; empty when nothing is missed.
    bottlenecks: tuple[str, ...]
    late_actions: tuple[EarlyResponseAction, ...]

    @property
    def results(self) -> tuple[TargetResult, TargetResult, TargetResult]:
        """The three targets in 7-1-7 order."""
        return (self.detection, self.notification, self.response)


def quarter_of(day: date) -> str:
    """The calendar quarter of ``day``: January–March is Q1, ..., October–December is Q4."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _check_order(event: EventDates) -> None:
    if not isinstance(event.country, str) or not event.country.strip():
        raise ValueError("country: a country code is required")
    for name in ("emergence", "detection", "notification"):
        value = getattr(event, name)
        if value is not None and not isinstance(value, date):
            raise ValueError(f"{name}: a date is required")
    pairs = (("detection", "emergence"), ("notification", "detection"))
    for later, earlier in pairs:
        a, b = getattr(event, later), getattr(event, earlier)
        if a is not None and b is not None and a < b:
            raise ValueError(f"{later}: {a.isoformat()} is before {earlier} {b.isoformat()}")
    for action in event.not_applicable:
        if action not in set(EarlyResponseAction):
            raise ValueError(f"not_applicable: {action!r} is not an early-response action")
    for action, done in event.actions.items():
        try:
            EarlyResponseAction(action)
        except ValueError:
            raise ValueError(f"actions: {action!r} is not an early-response action") from None
        name = f"actions.{EarlyResponseAction(action).value}"
        if not isinstance(done, date):
            raise ValueError(f"{name}: a date is required")
        if event.detection is not None and done < event.detection:
            raise ValueError(
                f"{name}: {done.isoformat()} is before detection {event.detection.isoformat()}"
            )


def _interval(step: Step, start: date | None, end: date | None, today: date) -> TargetResult:
    target = TARGET_DAYS[step]
    if start is None:
        return TargetResult(step, target, None, Status.PENDING, None, None)
    deadline = start + timedelta(days=target)
    if end is None:
        status = Status.MISSED if today > deadline else Status.PENDING
        return TargetResult(step, target, None, status, deadline, max(0, (today - start).days))
    days = (end - start).days
    status = Status.MET if days <= target else Status.MISSED
    return TargetResult(step, target, days, status, deadline, days)


def assess(event: EventDates, *, today: date) -> Timeliness:
    """The 7-1-7 metrics of one event as of ``today``, with the bottleneck named.

    Raises
    ------
    ValueError
        When dates are out of order (detection before emergence, notification before detection,
        an action completed before detection), not dates, or an action is unknown; the message
        starts with the field.
    """
    _check_order(event)
    detection = _interval(Step.DETECTION, event.emergence, event.detection, today)
    notification = _interval(Step.NOTIFICATION, event.detection, event.notification, today)

    applicable = [a for a in EarlyResponseAction if a not in event.not_applicable]
    done = {EarlyResponseAction(a): d for a, d in event.actions.items()}
    complete = all(a in done for a in applicable)
    finished = max((done[a] for a in applicable), default=event.notification) if complete else None
    response = _interval(Step.RESPONSE, event.notification, finished, today)
    if response.days is not None and response.days < 0:
        response = replace(response, days=0, elapsed_days=0)

    late: tuple[EarlyResponseAction, ...] = ()
    if response.status is Status.MISSED and response.deadline is not None:
        deadline = response.deadline
        late = tuple(a for a in applicable if a not in done or done[a] > deadline)
    bottlenecks = [r.step.value for r in (detection, notification) if r.status is Status.MISSED]
    bottlenecks += [a.label for a in late]

    anchor = event.detection or event.emergence
    return Timeliness(
        country=event.country,
        quarter=quarter_of(anchor) if anchor is not None else None,
        detection=detection,
        notification=notification,
        response=response,
        bottlenecks=tuple(bottlenecks),
        late_actions=late,
    )


@dataclass(frozen=True, slots=True)
class TargetSummary:
    """One target over a group of events. ``n_met + n_missed + n_pending`` is the group's size."""

    n_met: int
    n_missed: int
    n_pending: int
    #: Met among the events decided (met or missed); None when none is decided yet.
    share_met: float | None
    #: Median days among the events whose interval is closed; None when there is none.
    median_days: float | None


@dataclass(frozen=True, slots=True)
class RegionalRow:
    """7-1-7 performance of one country in one quarter."""

    country: str
    quarter: str
    n_events: int
    detection: TargetSummary
    notification: TargetSummary
    response: TargetSummary


def _summary(results: list[TargetResult]) -> TargetSummary:
    status = np.array([r.status.value for r in results])
    met = int(np.count_nonzero(status == Status.MET.value))
    missed = int(np.count_nonzero(status == Status.MISSED.value))
    days = np.array([r.days for r in results if r.days is not None], dtype=float)
    return TargetSummary(
        n_met=met,
        n_missed=missed,
        n_pending=len(results) - met - missed,
        share_met=met / (met + missed) if met + missed else None,
        median_days=float(np.median(days)) if days.size else None,
    )


def regional_table(records: Iterable[Timeliness]) -> list[RegionalRow]:
    """7-1-7 performance by country and quarter, sorted by country then quarter.

    Events with no quarter (neither detection nor emergence known) are left out.
    """
    groups: dict[tuple[str, str], list[Timeliness]] = defaultdict(list)
    for record in records:
        if record.quarter is not None:
            groups[(record.country, record.quarter)].append(record)
    return [
        RegionalRow(
            country=country,
            quarter=quarter,
            n_events=len(group),
            detection=_summary([r.detection for r in group]),
            notification=_summary([r.notification for r in group]),
            response=_summary([r.response for r in group]),
        )
        for (country, quarter), group in sorted(groups.items())
    ]
