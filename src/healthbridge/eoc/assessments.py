"""An event's assessments: the WHO rapid risk assessment (versions), the IHR Annex 2 decision
(versions) and its 7-1-7 timeliness.

The rules are in :mod:`healthbridge.analytics.eoc` (the risk matrix, the Annex 2 instrument, the
7-1-7 metrics); this module records their inputs and results. A risk assessment or an Annex 2
decision is never changed: each one is a new version. A risk assessment also moves the event by
the lifecycle's ``assess_risk`` step, so that its risk level and timeline follow (409 when the
event's status does not allow it). Writes need ``EVENT_MANAGE`` on the event
(:func:`~healthbridge.eoc.sharing.managed_event`) and are audited; reads need to see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthbridge.analytics.eoc import ihr_annex2, risk, timeliness
from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import lifecycle
from healthbridge.eoc.assessment_models import (
    ACTION_CODES,
    Annex2Decision,
    EventTimeliness,
    RiskAssessmentVersion,
)
from healthbridge.eoc.models import Event
from healthbridge.eoc.sharing import managed_event, visible_clause, visible_event
from healthbridge.errors import FieldError, Invalid
from healthbridge.policy import Action, Principal, authorize

MAX_TEXT = 4000
QUESTIONS = tuple(q.value for q in ihr_annex2.Question)


def _invalid(what: str, error: ValueError) -> Invalid:
    """An analytics ValueError (``"field: message"``) as :class:`Invalid` naming the field."""
    name, _, message = str(error).partition(": ")
    return Invalid(f"invalid {what}: {name}", errors=[FieldError(name, message or str(error))])


def _next_version(
    session: Session, model: type[RiskAssessmentVersion | Annex2Decision], event_id: int
) -> int:
    latest = session.scalar(select(func.max(model.version)).where(model.event_id == event_id))
    return (latest or 0) + 1


# --- rapid risk assessment ------------------------------------------------------------------


@dataclass(frozen=True)
class RiskInput:
    """One rapid risk assessment as entered."""

    hazard: str
    exposure: str
    context: str
    likelihood: str
    consequence: str
    confidence: str
    rationale: str


def assess_risk(
    *, session: Session, actor: Principal, event_id: int, given: RiskInput
) -> RiskAssessmentVersion:
    """Record a new version of the event's rapid risk assessment, its level from the matrix,
    and move the event by ``assess_risk`` with that level. :class:`Invalid` naming the field on
    bad input, :class:`~healthbridge.errors.Conflict` when the status does not allow it."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    errors = [
        FieldError(name, f"at most {MAX_TEXT} characters")
        for name in ("hazard", "exposure", "context", "rationale")
        if len(getattr(given, name) or "") > MAX_TEXT
    ]
    if errors:
        raise Invalid("invalid risk assessment", errors=errors)
    try:
        assessed = risk.RiskAssessment(
            hazard=given.hazard,
            exposure=given.exposure,
            context=given.context,
            likelihood=given.likelihood,  # type: ignore[arg-type]  # parsed by the dataclass
            consequence=given.consequence,  # type: ignore[arg-type]
            confidence=given.confidence,  # type: ignore[arg-type]
            rationale=given.rationale,
        )
    except ValueError as error:
        raise _invalid("risk assessment", error) from None
    level = assessed.level.code
    version = _next_version(session, RiskAssessmentVersion, event.id)
    lifecycle.transition(
        session=session,
        actor=actor,
        event_id=event.id,
        action="assess_risk",
        fields={"risk_level": level, "note": f"Rapid risk assessment version {version}"},
    )
    row = RiskAssessmentVersion(
        event_id=event.id,
        version=version,
        hazard=assessed.hazard,
        exposure=assessed.exposure,
        context=assessed.context,
        likelihood=assessed.likelihood.value,
        consequence=assessed.consequence.value,
        confidence=assessed.confidence.value,
        level=level,
        rationale=assessed.rationale,
        assessed_at=utcnow(),
        assessed_by=actor.actor_label,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.risk_assessment",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"version": version, "level": level, "confidence": row.confidence},
    )
    return row


def risk_assessments(
    *, session: Session, actor: Principal, event_id: int
) -> list[RiskAssessmentVersion]:
    """The event's rapid risk assessments, latest version first."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    return list(
        session.scalars(
            select(RiskAssessmentVersion)
            .where(RiskAssessmentVersion.event_id == event.id)
            .order_by(RiskAssessmentVersion.version.desc())
        )
    )


# --- IHR Annex 2 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    """One answer of the Annex 2 algorithm."""

    yes: bool
    justification: str


def decide_annex2(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    answers: dict[str, AnswerInput],
    group: str | None = None,
) -> Annex2Decision:
    """Run the IHR Annex 2 instrument on the event (its disease; ``group`` overrides the
    placing) and record the decision as a new version: notify or not, the rule, and the 24-hour
    deadline. :class:`Invalid` naming the question on a missing answer or justification."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    errors = [
        FieldError(f"answers.{name}.justification", f"at most {MAX_TEXT} characters")
        for name, answer in answers.items()
        if len(answer.justification) > MAX_TEXT
    ]
    if errors:
        raise Invalid("invalid Annex 2 decision", errors=errors)
    now = utcnow()
    try:
        decision = ihr_annex2.decide(
            disease=event.disease_code,
            answers={k: ihr_annex2.Answer(a.yes, a.justification) for k, a in answers.items()},
            decided_at=now,
            group=group or None,
        )
    except ValueError as error:
        raise _invalid("Annex 2 decision", error) from None
    row = Annex2Decision(
        event_id=event.id,
        version=_next_version(session, Annex2Decision, event.id),
        disease_group=decision.group.value,
        notify=decision.notify,
        rule=decision.reason,
        decided_at=now,
        deadline=decision.deadline,
        decided_by=actor.actor_label,
    )
    for question, answer in decision.answers.items():
        setattr(row, question.value, answer.yes)
        setattr(row, f"{question.value}_justification", answer.justification)
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.annex2",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"version": row.version, "notify": row.notify, "group": row.disease_group},
    )
    return row


def annex2_decisions(*, session: Session, actor: Principal, event_id: int) -> list[Annex2Decision]:
    """The event's Annex 2 decisions, latest version first."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    return list(
        session.scalars(
            select(Annex2Decision)
            .where(Annex2Decision.event_id == event.id)
            .order_by(Annex2Decision.version.desc())
        )
    )


# --- 7-1-7 timeliness ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinessInput:
    """An event's 7-1-7 dates as entered (None: not known yet)."""

    emergence_date: dt.date | None = None
    detection_date: dt.date | None = None
    notification_date: dt.date | None = None
    actions: dict[str, dt.date] = field(default_factory=dict)
    not_applicable: tuple[str, ...] = ()


def _check_dates(given: TimelinessInput, today: dt.date) -> None:
    errors: list[FieldError] = []
    named = {
        "emergence_date": given.emergence_date,
        "detection_date": given.detection_date,
        "notification_date": given.notification_date,
        **{f"actions.{k}": v for k, v in given.actions.items()},
    }
    for name in list(given.actions) + list(given.not_applicable):
        if name not in ACTION_CODES:
            errors.append(FieldError("actions", f"'{name}' is not an early-response action"))
    for name, day in named.items():
        if day is not None and day > today:
            errors.append(FieldError(name, f"{day.isoformat()} is in the future"))
    order = (("detection_date", "emergence_date"), ("notification_date", "detection_date"))
    for later, earlier in order:
        a, b = named[later], named[earlier]
        if a is not None and b is not None and a < b:
            errors.append(
                FieldError(later, f"{a.isoformat()} is before the {earlier.replace('_', ' ')}")
            )
    for code, day in given.actions.items():
        if given.detection_date is not None and day < given.detection_date:
            errors.append(FieldError(f"actions.{code}", "completed before the detection date"))
    for code in given.not_applicable:
        if code in given.actions:
            errors.append(FieldError(f"actions.{code}", "completed yet marked not applicable"))
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid timeliness: {names}", errors=errors)


def set_timeliness(
    *, session: Session, actor: Principal, event_id: int, given: TimelinessInput
) -> EventTimeliness:
    """Set the event's 7-1-7 dates (all of them: a date left out is cleared). Notification on
    or after detection on or after emergence, actions not before detection, no date in the
    future; else :class:`Invalid` naming the field and nothing changes. Audited."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    _check_dates(given, utcnow().date())
    row = session.scalar(select(EventTimeliness).where(EventTimeliness.event_id == event.id))
    if row is None:
        row = EventTimeliness(event_id=event.id)
        session.add(row)
    row.emergence_date = given.emergence_date
    row.detection_date = given.detection_date
    row.notification_date = given.notification_date
    for code in ACTION_CODES:
        setattr(row, code, given.actions.get(code))
    row.not_applicable = sorted(set(given.not_applicable))
    row.updated_at = utcnow()
    row.updated_by = actor.actor_label
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.timeliness",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={
            "emergence": str(given.emergence_date),
            "detection": str(given.detection_date),
            "notification": str(given.notification_date),
        },
    )
    return row


def dates_of(event: Event, row: EventTimeliness | None) -> timeliness.EventDates:
    """The analytics' view of an event's recorded dates."""
    if row is None:
        return timeliness.EventDates(country=event.country_code)
    actions = {
        timeliness.EarlyResponseAction(code): day
        for code in ACTION_CODES
        if (day := getattr(row, code)) is not None
    }
    return timeliness.EventDates(
        country=event.country_code,
        emergence=row.emergence_date,
        detection=row.detection_date,
        notification=row.notification_date,
        actions=actions,
        not_applicable=frozenset(timeliness.EarlyResponseAction(c) for c in row.not_applicable),
    )


def timeliness_record(
    *, session: Session, actor: Principal, event_id: int
) -> EventTimeliness | None:
    """The event's recorded 7-1-7 dates, None when none is recorded yet."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    return session.scalar(select(EventTimeliness).where(EventTimeliness.event_id == event.id))


def timeliness_of(
    *, session: Session, actor: Principal, event_id: int, today: dt.date | None = None
) -> timeliness.Timeliness:
    """The event's 7-1-7 metrics as of ``today`` (met, missed or pending; the bottleneck)."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    row = session.scalar(select(EventTimeliness).where(EventTimeliness.event_id == event.id))
    return timeliness.assess(dates_of(event, row), today=today or utcnow().date())


def regional_timeliness(
    *, session: Session, actor: Principal, year: int | None = None, today: dt.date | None = None
) -> list[timeliness.RegionalRow]:
    """7-1-7 performance by country and quarter over the events ``actor`` sees (of ``year``,
    by the quarter of detection, else emergence)."""
    authorize(actor, Action.EVENT_READ)
    rows = session.execute(
        select(Event, EventTimeliness)
        .join(EventTimeliness, EventTimeliness.event_id == Event.id)
        .where(visible_clause(actor))
    ).all()
    day = today or utcnow().date()
    records = [timeliness.assess(dates_of(event, row), today=day) for event, row in rows]
    if year is not None:
        records = [r for r in records if r.quarter is not None and r.quarter.startswith(f"{year}-")]
    return timeliness.regional_table(records)
