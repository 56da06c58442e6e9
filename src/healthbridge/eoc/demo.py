"""Demo events in different states across countries, walked through the same service as any
event (so that their timelines, audit entries and signal triage are real).

- Measles in the Philippines, from the demo's measles signal: verified, risk high, EOC partial;
  shared with the region.
- Dengue in Bangkok (TH-10), from the demo's dengue signal: being verified; Thailand's only.
- Avian influenza A(H5N1) in Phnom Penh (KH-12), Cambodia: verified and risk assessed
  (moderate); shared with Viet Nam and Lao PDR by name.
- Dengue in Metro Manila (PH-00), the Philippines: monitoring; shared with the region.
- Measles in West Java (ID-JB), Indonesia: responded to and closed; shared with the region.
- A chemical spill in Da Nang (VN-DN), Viet Nam: discarded; Viet Nam's only.

The H5N1 event has a field investigation with a team member deployed from Viet Nam, samples
sent to two laboratories and three tasks (done, due, overdue); the measles event in the
Philippines has one too.

DEMO EVENTS, NOT REAL ONES. Loading twice changes nothing: an event is looked up by its country
and title before it is opened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.eoc import alerts, assessments, investigations, service
from healthbridge.eoc.models import Event
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal
from healthbridge.settings import get_settings
from healthbridge.surveillance import signal_queue

Steps = tuple[tuple[str, dict[str, str | None]], ...]


@dataclass(frozen=True)
class DemoEvent:
    """One demo event: how it is opened, the steps it takes, with whom it is shared."""

    country: str
    title: str
    disease: str | None = None
    hazard: str | None = None
    areas: tuple[str, ...] = ()
    summary: str | None = None
    #: Open it from the latest demo signal of (country, area, disease), if there is one.
    from_signal: bool = False
    steps: Steps = ()
    region: bool = False
    countries: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


_VERIFIED: Steps = (
    ("verify", {"source": "National IHR focal point", "method": "Laboratory confirmation"}),
)
DEMO_EVENTS: tuple[DemoEvent, ...] = (
    DemoEvent(
        "PHL",
        "Measles outbreak, the Philippines",
        disease="measles",
        from_signal=True,
        steps=(
            *_VERIFIED,
            ("assess_risk", {"risk_level": "high", "note": "Low MCV2 coverage in the region"}),
            ("respond", {"level": "partial", "note": "Catch-up vaccination campaign"}),
        ),
        region=True,
        notes=("Daily call with the regional office at 09:00.",),
    ),
    DemoEvent(
        "THA",
        "Dengue increase in Bangkok",
        disease="dengue",
        areas=("TH-10",),
        from_signal=True,
    ),
    DemoEvent(
        "KHM",
        "Human case of avian influenza A(H5N1), Phnom Penh",
        disease="avian_influenza_h5n1",
        areas=("KH-12",),
        summary="A poultry worker with severe pneumonia; contacts under follow-up.",
        steps=(
            ("triage", {"decision": "verify"}),
            *_VERIFIED,
            ("assess_risk", {"risk_level": "moderate"}),
        ),
        countries=("VNM", "LAO"),
    ),
    DemoEvent(
        "PHL",
        "Dengue cluster in Metro Manila",
        disease="dengue",
        areas=("PH-00",),
        steps=(("triage", {"decision": "monitor", "note": "Weekly review of admissions"}),),
        region=True,
    ),
    DemoEvent(
        "IDN",
        "Measles outbreak in West Java",
        disease="measles",
        areas=("ID-JB",),
        steps=(
            *_VERIFIED,
            ("assess_risk", {"risk_level": "moderate"}),
            ("respond", {"level": "watch"}),
            ("close", {"reason": "No new cases for two incubation periods (42 days)"}),
        ),
        region=True,
    ),
    DemoEvent(
        "VNM",
        "Reported chemical spill in Da Nang",
        hazard="Chemical spill",
        areas=("VN-DN",),
        steps=(("triage", {"decision": "discard", "reason": "A fire drill, reported as a spill"}),),
    ),
)


#: Rapid risk assessments of the demo events, recorded in place of their ``assess_risk`` step
#: (through the service: a version, the event's level and timeline). The matrix gives the level
#: the step names.
DEMO_RISK_ASSESSMENTS: dict[str, assessments.RiskInput] = {
    "Measles outbreak, the Philippines": assessments.RiskInput(
        hazard="Measles virus, genotype D8, laboratory confirmed",
        exposure="Children with one dose of MCV or none; crowded urban barangays",
        context="MCV2 coverage below 70 % in the region; school term under way",
        likelihood="likely",
        consequence="moderate",
        confidence="moderate",
        rationale="Low MCV2 coverage in the region",
    ),
    "Human case of avian influenza A(H5N1), Phnom Penh": assessments.RiskInput(
        hazard="Avian influenza A(H5N1), clade 2.3.2.1c",
        exposure="Backyard poultry contact; no human-to-human transmission seen",
        context="Poultry die-offs reported in the province; contacts under follow-up",
        likelihood="unlikely",
        consequence="moderate",
        confidence="moderate",
        rationale="A sporadic zoonotic case; spread among people not seen",
    ),
}
#: 7-1-7 dates of the demo events, in days before the day the demo is loaded: emergence,
#: detection, notification, and the early-response actions completed (the others pending).
DEMO_TIMELINESS: dict[str, tuple[int, int, int, dict[str, int]]] = {
    "Measles outbreak, the Philippines": (
        30,
        21,
        20,
        {"investigation": 19, "lab_confirmation": 17, "coordination": 18},
    ),
    "Human case of avian influenza A(H5N1), Phnom Penh": (
        12,
        9,
        9,
        {code: 7 for code in assessments.ACTION_CODES},
    ),
}


def _set_demo_timeliness(session: Session, actor: Principal, event: Event, title: str) -> None:
    emergence, detection, notification, actions = DEMO_TIMELINESS[title]
    today = utcnow().date()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    assessments.set_timeliness(
        session=session,
        actor=actor,
        event_id=event.id,
        given=assessments.TimelinessInput(
            emergence_date=ago(emergence),
            detection_date=ago(detection),
            notification_date=ago(notification),
            actions={code: ago(days) for code, days in actions.items()},
        ),
    )


@dataclass(frozen=True)
class DemoInvestigation:
    """A demo field investigation: days are counted back from the day the demo is loaded (a
    negative ``due`` is a due date still ahead)."""

    title: str
    started: int
    case_definition: str
    findings: str | None = None
    #: (name, role, country, organisation, e-mail)
    team: tuple[tuple[str, str, str, str | None, str | None], ...] = ()
    #: (samples, specimen, laboratory, sent, result)
    samples: tuple[tuple[int, str, str, int, str | None], ...] = ()
    #: (title, assignee, due, done)
    tasks: tuple[tuple[str, str, int, bool], ...] = ()


#: The demo field investigations, by the title of their event. The Viet Nam EOC duty officer
#: of the demo accounts is deployed to Cambodia's H5N1 investigation (shared with Viet Nam):
#: their own task list shows the task assigned to them. Of its three tasks, one is done, one
#: due in three days and one two days overdue.
DEMO_INVESTIGATIONS: dict[str, DemoInvestigation] = {
    "Human case of avian influenza A(H5N1), Phnom Penh": DemoInvestigation(
        title="Investigation of the H5N1 case and its contacts, Phnom Penh",
        started=8,
        case_definition="Suspected: fever ≥ 38 °C and cough or shortness of breath, with "
        "exposure to sick or dead poultry or to a confirmed case in the 10 days before onset.",
        findings="Backyard flock die-off in the index case's village; 23 contacts identified.",
        team=(
            (
                "Sok Dara",
                "Field epidemiologist (team lead)",
                "KHM",
                "KHM-MOH",
                "sok.dara@healthbridge.demo",
            ),
            (
                "Nguyen Thi Lan",
                "Field epidemiologist (cross-border deployment)",
                "VNM",
                "VNM-MOH",
                "eoc.vnm@healthbridge.demo",
            ),
            ("Chan Sophea", "Animal health officer", "KHM", None, None),
        ),
        samples=(
            (
                6,
                "Oropharyngeal swab",
                "Institut Pasteur du Cambodge, Phnom Penh",
                7,
                "1 positive for influenza A(H5N1); 5 negative",
            ),
            (
                12,
                "Poultry cloacal swab",
                "National Animal Health and Production Institute",
                5,
                None,
            ),
        ),
        tasks=(
            ("List and visit the household contacts", "sok.dara@healthbridge.demo", 6, True),
            (
                "Daily follow-up of the 23 contacts until day 10",
                "eoc.vnm@healthbridge.demo",
                -3,
                False,
            ),
            (
                "Send the poultry results to the animal health service",
                "sok.dara@healthbridge.demo",
                2,
                False,
            ),
        ),
    ),
    "Measles outbreak, the Philippines": DemoInvestigation(
        title="Measles outbreak investigation, Metro Manila schools",
        started=19,
        case_definition="Fever and maculopapular rash with cough, coryza or conjunctivitis.",
        team=(
            (
                "Maria Santos",
                "Field epidemiologist",
                "PHL",
                "PHL-DOH",
                "maria.santos@healthbridge.demo",
            ),
        ),
        samples=((15, "Serum", "Research Institute for Tropical Medicine", 17, "11 IgM positive"),),
        tasks=(
            (
                "Check the vaccination records of the cases",
                "maria.santos@healthbridge.demo",
                -7,
                False,
            ),
        ),
    ),
}


def _load_demo_investigation(session: Session, actor: Principal, event: Event) -> None:
    """Start the demo investigation of ``event`` (if it has one), with its team, samples and
    tasks, through the investigations service."""
    demo = DEMO_INVESTIGATIONS.get(event.title)
    if demo is None:
        return
    today = utcnow().date()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    made = investigations.create_investigation(
        session=session,
        actor=actor,
        event_id=event.id,
        values={
            "title": demo.title,
            "started_on": ago(demo.started),
            "case_definition": demo.case_definition,
            "findings": demo.findings,
        },
    )
    for name, role, country, organisation, email in demo.team:
        investigations.add_member(
            session=session,
            actor=actor,
            event_id=event.id,
            investigation_id=made.id,
            member=investigations.MemberInput(name, role, country, organisation, email),
        )
    for count, specimen, laboratory, sent, result in demo.samples:
        investigations.record_samples(
            session=session,
            actor=actor,
            event_id=event.id,
            investigation_id=made.id,
            shipment=investigations.SampleInput(count, specimen, laboratory, ago(sent), result),
        )
    for title, assignee, due, done in demo.tasks:
        task = investigations.add_task(
            session=session,
            actor=actor,
            event_id=event.id,
            investigation_id=made.id,
            task=investigations.TaskInput(title, assignee, ago(due)),
        )
        if done:
            investigations.update_task(
                session=session,
                actor=actor,
                event_id=event.id,
                investigation_id=made.id,
                task_id=task.id,
                status="done",
            )


def _latest_signal(session: Session, actor: Principal, demo: DemoEvent) -> int | None:
    where = signal_queue.check_filter(
        country=demo.country,
        area=demo.areas[0] if demo.areas else None,
        disease=demo.disease,
        method="noufaily",
    )
    rows, _total = signal_queue.list_signals(
        session=session, actor=actor, page=PageRequest(limit=5), where=where
    )
    national = [s for s in rows if demo.areas or s.area_code is None]
    return national[0].id if national else None


def load_demo(*, session: Session, actor: Principal) -> list[Event]:
    """Open and walk the demo events as ``actor`` (the operator); idempotent."""
    made: list[Event] = []
    for demo in DEMO_EVENTS:
        found = session.scalar(
            select(Event).where(Event.country_code == demo.country, Event.title == demo.title)
        )
        if found is not None:
            continue
        signal_id = _latest_signal(session, actor, demo) if demo.from_signal else None
        event = service.create_event(
            session=session,
            actor=actor,
            new=service.NewEvent(
                country=demo.country,
                title=demo.title,
                disease=demo.disease,
                hazard=demo.hazard,
                summary=demo.summary,
                areas=demo.areas,
                signal_id=signal_id,
            ),
        )
        for action, fields in demo.steps:
            if action == "verify" and event.status == "signal":
                service.transition(
                    session=session,
                    actor=actor,
                    event_id=event.id,
                    action="triage",
                    fields={"decision": "verify"},
                )
            if action == "assess_risk" and demo.title in DEMO_RISK_ASSESSMENTS:
                assessments.assess_risk(
                    session=session,
                    actor=actor,
                    event_id=event.id,
                    given=DEMO_RISK_ASSESSMENTS[demo.title],
                )
                continue
            service.transition(
                session=session, actor=actor, event_id=event.id, action=action, fields=fields
            )
        if demo.title in DEMO_TIMELINESS:
            _set_demo_timeliness(session, actor, event, demo.title)
        _load_demo_investigation(session, actor, event)
        for note in demo.notes:
            service.add_link(
                session=session, actor=actor, event_id=event.id, kind="note", text=note
            )
        if demo.region or demo.countries:
            service.share_event(
                session=session,
                actor=actor,
                event_id=event.id,
                region=demo.region,
                countries=list(demo.countries),
            )
        if demo.region:
            # Events shared with the region publish their alert: the public feed has content.
            alerts.publish_alert(
                session=session,
                actor=actor,
                event_id=event.id,
                base_url=get_settings().public_url,
            )
        made.append(event)
    return made
