"""Demo commitments: found by their meetings, idempotent, with overdue and due-soon ones."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cooperation.commitments.arrange import make_meeting, make_project

from healthbridge.cooperation.commitments import demo, service
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.policy import Principal


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Commitment)) or 0


def test_the_demo_records_the_meetings_commitments_once(
    session: Session, operator: Principal
) -> None:
    for title, starts_on in {record.meeting for record in demo.COMMITMENTS}:
        make_meeting(session, title, starts_on)
    for iati in (
        demo.HUB_PROJECT,
        demo.INSURANCE_PROJECT,
        demo.PHC_PROJECT,
        demo.LAB_PROJECT,
    ):
        make_project(session, iati)

    demo.load_demo(session=session, actor=operator)
    assert count(session) == len(demo.COMMITMENTS)
    demo.load_demo(session=session, actor=operator)
    assert count(session) == len(demo.COMMITMENTS)

    today = service.today()
    commitments = list(session.scalars(select(Commitment)))
    assert any(c.is_overdue(today) for c in commitments)
    assert any(c.is_due_within(today, 14) for c in commitments)
    assert {c.status for c in commitments} >= {"proposed", "agreed", "in_progress", "delivered"}
    assert all(c.evidence for c in commitments if c.status == "delivered")
    assert all("Demo data" in (c.history[0].note or "") for c in commitments)

    channel = next(c for c in commitments if "dialogue channel" in c.text)
    assert (channel.owed_by, channel.status, channel.delivered_on.isoformat()) == (  # type: ignore[union-attr]
        "ASEC",
        "delivered",
        "2022-05-15",
    )
    assert [e.kind for e in channel.evidence] == ["link"]
    hub = next(c for c in commitments if c.text.startswith("Indonesia asks"))
    assert (hub.owed_by, hub.owed_to) == ("KOR", "IDN")
    assert {e.kind for e in hub.evidence} == {"project", "link"}
    cdc = next(c for c in commitments if "CDC" in c.text)
    assert (cdc.owed_by_organisation, cdc.status) == ("USA-CDC", "proposed")


def test_missing_meetings_and_projects_are_skipped_quietly(
    session: Session, operator: Principal
) -> None:
    demo.load_demo(session=session, actor=operator)
    assert count(session) == 0
    make_meeting(session, *demo.KOR_IDN)  # no demo projects: the hub's evidence is a link only
    demo.load_demo(session=session, actor=operator)
    commitments = list(session.scalars(select(Commitment)))
    assert len(commitments) == 2
    assert all(c.status == "delivered" for c in commitments)
    assert all({e.kind for e in c.evidence} == {"link"} for c in commitments)
