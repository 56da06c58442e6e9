"""The demo projects: the four the other parts find by identifier, complete and idempotent."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import load_demo_projects

from healthbridge.cooperation.projects import reads, service
from healthbridge.cooperation.projects.models import Project
from healthbridge.policy import Principal

IDENTIFIERS = {
    "KR-GOV-010-HB-2022-001": ("16010", "12110"),
    "KR-GOV-010-HB-2022-002": ("12281",),
    "KR-GOV-010-HB-2023-003": ("12220",),
    "KR-GOV-010-HB-2023-004": ("12250", "12264"),
}
ASEAN = {"BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM"}


def test_demo_projects_are_complete(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    ids = load_demo_projects(session_factory, operator)
    assert set(ids) == set(IDENTIFIERS)
    with session_factory() as session:
        reference = service.reference_data(session=session, actor=operator)
        for identifier, sectors in IDENTIFIERS.items():
            found = service.find_project(session=session, iati_identifier=identifier)
            assert found is not None
            project = reads.read_of(
                service.get_project(session=session, actor=operator, project_id=found.id),
                reference,
            )
            assert project.reporting_org.code == "KOR-MOHW"
            assert identifier.startswith(project.reporting_org.ref + "-")
            assert "Demo data" in project.description["en"]
            assert tuple(s.code for s in project.sectors) == sectors
            assert {c.country for c in project.recipient_countries} <= ASEAN
            assert project.budgets and project.budget_total > 0
            assert project.disbursed_total > 0
            years = set()
            for result in project.results:
                for indicator in result.indicators:
                    assert indicator.baseline is not None
                    for period in indicator.periods:
                        assert period.target_value is not None
                        assert period.actual_value is not None
                        years.add(period.period_start.year)
            assert years == {2023, 2024, 2025}


def test_demo_is_idempotent(session_factory: sessionmaker[Session], operator: Principal) -> None:
    first = load_demo_projects(session_factory, operator)
    second = load_demo_projects(session_factory, operator)
    assert first == second
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 4
