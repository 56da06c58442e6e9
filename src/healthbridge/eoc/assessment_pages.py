"""Pages of an event's assessments: the rapid risk assessment (the likelihood × consequence
matrix, confidence, the three assessments) and its versions; the IHR Annex 2 questions and the
decisions; the 7-1-7 dates and metrics with the bottleneck named; and the regional 7-1-7 table
by country and quarter.

The event's page loads the section by htmx from ``/eoc/events/{id}/assessments``; without htmx
(or after a refused form) the same section is a page of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from healthbridge.analytics.eoc import ihr_annex2, risk, timeliness
from healthbridge.deps import Allow, FormFields, SessionDep
from healthbridge.eoc import assessments, service
from healthbridge.eoc.assessment_models import ACTION_CODES
from healthbridge.eoc.assessments import MAX_TEXT
from healthbridge.eoc.pages import RISK_LABELS
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
Long = Annotated[str, Form(max_length=MAX_TEXT)]
Choice = Annotated[str, Form(max_length=24)]
DateText = Annotated[str, Form(max_length=10)]

STATUS_LABELS = {"met": N_("Met"), "missed": N_("Missed"), "pending": N_("Pending")}
LIKELIHOOD_LABELS = {
    risk.Likelihood.VERY_UNLIKELY: N_("Very unlikely"),
    risk.Likelihood.UNLIKELY: N_("Unlikely"),
    risk.Likelihood.LIKELY: N_("Likely"),
    risk.Likelihood.HIGHLY_LIKELY: N_("Highly likely"),
    risk.Likelihood.ALMOST_CERTAIN: N_("Almost certain"),
}
CONSEQUENCE_LABELS = {
    risk.Consequence.MINIMAL: N_("Minimal"),
    risk.Consequence.MINOR: N_("Minor"),
    risk.Consequence.MODERATE: N_("Moderate"),
    risk.Consequence.MAJOR: N_("Major"),
    risk.Consequence.SEVERE: N_("Severe"),
}
CONFIDENCE_LABELS = {
    risk.Confidence.LOW: N_("Low"),
    risk.Confidence.MODERATE: N_("Moderate"),
    risk.Confidence.HIGH: N_("High"),
}
#: Annex 2's questions, worded as :data:`ihr_annex2.QUESTION_TEXT` words them.
QUESTION_LABELS = {
    ihr_annex2.Question.SERIOUS_IMPACT: N_("Is the public health impact of the event serious?"),
    ihr_annex2.Question.UNUSUAL: N_("Is the event unusual or unexpected?"),
    ihr_annex2.Question.INTERNATIONAL_SPREAD: N_(
        "Is there a significant risk of international spread?"
    ),
    ihr_annex2.Question.TRAVEL_TRADE_RESTRICTIONS: N_(
        "Is there a significant risk of international travel or trade restrictions?"
    ),
}
STEP_LABELS = {
    timeliness.Step.DETECTION: N_("Detection"),
    timeliness.Step.NOTIFICATION: N_("Notification"),
    timeliness.Step.RESPONSE: N_("Response"),
}
#: The early-response actions, worded as :data:`timeliness.ACTION_LABELS` words them.
EARLY_ACTION_LABELS = {
    timeliness.EarlyResponseAction.INVESTIGATION: N_(
        "Initiate investigation or deploy response team"
    ),
    timeliness.EarlyResponseAction.EPI_ANALYSIS_RISK_ASSESSMENT: N_(
        "Conduct epidemiological analysis and initial risk assessment"
    ),
    timeliness.EarlyResponseAction.LAB_CONFIRMATION: N_("Obtain laboratory confirmation"),
    timeliness.EarlyResponseAction.CASE_MANAGEMENT_IPC: N_(
        "Initiate appropriate case management and IPC measures in health facilities"
    ),
    timeliness.EarlyResponseAction.COMMUNITY_COUNTERMEASURES: N_(
        "Initiate appropriate public health countermeasures in affected communities"
    ),
    timeliness.EarlyResponseAction.RISK_COMMUNICATION: N_(
        "Initiate appropriate risk communication and community engagement activities"
    ),
    timeliness.EarlyResponseAction.COORDINATION: N_(
        "Establish coordination mechanism (e.g. EOC activation)"
    ),
}


#: A step named as the bottleneck, in a sentence ("Bottleneck: notification").
BOTTLENECK_STEP_LABELS = {
    # Translators: the step of 7-1-7 that missed its target, after "Bottleneck:".
    timeliness.Step.DETECTION: N_("detection"),
    # Translators: the step of 7-1-7 that missed its target, after "Bottleneck:".
    timeliness.Step.NOTIFICATION: N_("notification"),
    # Translators: the step of 7-1-7 that missed its target, after "Bottleneck:".
    timeliness.Step.RESPONSE: N_("response"),
}


def _bottlenecks(named: tuple[str, ...]) -> list[str]:
    """The bottlenecks as marked labels: a step's code, else an early-response action's label."""
    steps = {str(step): label for step, label in BOTTLENECK_STEP_LABELS.items()}
    actions = {action.label: label for action, label in EARLY_ACTION_LABELS.items()}
    return [steps.get(name) or actions.get(name) or name for name in named]


def _context(session: Session, actor: Principal, event_id: int, **extra: Any) -> dict[str, Any]:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    record = assessments.timeliness_record(session=session, actor=actor, event_id=event_id)
    metrics = assessments.timeliness_of(session=session, actor=actor, event_id=event_id)
    return {
        "e": event,
        "can_manage": service.can_manage(actor, event),
        "rras": assessments.risk_assessments(session=session, actor=actor, event_id=event_id),
        "decisions": assessments.annex2_decisions(session=session, actor=actor, event_id=event_id),
        "record": record,
        "metrics": metrics,
        "bottlenecks": _bottlenecks(metrics.bottlenecks),
        "likelihoods": [c.value for c in risk.Likelihood],
        "consequences": [c.value for c in risk.Consequence],
        "confidences": [c.value for c in risk.Confidence],
        "questions": list(ihr_annex2.Question),
        "actions": [timeliness.EarlyResponseAction(c) for c in ACTION_CODES],
        "status_labels": STATUS_LABELS,
        "risk_labels": RISK_LABELS,
        "likelihood_labels": LIKELIHOOD_LABELS,
        "consequence_labels": CONSEQUENCE_LABELS,
        "confidence_labels": CONFIDENCE_LABELS,
        "question_labels": QUESTION_LABELS,
        "step_labels": STEP_LABELS,
        "action_labels": EARLY_ACTION_LABELS,
        "errors": [],
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


@router.get("/eoc/events/{event_id}/assessments", response_class=HTMLResponse)
def assessments_section(
    request: Request, session: SessionDep, actor: Reader, event_id: int
) -> Response:
    template = "eoc/_assessments.html" if is_htmx(request) else "eoc/assessments.html"
    return render(request, template, _context(session, actor, event_id))


def _refused(
    request: Request,
    session: Session,
    actor: Principal,
    event_id: int,
    refused: Invalid | Conflict,
    failed: str,
    form: dict[str, Any],
) -> Response:
    session.rollback()
    context = _context(
        session,
        actor,
        event_id,
        errors=refused.errors,
        detail=refused.detail,
        failed=failed,
        form=form,
    )
    return render(request, "eoc/assessments.html", context, status_code=refused.status)


def _done(event_id: int) -> Response:
    return RedirectResponse(f"/eoc/events/{event_id}#assessments", status_code=303)


@router.post("/eoc/events/{event_id}/risk-assessments", response_class=HTMLResponse)
def risk_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    hazard: Long = "",
    exposure: Long = "",
    context: Long = "",
    likelihood: Choice = "",
    consequence: Choice = "",
    confidence: Choice = "",
    rationale: Long = "",
) -> Response:
    given = assessments.RiskInput(
        hazard=hazard,
        exposure=exposure,
        context=context,
        likelihood=likelihood,
        consequence=consequence,
        confidence=confidence,
        rationale=rationale,
    )
    try:
        assessments.assess_risk(session=session, actor=actor, event_id=event_id, given=given)
    except (Invalid, Conflict) as refused:
        return _refused(request, session, actor, event_id, refused, "risk", vars(given))
    return _done(event_id)


@router.post("/eoc/events/{event_id}/annex2", response_class=HTMLResponse)
def annex2_from_form(
    request: Request, session: SessionDep, actor: Manager, event_id: int, form: FormFields
) -> Response:
    given = {k: v[:MAX_TEXT] for k, v in form.items()}
    answers: dict[str, assessments.AnswerInput] = {}
    errors: list[FieldError] = []
    for name in assessments.QUESTIONS:
        answer = given.get(name, "")
        if answer not in ("", "yes", "no"):
            errors.append(FieldError(f"answers.{name}", "yes or no"))
        elif answer:
            answers[name] = assessments.AnswerInput(
                answer == "yes", given.get(f"{name}_justification", "")
            )
    try:
        if errors:
            raise Invalid("invalid Annex 2 decision", errors=errors)
        assessments.decide_annex2(session=session, actor=actor, event_id=event_id, answers=answers)
    except (Invalid, Conflict) as refused:
        return _refused(request, session, actor, event_id, refused, "annex2", given)
    return _done(event_id)


def _date(name: str, value: str, errors: list[FieldError]) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        errors.append(FieldError(name, "a date (YYYY-MM-DD) is required"))
        return None


@router.post("/eoc/events/{event_id}/timeliness", response_class=HTMLResponse)
def timeliness_from_form(
    request: Request, session: SessionDep, actor: Manager, event_id: int, form: FormFields
) -> Response:
    given = {k: v[:MAX_TEXT] for k, v in form.items()}
    errors: list[FieldError] = []
    named = {
        name: _date(name, given.get(name, "")[:10], errors)
        for name in ("emergence_date", "detection_date", "notification_date")
    }
    done = {
        code: _date(f"actions.{code}", given.get(code, "")[:10], errors) for code in ACTION_CODES
    }
    not_applicable = tuple(c for c in ACTION_CODES if given.get(f"{c}_na"))
    try:
        if errors:
            raise Invalid("invalid timeliness", errors=errors)
        assessments.set_timeliness(
            session=session,
            actor=actor,
            event_id=event_id,
            given=assessments.TimelinessInput(
                **named,
                actions={c: d for c, d in done.items() if d is not None},
                not_applicable=not_applicable,
            ),
        )
    except (Invalid, Conflict) as refused:
        return _refused(request, session, actor, event_id, refused, "timeliness", given)
    return _done(event_id)


@router.get("/eoc/timeliness", response_class=HTMLResponse)
def regional_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    year: Annotated[int | None, Query(ge=1900, le=2999)] = None,
) -> Response:
    rows = assessments.regional_timeliness(session=session, actor=actor, year=year)
    names = geography.country_names(session=session, actor=actor)
    return render(
        request, "eoc/timeliness.html", {"rows": rows, "year": year, "country_names": names}
    )


__all__ = ["router"]
