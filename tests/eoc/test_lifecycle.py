"""The lifecycle of an event: every action from every status, allowed or refused, on both
databases; the fields each action requires; opening from a signal; the audit trail."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.eoc.event_arrange import make_signal

from healthbridge.audit.models import AuditEntry
from healthbridge.eoc import service
from healthbridge.eoc.lifecycle import TRANSITION_FIELDS, check_fields
from healthbridge.eoc.models import EVENT_STATUSES, Event
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.policy import Principal, Role

THAI_EOC = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
REGIONAL = Principal(email="admin@region", role=Role.REGIONAL_ADMIN, country=None)

#: Valid fields of each action.
FIELDS: dict[str, dict[str, str | None]] = {
    "triage": {"decision": "monitor"},
    "verify": {"source": "district office", "method": "field visit"},
    "discard": {"reason": "a reporting error"},
    "assess_risk": {"risk_level": "moderate"},
    "respond": {"level": "watch"},
    "close": {"reason": "over"},
}
#: (status, action) → the status after it; every pair not listed is refused (409).
ALLOWED: dict[tuple[str, str], str] = {
    ("signal", "triage"): "monitoring",
    ("signal", "verify"): "verified",
    ("signal", "discard"): "discarded",
    ("signal", "close"): "closed",
    ("monitoring", "verify"): "verified",
    ("monitoring", "discard"): "discarded",
    ("monitoring", "close"): "closed",
    ("verifying", "verify"): "verified",
    ("verifying", "discard"): "discarded",
    ("verifying", "close"): "closed",
    ("verified", "assess_risk"): "risk_assessed",
    ("verified", "close"): "closed",
    ("risk_assessed", "assess_risk"): "risk_assessed",
    ("risk_assessed", "respond"): "responding",
    ("risk_assessed", "close"): "closed",
    ("responding", "assess_risk"): "responding",
    ("responding", "respond"): "responding",
    ("responding", "close"): "closed",
}


def _event(session: Session, status: str = "signal") -> Event:
    event = service.create_event(
        session=session,
        actor=THAI_EOC,
        new=service.NewEvent(country="THA", disease="dengue", areas=("TH-10",)),
    )
    event.status = status
    session.flush()
    return event


def test_every_action_from_every_status(session: Session) -> None:
    for status in EVENT_STATUSES:
        for action, fields in FIELDS.items():
            event = _event(session, status)
            expected = ALLOWED.get((status, action))
            if expected is None:
                with pytest.raises(Conflict) as refused:
                    service.transition(
                        session=session,
                        actor=THAI_EOC,
                        event_id=event.id,
                        action=action,
                        fields=fields,
                    )
                assert refused.value.errors[0].field == "action", (status, action)
                assert event.status == status and len(event.transitions) == 1
                continue
            moved = service.transition(
                session=session, actor=THAI_EOC, event_id=event.id, action=action, fields=fields
            )
            assert moved.status == expected, (status, action)
            last = moved.transitions[-1]
            assert (last.action, last.from_status, last.to_status) == (action, status, expected)
            assert last.detail == fields and last.actor == THAI_EOC.actor_label
    session.commit()
    # The allowed-actions list the pages and the API show agrees with the table.
    for status in EVENT_STATUSES:
        assert set(service.allowed_actions(status)) == {a for (s, a) in ALLOWED if s == status}, (
            status
        )


@pytest.mark.parametrize(
    ("action", "fields", "bad"),
    [
        ("triage", {}, {"decision"}),
        ("triage", {"decision": "panic"}, {"decision"}),
        ("triage", {"decision": "discard"}, {"reason"}),
        ("verify", {"source": "x"}, {"method"}),
        ("verify", {"source": "  ", "method": "call"}, {"source"}),
        ("discard", {"note": "why not"}, {"reason"}),
        ("close", {"reason": None, "level": "full"}, {"reason", "level"}),
        ("verify", {"source": "s" * 201, "method": "m"}, {"source"}),
    ],
)
def test_missing_unused_and_bad_fields_are_named(
    session: Session, action: str, fields: dict[str, str | None], bad: set[str]
) -> None:
    event = _event(session)
    with pytest.raises(Invalid) as refused:
        service.transition(
            session=session, actor=THAI_EOC, event_id=event.id, action=action, fields=fields
        )
    assert {e.field for e in refused.value.errors} == bad
    assert event.status == "signal"


def test_risk_and_activation_levels_are_checked_and_kept(session: Session) -> None:
    event = _event(session, "verified")
    with pytest.raises(Invalid):
        service.transition(
            session=session,
            actor=THAI_EOC,
            event_id=event.id,
            action="assess_risk",
            fields={"risk_level": "extreme"},
        )
    service.transition(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        action="assess_risk",
        fields={"risk_level": "very_high"},
    )
    with pytest.raises(Invalid) as refused:
        service.transition(
            session=session,
            actor=THAI_EOC,
            event_id=event.id,
            action="respond",
            fields={"level": "maximum"},
        )
    assert refused.value.errors[0].field == "level"
    service.transition(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        action="respond",
        fields={"level": "full"},
    )
    assert (event.risk_level, event.activation_level) == ("very_high", "full")
    service.transition(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        action="close",
        fields={"reason": "contained"},
    )
    assert event.closure_reason == "contained" and event.closed_at is not None
    session.commit()


def test_opening_from_a_signal_links_and_triages_it_and_is_audited(session: Session) -> None:
    signal = make_signal(session, country="PHL", area=None, disease="measles", week="2026-W45")
    philippine = Principal(email="epi@phl", role=Role.EPIDEMIOLOGIST, country="PHL")
    with pytest.raises(Invalid) as mismatch:
        service.create_event(
            session=session,
            actor=philippine,
            new=service.NewEvent(signal_id=signal.id, country="THA", disease="dengue"),
        )
    assert {e.field for e in mismatch.value.errors} == {"country", "disease"}
    with pytest.raises(Forbidden):
        service.create_event(
            session=session, actor=THAI_EOC, new=service.NewEvent(signal_id=signal.id)
        )
    event = service.create_event(
        session=session, actor=philippine, new=service.NewEvent(signal_id=signal.id)
    )
    assert (event.country_code, event.disease_code, event.week, event.status) == (
        "PHL",
        "measles",
        "2026-W45",
        "verifying",
    )
    assert event.areas == [] and event.title == "Measles in PHL, 2026-W45"
    assert signal.status == "verify" and signal.triaged_by == philippine.actor_label
    assert [link.signal_id for link in event.links] == [signal.id]
    session.commit()
    logged = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert logged[-2:] == ["signal.triage", "event.create"]
    with pytest.raises(Conflict):
        service.create_event(
            session=session, actor=philippine, new=service.NewEvent(signal_id=signal.id)
        )


def test_managing_is_for_the_country_and_regional_responders(session: Session) -> None:
    event = _event(session)
    viewer = Principal(email="viewer@tha", role=Role.VIEWER, country="THA")
    with pytest.raises(Forbidden):
        service.transition(
            session=session, actor=viewer, event_id=event.id, action="close", fields={"reason": "x"}
        )
    # A regional responder does not see an unshared event; once shared, manages it.
    with pytest.raises(NotFound):
        service.transition(
            session=session,
            actor=REGIONAL,
            event_id=event.id,
            action="close",
            fields={"reason": "x"},
        )
    service.share_event(session=session, actor=THAI_EOC, event_id=event.id, region=True)
    service.transition(
        session=session, actor=REGIONAL, event_id=event.id, action="close", fields={"reason": "x"}
    )
    assert event.status == "closed"
    session.commit()


_TEXT = st.one_of(st.none(), st.text(max_size=300))


@settings(max_examples=300, deadline=None)
@given(
    action=st.sampled_from(sorted(service.STEPS)),
    given_fields=st.dictionaries(st.sampled_from(TRANSITION_FIELDS), _TEXT, max_size=7),
)
def test_checking_fields_only_accepts_or_names_the_bad_fields(
    action: str, given_fields: dict[str, str | None]
) -> None:
    """Whatever the input, the check returns cleaned fields of the action or raises Invalid
    naming fields of the input or the action's required ones; nothing else."""
    try:
        cleaned = check_fields(action, given_fields)
    except Invalid as refused:
        named = {e.field for e in refused.errors}
        assert named and named <= set(TRANSITION_FIELDS)
        return
    step = service.STEPS[action]
    assert set(step.required) <= set(cleaned) <= set(step.required) | set(step.optional)
    assert all(value == value.strip() and value for value in cleaned.values())
