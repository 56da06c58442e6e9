"""An event's lifecycle: opening it (by hand or from a signal) and moving it along its states.

The state machine (action: from → to, with what it requires)::

    signal ──triage(decision=monitor)──────────▶ monitoring
       │   ──triage(decision=verify)───────────▶ verifying
       │   ──triage(decision=discard, reason)──▶ discarded
    signal | monitoring | verifying ──verify(source, method)──▶ verified
    signal | monitoring | verifying ──discard(reason)─────────▶ discarded
    verified | risk_assessed ──assess_risk(risk_level)──▶ risk_assessed
    responding ──assess_risk(risk_level)──▶ responding (a new level, still responding)
    risk_assessed | responding ──respond(level: watch/partial/full)──▶ responding
    any but discarded and closed ──close(reason)──▶ closed

``discarded`` and ``closed`` are final. An event opened by hand starts at ``signal``; one opened
from a signal starts at ``verifying`` (opening it is the decision to verify: the signal's own
triage is set to ``verify``). Every transition is a row of the event's timeline (action, from,
to, who, when, detail) and an audit entry.

Errors: an unknown action or a missing, unused or bad field is :class:`Invalid` (422) naming
the field; an action the current status does not allow is :class:`Conflict` (409) naming the
status and the actions it allows. The action is checked first, then the status, then the
fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc.models import (
    ACTIVATION_LEVELS,
    RISK_LEVELS,
    Event,
    EventArea,
    EventLink,
    EventTransition,
)
from healthbridge.eoc.sharing import managed_event
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance import service as diseases
from healthbridge.surveillance import signal_queue

MAX_TITLE_LENGTH = 200
MAX_SHORT_TEXT = 200
MAX_TEXT = 4000
#: At most this many areas per event (the API's limit too).
MAX_AREAS = 50
TRIAGE_DECISIONS = {"monitor": "monitoring", "verify": "verifying", "discard": "discarded"}
FINAL_STATUSES = frozenset({"discarded", "closed"})


@dataclass(frozen=True)
class Step:
    """One action of the state machine: where it may start, and the fields it takes."""

    sources: frozenset[str]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ("note",)
    label: str = ""


STEPS: dict[str, Step] = {
    "triage": Step(frozenset({"signal"}), ("decision",), ("reason", "note"), "Triage the signal"),
    "verify": Step(
        frozenset({"signal", "monitoring", "verifying"}),
        ("source", "method"),
        ("note",),
        "Verified",
    ),
    "discard": Step(
        frozenset({"signal", "monitoring", "verifying"}),
        ("reason",),
        ("source", "method", "note"),
        "Discard",
    ),
    "assess_risk": Step(
        frozenset({"verified", "risk_assessed", "responding"}),
        ("risk_level",),
        ("note",),
        "Risk assessed",
    ),
    "respond": Step(frozenset({"risk_assessed", "responding"}), ("level",), ("note",), "Respond"),
    "close": Step(
        frozenset({"signal", "monitoring", "verifying", "verified", "risk_assessed", "responding"}),
        ("reason",),
        ("note",),
        "Close",
    ),
}
TRANSITION_FIELDS = ("decision", "source", "method", "reason", "risk_level", "level", "note")


def allowed_actions(status: str) -> list[str]:
    """The actions the state machine allows from ``status``, in lifecycle order."""
    return [name for name, step in STEPS.items() if status in step.sources]


def _target(action: str, status: str, fields: dict[str, str]) -> str:
    if action == "triage":
        return TRIAGE_DECISIONS[fields["decision"]]
    if action == "verify":
        return "verified"
    if action == "discard":
        return "discarded"
    if action == "assess_risk":
        return "responding" if status == "responding" else "risk_assessed"
    if action == "respond":
        return "responding"
    return "closed"


def check_fields(action: str, given: dict[str, str | None]) -> dict[str, str]:
    """The fields of ``action`` cleaned; :class:`Invalid` naming every missing, unused or bad
    one."""
    step = STEPS[action]
    cleaned = {k: v.strip() for k, v in given.items() if v is not None and v.strip()}
    errors: list[FieldError] = []
    for name in step.required:
        if name not in cleaned:
            errors.append(FieldError(name, f"required to {action.replace('_', ' ')}"))
    for name in cleaned:
        if name not in step.required and name not in step.optional:
            errors.append(FieldError(name, f"not used by '{action}'"))
    choices = {
        "decision": tuple(TRIAGE_DECISIONS),
        "risk_level": RISK_LEVELS,
        "level": ACTIVATION_LEVELS,
    }
    for name, values in choices.items():
        if name in cleaned and cleaned[name] not in values:
            errors.append(FieldError(name, f"one of: {', '.join(values)}"))
    for name, value in cleaned.items():
        limit = MAX_SHORT_TEXT if name in ("source", "method") else MAX_TEXT
        if len(value) > limit:
            errors.append(FieldError(name, f"at most {limit} characters"))
    if action == "triage" and cleaned.get("decision") == "discard" and "reason" not in cleaned:
        errors.append(FieldError("reason", "required to discard"))
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid {action}: {names}", errors=errors)
    return cleaned


def transition(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    action: str,
    fields: dict[str, str | None],
) -> Event:
    """Move the event by ``action`` with its ``fields`` (see the module's state machine);
    record the step on its timeline and in the audit log."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    if action not in STEPS:
        raise Invalid(
            f"unknown action '{action}'",
            errors=[FieldError("action", f"one of: {', '.join(STEPS)}")],
        )
    if event.status not in STEPS[action].sources:
        possible = allowed_actions(event.status)
        raise Conflict(
            f"cannot {action.replace('_', ' ')} an event that is {event.status}",
            errors=[
                FieldError(
                    "action",
                    f"from '{event.status}' the allowed actions are: "
                    + (", ".join(possible) if possible else "none (the event is final)"),
                )
            ],
        )
    cleaned = check_fields(action, fields)
    before = event.status
    after = _target(action, before, cleaned)
    now = utcnow()
    event.status = after
    if after == "verified":
        event.verified_at = now
    if action == "assess_risk":
        event.risk_level = cleaned["risk_level"]
    if action == "respond":
        event.activation_level = cleaned["level"]
    if after in ("closed", "discarded"):
        event.closed_at = now
        event.closure_reason = cleaned["reason"]
    event.updated_at = now
    event.transitions.append(
        EventTransition(
            action=action,
            from_status=before,
            to_status=after,
            at=now,
            actor=actor.actor_label,
            detail=cleaned,
        )
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.transition",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"action": action, "from": before, "to": after, **cleaned},
    )
    return event


@dataclass(frozen=True)
class NewEvent:
    """What opening an event takes. From a signal, the signal gives the country, area, disease
    and week (a given country or disease must then agree with it)."""

    country: str | None = None
    title: str | None = None
    disease: str | None = None
    hazard: str | None = None
    summary: str | None = None
    areas: tuple[str, ...] = ()
    signal_id: int | None = None


def create_event(*, session: Session, actor: Principal, new: NewEvent) -> Event:
    """Open an event, by hand (status ``signal``) or from a signal (status ``verifying``; the
    signal is linked and triaged ``verify``). A signal already linked to an event that is not
    final is :class:`Conflict`. Audited."""
    errors: list[FieldError] = []
    country = (new.country or "").strip().upper() or None
    disease = (new.disease or "").strip().lower() or None
    hazard = (new.hazard or "").strip() or None
    title = (new.title or "").strip() or None
    summary = (new.summary or "").strip() or None
    areas = [a.strip().upper() for a in new.areas if a.strip()]
    week: str | None = None
    detected = None
    signal = None
    if new.signal_id is not None:
        try:
            signal = signal_queue.get_signal(session=session, actor=actor, signal_id=new.signal_id)
        except NotFound:
            errors.append(FieldError("signal_id", f"no signal with id {new.signal_id}"))
        else:
            if country and country != signal.country_code:
                errors.append(FieldError("country", f"the signal is {signal.country_code}'s"))
            if disease and disease != signal.disease_code:
                errors.append(FieldError("disease", f"the signal is of {signal.disease_code}"))
            country = signal.country_code
            disease = signal.disease_code
            if signal.area_code and signal.area_code not in areas:
                areas.insert(0, signal.area_code)
            week = signal.week
            detected = signal.first_detected_at
    if country is None:
        errors.append(FieldError("country", "required (ISO 3166-1 alpha-3, e.g. THA)"))
    else:
        try:
            geography.require_country(session=session, code=country)
        except Invalid as bad:
            errors.extend(bad.errors)
    if disease is None and hazard is None:
        errors.append(FieldError("disease", "name a disease or, for another threat, a hazard"))
    elif disease is not None:
        try:
            diseases.require_disease(session=session, code=disease)
        except Invalid as bad:
            errors.extend(bad.errors)
    if title is not None and len(title) > MAX_TITLE_LENGTH:
        errors.append(FieldError("title", f"at most {MAX_TITLE_LENGTH} characters"))
    if hazard is not None and len(hazard) > MAX_SHORT_TEXT:
        errors.append(FieldError("hazard", f"at most {MAX_SHORT_TEXT} characters"))
    if summary is not None and len(summary) > MAX_TEXT:
        errors.append(FieldError("summary", f"at most {MAX_TEXT} characters"))
    if country is not None:
        check_areas(session, actor, country, areas, errors)
    if errors:
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid event: {names}", errors=errors)
    assert country is not None
    authorize(actor, Action.EVENT_MANAGE, country=country, object_type="event")
    if signal is not None:
        open_event = session.scalar(
            select(Event.id)
            .join(EventLink, EventLink.event_id == Event.id)
            .where(EventLink.signal_id == signal.id, Event.status.not_in(FINAL_STATUSES))
        )
        if open_event is not None:
            raise Conflict(
                f"signal {signal.id} already belongs to event {open_event}",
                errors=[FieldError("signal_id", f"linked to open event {open_event}")],
            )
    now = utcnow()
    status = "verifying" if signal is not None else "signal"
    event = Event(
        country_code=country,
        title=title or _default_title(session, actor, country, disease, hazard, areas, week),
        disease_code=disease,
        hazard=hazard,
        summary=summary,
        week=week,
        status=status,
        shared_with_region=False,
        detected_at=detected,
        opened_at=now,
        created_by=actor.actor_label,
        updated_at=now,
    )
    event.areas = [EventArea(area_code=a) for a in dict.fromkeys(areas)]
    detail: dict[str, Any] = {}
    if signal is not None:
        event.links.append(
            EventLink(
                kind="signal", signal_id=signal.id, created_at=now, created_by=actor.actor_label
            )
        )
        detail = {"signal_id": signal.id}
    event.transitions.append(
        EventTransition(
            action="open",
            from_status=None,
            to_status=status,
            at=now,
            actor=actor.actor_label,
            detail=detail,
        )
    )
    session.add(event)
    session.flush()
    if signal is not None and signal.status != "verify":
        signal_queue.triage_signal(
            session=session,
            actor=actor,
            signal_id=signal.id,
            status="verify",
            note=f"Event {event.id} opened to verify it.",
        )
    audit.record(
        session=session,
        actor=actor,
        action="event.create",
        object_type="event",
        object_id=event.id,
        country=country,
        detail={"status": status, "title": event.title, **detail},
    )
    return event


def _default_title(
    session: Session,
    actor: Principal,
    country: str,
    disease: str | None,
    hazard: str | None,
    areas: list[str],
    week: str | None,
) -> str:
    what = hazard or disease or ""
    if disease is not None:
        what = diseases.get_disease(session=session, actor=actor, code=disease).name_en
    where = ", ".join(areas[:3]) + f" ({country})" if areas else country
    return f"{what} in {where}" + (f", {week}" if week else "")


def check_areas(
    session: Session, actor: Principal, country: str, areas: list[str], errors: list[FieldError]
) -> None:
    """Add to ``errors`` each of ``areas`` that is not an ISO 3166-2 area of ``country``."""
    for area in dict.fromkeys(areas):
        try:
            found = geography.get_subdivision(session=session, actor=actor, code=area)
        except NotFound:
            errors.append(FieldError("areas", f"unknown area '{area}' (ISO 3166-2)"))
        else:
            if found.country_code != country:
                errors.append(FieldError("areas", f"{area} is not in {country}"))


def set_areas(*, session: Session, actor: Principal, event_id: int, areas: Sequence[str]) -> Event:
    """Replace the areas an event touches (as the outbreak spreads or is better located).

    Each must be an ISO 3166-2 area of the event's country (:class:`Invalid` naming ``areas``
    otherwise); a closed or discarded event no longer changes (:class:`Conflict`). The change
    goes on the timeline (the areas before and after) and to the audit log.
    """
    event = managed_event(session=session, actor=actor, event_id=event_id)
    wanted = list(dict.fromkeys(a.strip().upper() for a in areas if a.strip()))
    errors: list[FieldError] = []
    if len(wanted) > MAX_AREAS:
        errors.append(FieldError("areas", f"at most {MAX_AREAS} areas"))
    else:
        check_areas(session, actor, event.country_code, wanted, errors)
    if errors:
        raise Invalid("invalid event: areas", errors=errors)
    if event.status in FINAL_STATUSES:
        raise Conflict(f"event {event.id} is {event.status}: its areas no longer change")
    before = [a.area_code for a in event.areas]
    if sorted(before) == sorted(wanted):
        return event
    kept = {a.area_code: a for a in event.areas}
    event.areas = [kept.get(code) or EventArea(area_code=code) for code in sorted(wanted)]
    now = utcnow()
    event.updated_at = now
    event.transitions.append(
        EventTransition(
            action="set_areas",
            from_status=event.status,
            to_status=event.status,
            at=now,
            actor=actor.actor_label,
            detail={
                "areas": ", ".join(sorted(wanted)) or "none",
                "before": ", ".join(before) or "none",
            },
        )
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.areas",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"areas": sorted(wanted), "before": before},
    )
    return event
