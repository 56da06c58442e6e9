"""An event's assessments through the service, on both databases: rapid risk assessment
versions are never overwritten and the event's risk level and timeline follow them; the Annex 2
notify rule; 7-1-7 dates checked and measured; the regional table; who may read and write."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit.models import AuditEntry
from healthbridge.db import utcnow
from healthbridge.eoc import assessments, service
from healthbridge.eoc.assessment_models import RiskAssessmentVersion
from healthbridge.eoc.assessments import AnswerInput, RiskInput, TimelinessInput
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.policy import Principal, Role

THAI_EOC = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
THAI_VIEWER = Principal(email="viewer@tha", role=Role.VIEWER, country="THA")
LAO_EOC = Principal(email="eoc@lao", role=Role.EOC_OFFICER, country="LAO")
VIET_EOC = Principal(email="eoc@vnm", role=Role.EOC_OFFICER, country="VNM")


def risk_input(likelihood: str = "likely", consequence: str = "major", **extra: str) -> RiskInput:
    values = {
        "hazard": "Dengue serotype 3, not seen for ten years",
        "exposure": "Urban population, Aedes widespread",
        "context": "Rainy season; hospitals near capacity",
        "likelihood": likelihood,
        "consequence": consequence,
        "confidence": "moderate",
        "rationale": "Rising cases in three districts",
        **extra,
    }
    return RiskInput(**values)


def make_event(
    session: Session, status: str = "verified", country: str = "THA", disease: str = "dengue"
) -> Event:
    actor = Principal(email=f"eoc@{country.lower()}", role=Role.EOC_OFFICER, country=country)
    event = service.create_event(
        session=session, actor=actor, new=service.NewEvent(country=country, disease=disease)
    )
    event.status = status
    session.flush()
    return event


def test_risk_assessments_are_versions_and_move_the_event(session: Session) -> None:
    event = make_event(session)
    first = assessments.assess_risk(
        session=session, actor=THAI_EOC, event_id=event.id, given=risk_input()
    )
    assert (first.version, first.level) == (1, "high")
    assert (event.status, event.risk_level) == ("risk_assessed", "high")
    second = assessments.assess_risk(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        given=risk_input("very unlikely", "minor"),
    )
    assert (second.version, second.level) == (2, "very_low")
    assert event.risk_level == "very_low"
    listed = assessments.risk_assessments(session=session, actor=THAI_VIEWER, event_id=event.id)
    assert [(r.version, r.level) for r in listed] == [(2, "very_low"), (1, "high")]
    assert listed[1].likelihood == "likely"  # the first version is untouched
    steps = [(t.action, t.detail.get("risk_level")) for t in event.transitions]
    assert steps[-2:] == [("assess_risk", "high"), ("assess_risk", "very_low")]
    audited = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "event.risk_assessment")
    ).all()
    assert len(audited) == 2


def test_risk_assessment_refusals_change_nothing(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(Invalid) as bad:
        assessments.assess_risk(
            session=session,
            actor=THAI_EOC,
            event_id=event.id,
            given=risk_input(likelihood="perhaps"),
        )
    assert [e.field for e in bad.value.errors] == ["likelihood"]
    with pytest.raises(Invalid) as blank:
        assessments.assess_risk(
            session=session, actor=THAI_EOC, event_id=event.id, given=risk_input(hazard=" ")
        )
    assert [e.field for e in blank.value.errors] == ["hazard"]
    signal = make_event(session, status="signal")
    with pytest.raises(Conflict):
        assessments.assess_risk(
            session=session, actor=THAI_EOC, event_id=signal.id, given=risk_input()
        )
    assert session.scalars(select(RiskAssessmentVersion)).all() == []
    assert (event.status, event.risk_level) == ("verified", None)


def four(yes: int) -> dict[str, AnswerInput]:
    names = assessments.QUESTIONS
    return {name: AnswerInput(i < yes, f"because {i}") for i, name in enumerate(names)}


def test_annex2_notifies_on_two_yes_and_keeps_versions(session: Session) -> None:
    event = make_event(session, disease="measles")
    before = utcnow()
    one = assessments.decide_annex2(
        session=session, actor=THAI_EOC, event_id=event.id, answers=four(1)
    )
    assert (one.version, one.notify, one.deadline) == (1, False, None)
    two = assessments.decide_annex2(
        session=session, actor=THAI_EOC, event_id=event.id, answers=four(2)
    )
    assert (two.version, two.notify, two.disease_group) == (2, True, "algorithm_if_concern")
    assert two.deadline is not None and two.deadline - two.decided_at == dt.timedelta(hours=24)
    assert two.decided_at >= before
    assert (two.serious_impact, two.unusual, two.international_spread) == (True, True, False)
    listed = assessments.annex2_decisions(session=session, actor=THAI_VIEWER, event_id=event.id)
    assert [(d.version, d.notify) for d in listed] == [(2, True), (1, False)]
    with pytest.raises(Invalid) as missing:
        answers = four(2)
        del answers["unusual"]
        assessments.decide_annex2(
            session=session, actor=THAI_EOC, event_id=event.id, answers=answers
        )
    assert [e.field for e in missing.value.errors] == ["answers.unusual"]
    polio = make_event(session, disease="polio")
    always = assessments.decide_annex2(
        session=session, actor=THAI_EOC, event_id=polio.id, answers={}
    )
    assert (always.notify, always.disease_group) == (True, "always_notifiable")


def test_timeliness_dates_are_checked_naming_the_field(session: Session) -> None:
    event = make_event(session)
    today = utcnow().date()
    cases = [
        (TimelinessInput(emergence_date=today + dt.timedelta(days=1)), "emergence_date"),
        (
            TimelinessInput(emergence_date=dt.date(2026, 3, 5), detection_date=dt.date(2026, 3, 1)),
            "detection_date",
        ),
        (
            TimelinessInput(
                detection_date=dt.date(2026, 3, 5), notification_date=dt.date(2026, 3, 4)
            ),
            "notification_date",
        ),
        (
            TimelinessInput(
                detection_date=dt.date(2026, 3, 5), actions={"coordination": dt.date(2026, 3, 1)}
            ),
            "actions.coordination",
        ),
        (TimelinessInput(actions={"prayer": dt.date(2026, 3, 1)}), "actions"),
    ]
    for given, name in cases:
        with pytest.raises(Invalid) as refused:
            assessments.set_timeliness(
                session=session, actor=THAI_EOC, event_id=event.id, given=given
            )
        assert name in [e.field for e in refused.value.errors]
    assert assessments.timeliness_record(session=session, actor=THAI_EOC, event_id=event.id) is None


def test_timeliness_metrics_name_the_bottleneck(session: Session) -> None:
    event = make_event(session)
    actions = {code: dt.date(2026, 3, 12) for code in assessments.ACTION_CODES}
    actions["lab_confirmation"] = dt.date(2026, 3, 30)  # late
    assessments.set_timeliness(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        given=TimelinessInput(
            emergence_date=dt.date(2026, 3, 1),
            detection_date=dt.date(2026, 3, 6),  # 5 days: met
            notification_date=dt.date(2026, 3, 9),  # 3 days: missed
            actions=actions,
        ),
    )
    metrics = assessments.timeliness_of(session=session, actor=THAI_VIEWER, event_id=event.id)
    assert [r.status.value for r in metrics.results] == ["met", "missed", "missed"]
    assert metrics.bottlenecks == ("notification", "Obtain laboratory confirmation")
    assert metrics.quarter == "2026-Q1"
    # Setting again replaces the dates: not applicable is not waited for.
    del actions["lab_confirmation"]
    assessments.set_timeliness(
        session=session,
        actor=THAI_EOC,
        event_id=event.id,
        given=TimelinessInput(
            emergence_date=dt.date(2026, 3, 1),
            detection_date=dt.date(2026, 3, 6),
            notification_date=dt.date(2026, 3, 7),
            actions=actions,
            not_applicable=("lab_confirmation",),
        ),
    )
    again = assessments.timeliness_of(session=session, actor=THAI_EOC, event_id=event.id)
    assert [r.status.value for r in again.results] == ["met", "met", "met"]
    assert again.bottlenecks == ()


def test_regional_table_covers_the_events_the_actor_sees(session: Session) -> None:
    thai = make_event(session)
    lao = make_event(session, country="LAO")
    for event, actor, detection in (
        (thai, THAI_EOC, dt.date(2026, 2, 1)),
        (lao, LAO_EOC, dt.date(2025, 11, 1)),
    ):
        assessments.set_timeliness(
            session=session,
            actor=actor,
            event_id=event.id,
            given=TimelinessInput(
                emergence_date=detection - dt.timedelta(days=10),
                detection_date=detection,
                notification_date=detection,
            ),
        )
    rows = assessments.regional_timeliness(session=session, actor=THAI_VIEWER)
    assert [(r.country, r.quarter, r.n_events) for r in rows] == [("THA", "2026-Q1", 1)]
    assert (rows[0].detection.n_missed, rows[0].notification.n_met) == (1, 1)
    lao.shared_with_region = True
    session.flush()
    both = assessments.regional_timeliness(session=session, actor=THAI_VIEWER)
    assert [(r.country, r.quarter) for r in both] == [("LAO", "2025-Q4"), ("THA", "2026-Q1")]
    only_2025 = assessments.regional_timeliness(session=session, actor=THAI_VIEWER, year=2025)
    assert [r.country for r in only_2025] == ["LAO"]


def test_other_countries_get_404_and_viewers_403(session: Session) -> None:
    event = make_event(session)
    with pytest.raises(NotFound):
        assessments.risk_assessments(session=session, actor=VIET_EOC, event_id=event.id)
    with pytest.raises(NotFound):
        assessments.timeliness_of(session=session, actor=VIET_EOC, event_id=event.id)
    with pytest.raises(NotFound):
        assessments.assess_risk(
            session=session, actor=VIET_EOC, event_id=event.id, given=risk_input()
        )
    assert assessments.annex2_decisions(session=session, actor=THAI_VIEWER, event_id=event.id) == []
    with pytest.raises(Forbidden):
        assessments.assess_risk(
            session=session, actor=THAI_VIEWER, event_id=event.id, given=risk_input()
        )
    with pytest.raises(Forbidden):
        assessments.decide_annex2(
            session=session, actor=THAI_VIEWER, event_id=event.id, answers=four(2)
        )
    with pytest.raises(Forbidden):
        assessments.set_timeliness(
            session=session, actor=THAI_VIEWER, event_id=event.id, given=TimelinessInput()
        )


def test_the_demo_events_carry_a_risk_assessment_and_dates(
    session: Session, operator: Principal
) -> None:
    from healthbridge.eoc import demo

    demo.load_demo(session=session, actor=operator)
    measles = session.scalars(
        select(Event).where(Event.title == "Measles outbreak, the Philippines")
    ).one()
    rras = assessments.risk_assessments(session=session, actor=operator, event_id=measles.id)
    assert [(r.version, r.level) for r in rras] == [(1, "high")]
    assert (measles.status, measles.risk_level) == ("responding", "high")
    metrics = assessments.timeliness_of(session=session, actor=operator, event_id=measles.id)
    assert [r.status.value for r in metrics.results] == ["missed", "met", "missed"]
    assert demo.load_demo(session=session, actor=operator) == []
    assert len(assessments.regional_timeliness(session=session, actor=operator)) == 2
