"""The training demo: the biomanufacturing training hub, loaded once however often it is loaded."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge import flows
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.training import demo, service, summaries
from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Programme, Course, Trainee, Enrolment, AuditEntry)
    )


def test_the_demo_loads_the_hub_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        first = counts(session)
        programme = service.find_programme(session=session, code="BIOHUB")
        assert programme is not None
        assert (programme.organiser_code, programme.host_country_code) == ("KOR-MOHW", "KOR")
        assert programme.source and programme.source.startswith("Demo data")
        people = session.scalars(select(Trainee)).all()
        assert len(people) == 20
        assert {p.source for p in people} == {demo.DEMO_SOURCE}
        assert all(p.full_name.endswith(" Demo") for p in people)
        assert {p.country_code for p in people} >= {"THA", "VNM", "IDN", "PHL", "LAO", "KHM"}
        years = sorted({c.starts_on.year for c in programme.courses})
        assert years == [2023, 2024, 2025]
        numbers = sorted(
            n for n in session.scalars(select(Enrolment.certificate_number)) if n is not None
        )
        assert numbers[0] == "BIOHUB-2023-0001"
        assert "BIOHUB-2025-0007" in numbers
        summary = summaries.programme_summary(session=session, actor=operator, programme=programme)
        assert summary.totals.certificates == len(numbers) == 23
        assert summary.totals.countries >= 8
    assert first[:4] == (1, 3, 20, 26)

    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        assert counts(session) == first


def test_the_demo_links_the_hub_to_its_project_and_commitment(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    # Training's demo first, as if the other parts' had not run yet: the links come later.
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
        programme = service.find_programme(session=session, code="BIOHUB")
        assert programme is not None
        assert (programme.project_id, programme.commitment_id) == (None, None)
    with unit_of_work(session_factory) as session:
        flows.load_demo(session=session, actor=operator)  # every part's demo, training's last
    with session_factory() as session:
        project = projects.find_project(session=session, iati_identifier=demo.PROJECT_IATI)
        title, starts_on = demo.COMMITMENT_MEETING
        meeting = meetings.find_meeting(session=session, title=title, starts_on=starts_on)
        commitment_id = (
            service.find_commitment_id(
                session=session, meeting_id=meeting.id, text=demo.COMMITMENT_TEXT
            )
            if meeting
            else None
        )
        programme = service.find_programme(session=session, code="BIOHUB")
        assert programme is not None
        assert programme.project_id == (project.id if project else None)
        assert programme.commitment_id == commitment_id
        assert programme.project_id is not None, "the projects part's demo has the hub project"
