"""API: an event's rapid risk assessments, IHR Annex 2 decisions and 7-1-7 timeliness, and the
regional 7-1-7 table."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from healthbridge.deps import Allow, SessionDep
from healthbridge.eoc import assessments
from healthbridge.eoc.assessment_models import ACTION_CODES, EventTimeliness
from healthbridge.eoc.assessment_schemas import (
    Annex2Create,
    Annex2Read,
    RegionalRowRead,
    RiskAssessmentCreate,
    RiskAssessmentRead,
    TargetRead,
    TimelinessRead,
    TimelinessUpdate,
)
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["events"])
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]


@router.post(
    "/events/{event_id}/risk-assessments",
    response_model=RiskAssessmentRead,
    status_code=201,
    summary="Record a new version of the event's rapid risk assessment",
    description=(
        "The level comes from the likelihood × consequence matrix; the event moves by "
        "`assess_risk` to that level (409 when its status does not allow it). Never overwrites "
        "an earlier version. Audited."
    ),
)
def create_risk_assessment(
    session: SessionDep, actor: Manager, event_id: int, body: RiskAssessmentCreate
) -> RiskAssessmentRead:
    row = assessments.assess_risk(
        session=session,
        actor=actor,
        event_id=event_id,
        given=assessments.RiskInput(**body.model_dump()),
    )
    return RiskAssessmentRead.model_validate(row)


@router.get(
    "/events/{event_id}/risk-assessments",
    response_model=list[RiskAssessmentRead],
    summary="The event's rapid risk assessments, latest version first",
)
def list_risk_assessments(
    session: SessionDep, actor: Reader, event_id: int
) -> list[RiskAssessmentRead]:
    rows = assessments.risk_assessments(session=session, actor=actor, event_id=event_id)
    return [RiskAssessmentRead.model_validate(r) for r in rows]


@router.post(
    "/events/{event_id}/annex2",
    response_model=Annex2Read,
    status_code=201,
    summary="Record an IHR Annex 2 decision for the event",
    description=(
        "Any two of the four questions answered yes: notify WHO within 24 hours (always, for "
        "an always-notifiable disease). Each decision is a new version. Audited."
    ),
)
def create_annex2(
    session: SessionDep, actor: Manager, event_id: int, body: Annex2Create
) -> Annex2Read:
    answers = {
        name: assessments.AnswerInput(answer.yes, answer.justification)
        for name in assessments.QUESTIONS
        if (answer := getattr(body, name)) is not None
    }
    row = assessments.decide_annex2(
        session=session, actor=actor, event_id=event_id, answers=answers, group=body.group
    )
    return Annex2Read.model_validate(row)


@router.get(
    "/events/{event_id}/annex2",
    response_model=list[Annex2Read],
    summary="The event's Annex 2 decisions, latest version first",
)
def list_annex2(session: SessionDep, actor: Reader, event_id: int) -> list[Annex2Read]:
    rows = assessments.annex2_decisions(session=session, actor=actor, event_id=event_id)
    return [Annex2Read.model_validate(r) for r in rows]


def timeliness_read(
    event_id: int, row: EventTimeliness | None, metrics: assessments.timeliness.Timeliness
) -> TimelinessRead:
    """An event's dates with their 7-1-7 metrics."""
    actions = {}
    if row is not None:
        actions = {c: d for c in ACTION_CODES if (d := getattr(row, c)) is not None}
    return TimelinessRead(
        event_id=event_id,
        emergence_date=row.emergence_date if row else None,
        detection_date=row.detection_date if row else None,
        notification_date=row.notification_date if row else None,
        actions=actions,
        not_applicable=list(row.not_applicable) if row else [],
        quarter=metrics.quarter,
        targets=[
            TargetRead(
                step=r.step.value,
                target_days=r.target_days,
                days=r.days,
                status=r.status.value,
                deadline=r.deadline,
                elapsed_days=r.elapsed_days,
            )
            for r in metrics.results
        ],
        bottlenecks=list(metrics.bottlenecks),
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )


@router.put(
    "/events/{event_id}/timeliness",
    response_model=TimelinessRead,
    summary="Set the event's 7-1-7 dates",
    description=(
        "Emergence (estimated), detection, notification and the early-response actions' "
        "completion dates; notification ≥ detection ≥ emergence, no date in the future (422 "
        "naming the field). Audited."
    ),
)
def put_timeliness(
    session: SessionDep, actor: Manager, event_id: int, body: TimelinessUpdate
) -> TimelinessRead:
    row = assessments.set_timeliness(
        session=session,
        actor=actor,
        event_id=event_id,
        given=assessments.TimelinessInput(
            emergence_date=body.emergence_date,
            detection_date=body.detection_date,
            notification_date=body.notification_date,
            actions=dict(body.actions),
            not_applicable=tuple(body.not_applicable),
        ),
    )
    metrics = assessments.timeliness_of(session=session, actor=actor, event_id=event_id)
    return timeliness_read(event_id, row, metrics)


@router.get(
    "/events/{event_id}/timeliness",
    response_model=TimelinessRead,
    summary="The event's 7-1-7 dates and metrics (met, missed, pending; the bottleneck)",
)
def get_timeliness(session: SessionDep, actor: Reader, event_id: int) -> TimelinessRead:
    row = assessments.timeliness_record(session=session, actor=actor, event_id=event_id)
    metrics = assessments.timeliness_of(session=session, actor=actor, event_id=event_id)
    return timeliness_read(event_id, row, metrics)


@router.get(
    "/eoc/timeliness",
    response_model=list[RegionalRowRead],
    summary="7-1-7 performance by country and quarter over the events the caller sees",
)
def regional_timeliness(
    session: SessionDep,
    actor: Reader,
    year: Annotated[int | None, Query(ge=1900, le=2999, description="Calendar year")] = None,
) -> list[RegionalRowRead]:
    rows = assessments.regional_timeliness(session=session, actor=actor, year=year)
    return [RegionalRowRead.model_validate(dataclasses.asdict(r)) for r in rows]
