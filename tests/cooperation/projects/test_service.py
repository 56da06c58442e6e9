"""The projects service: the IATI rules it enforces, what it stores, reads and audits."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cooperation.projects.payloads import (
    IDENTIFIER,
    project_payload,
    result_payload,
    transaction_payload,
)

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.projects import figures, reads, service
from healthbridge.cooperation.projects.models import Project, ProjectSector
from healthbridge.cooperation.projects.schemas import (
    ProjectCreate,
    ProjectUpdate,
    ResultIn,
    TransactionIn,
)
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role


def create(session: Session, actor: Principal, **changes: Any) -> Project:
    project = service.create_project(
        session=session, actor=actor, project_in=ProjectCreate(**project_payload(**changes))
    )
    session.commit()
    return project


def invalid_fields(excinfo: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {e.field: e.message for e in excinfo.value.errors}


def project_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Project)) or 0


# --- creating --------------------------------------------------------------------------------


def test_create_stores_the_whole_activity_and_reads_it_back(
    session: Session, operator: Principal
) -> None:
    project = create(session, operator)
    session.expire_all()
    stored = service.get_project(session=session, actor=operator, project_id=project.id)
    read = reads.read_of(stored, service.reference_data(session=session, actor=operator))

    assert read.iati_identifier == IDENTIFIER
    assert read.title == {"en": "Test cooperation project", "ko": "시험 협력 사업"}
    assert read.reporting_org.name == "Ministry of Health and Welfare"
    assert read.activity_status_label == "Implementation"
    assert [(c.country, c.alpha2, c.percentage) for c in read.recipient_countries] == [
        ("THA", "TH", Decimal("60.00")),
        ("VNM", "VN", Decimal("40.00")),
    ]
    assert [(s.code, s.name) for s in read.sectors] == [
        ("12250", "Infectious disease control"),
        ("12264", "COVID-19 control"),
    ]
    assert [d.type_label for d in read.activity_dates] == [
        "Planned start",
        "Actual start",
        "Planned end",
    ]
    # The revised 2025 budget replaces the original one; the EUR budget is not in USD totals.
    assert read.budget_total == Decimal("220000.00")
    # Disbursements (3) and expenditure (4); the commitment (2) is not money spent.
    assert read.disbursed_total == Decimal("100000.50")
    assert read.budgets[3].currency == "EUR" and read.budgets[0].currency == "USD"
    assert [t.type_label for t in read.transactions] == [
        "Outgoing Commitment",
        "Disbursement",
        "Expenditure",
    ]
    assert read.transactions[0].provider_org is not None
    assert read.transactions[0].receiver_org is None
    period = read.results[0].indicators[0].periods[0]
    assert (period.target_value, period.actual_value) == ("50", "40")
    assert period.progress == Decimal("75.0")  # (40 - 10) / (50 - 10)


def test_create_fills_participating_organisations_from_reference_data(
    session: Session, operator: Principal
) -> None:
    project = create(session, operator)
    orgs = [
        (o.role, o.organisation_code, o.ref, o.type, o.name) for o in project.participating_orgs
    ]
    assert orgs == [
        (1, "KOR-MOHW", "KR-GOV-010", "10", {"en": "Ministry of Health and Welfare"}),
        (4, "KOR-KDCA", None, "10", {"en": "Korea Disease Control and Prevention Agency"}),
        (4, None, None, "80", {"en": "A partner without an identifier"}),
    ]


def test_create_is_audited(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "project.create")).one()
    assert entry.object_id == str(project.id)
    assert entry.detail == {"iati_identifier": IDENTIFIER}


def test_identifiers_are_unique(session: Session, operator: Principal) -> None:
    create(session, operator)
    with pytest.raises(Conflict) as refused:
        create(session, operator, title={"en": "Another"})
    assert refused.value.errors[0].field == "iati_identifier"
    session.rollback()
    assert project_count(session) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"sectors": [{"code": "99999"}]},
            "sectors.0.code",
            "'99999' is not a known OECD DAC purpose code",
        ),
        (
            {
                "activity_dates": [
                    {"type": 1, "iso_date": "2024-01-01"},
                    {"type": 3, "iso_date": "2023-12-31"},
                ]
            },
            "activity_dates.1.iso_date",
            "planned end date 2023-12-31 is before the planned start date 2024-01-01",
        ),
        (
            {
                "activity_dates": [
                    {"type": 2, "iso_date": "2024-05-01"},
                    {"type": 4, "iso_date": "2024-04-30"},
                ]
            },
            "activity_dates.1.iso_date",
            "actual end date",
        ),
        (
            {"activity_dates": [{"type": 1, "iso_date": "2024-01-01"}] * 2},
            "activity_dates.1",
            "given twice",
        ),
        (
            {"sectors": [{"code": "12250", "percentage": 70}, {"code": "12220", "percentage": 20}]},
            "sectors",
            "sum to 90",
        ),
        (
            {"sectors": [{"code": "12250", "percentage": 70}, {"code": "12220"}]},
            "sectors.1.percentage",
            "required when there are several sectors",
        ),
        (
            {"recipient_countries": [{"country": "LAO", "percentage": 50}]},
            "recipient_countries.0.percentage",
            "100 percent",
        ),
        (
            {
                "recipient_countries": [
                    {"country": "THA", "percentage": 50},
                    {"country": "THA", "percentage": 50},
                ]
            },
            "recipient_countries.1",
            "given twice",
        ),
        (
            {"recipient_countries": [{"country": "USA"}]},
            "recipient_countries.0.country",
            "not one of the served countries",
        ),
        (
            {"reporting_org": {"code": "NOPE", "ref": "KR-GOV-010"}},
            "reporting_org.code",
            "not a known organisation",
        ),
        (
            {"reporting_org": {"code": "KOR-MOHW"}},
            "reporting_org.ref",
            "no known IATI identifier",
        ),
        (
            {"reporting_org": {"code": "KOR-MOHW", "ref": "KR-GOV-010", "type": "99"}},
            "reporting_org.type",
            "not an IATI organisation type",
        ),
        (
            {"iati_identifier": "XM-DAC-928-TEST"},
            "iati_identifier",
            "must begin with the reporting organisation's IATI identifier 'KR-GOV-010-'",
        ),
        (
            {"iati_identifier": "KR-GOV-010-A/B"},
            "iati_identifier",
            "must not contain",
        ),
        ({"default_language": "xx"}, "default_language", "ISO 639-1"),
        ({"default_currency": "XXY"}, "default_currency", "ISO 4217"),
        ({"title": {"zz": "Unknown language"}}, "title.zz", "ISO 639-1"),
        (
            {"participating_orgs": [{"role": 4, "organisation_code": "NOPE"}]},
            "participating_orgs.0.organisation_code",
            "not a known organisation",
        ),
        (
            {"participating_orgs": [{"role": 4, "type": "10"}]},
            "participating_orgs.0.name",
            "IATI identifier (ref) or its name",
        ),
        (
            {
                "budgets": [
                    {
                        "period_start": "2025-01-01",
                        "period_end": "2024-12-31",
                        "value": "1",
                        "currency": "ZZZ",
                        "value_date": "2025-01-01",
                    }
                ]
            },
            "budgets.0.period_end",
            "ends before it starts",
        ),
    ],
)
def test_invalid_projects_are_refused_naming_the_field(
    session: Session, operator: Principal, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        create(session, operator, **changes)
    fields = invalid_fields(refused)
    assert field in fields, fields
    assert words in fields[field]
    assert field in refused.value.detail
    session.rollback()
    assert project_count(session) == 0


def test_every_problem_is_named_not_only_the_first(session: Session, operator: Principal) -> None:
    with pytest.raises(Invalid) as refused:
        create(
            session,
            operator,
            sectors=[{"code": "99999"}],
            recipient_countries=[{"country": "USA"}],
            default_currency="XXY",
        )
    assert {"sectors.0.code", "recipient_countries.0.country", "default_currency"} <= set(
        invalid_fields(refused)
    )


def test_indicator_values_must_be_numbers_unless_qualitative(
    session: Session, operator: Principal
) -> None:
    results = project_payload()["results"]
    results[0]["indicators"][0]["periods"][0]["target_value"] = "fifty"
    with pytest.raises(Invalid) as refused:
        create(session, operator, results=results)
    assert "results.0.indicators.0.periods.0.target_value" in invalid_fields(refused)
    session.rollback()

    results[0]["indicators"][0]["measure"] = 5  # qualitative: text is the point
    project = create(session, operator, results=results)
    assert project.results[0].indicators[0].periods[0].target_value == "fifty"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", {"en": "bad \x07 bell"}),
        ("title", {"en": "   "}),
        ("title", {"english": "not a language code"}),
        ("activity_status", 7),
        ("sectors", []),
        ("participating_orgs", []),
    ],
)
def test_the_schema_refuses_malformed_input(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        ProjectCreate(**project_payload(**{field: value}))
    assert refused.value.errors()[0]["loc"][0] == field


def test_schema_normalises_codes() -> None:
    project_in = ProjectCreate(
        **project_payload(
            default_currency="usd",
            default_language="EN",
            recipient_countries=[{"country": "tha"}],
            title={"EN": "  Padded title  "},
        )
    )
    assert (project_in.default_currency, project_in.default_language) == ("USD", "en")
    assert project_in.recipient_countries[0].country == "THA"
    assert project_in.title == {"en": "Padded title"}


# --- who may write ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EPIDEMIOLOGIST, Role.EOC_OFFICER])
def test_only_cooperation_editors_write_projects(
    session: Session, make_user: Callable[..., User], role: Role
) -> None:
    actor = accounts.principal_of(make_user(role, "THA"))
    with pytest.raises(Forbidden):
        create(session, actor)


def test_a_focal_point_records_projects(session: Session, make_user: Callable[..., User]) -> None:
    actor = accounts.principal_of(make_user(Role.FOCAL_POINT, "THA"))
    assert create(session, actor).id is not None


# --- updating --------------------------------------------------------------------------------


def test_update_replaces_only_what_it_names(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    service.update_project(
        session=session,
        actor=operator,
        project_id=project.id,
        changes=ProjectUpdate(
            title={"en": "Renamed"},
            activity_status=3,
            sectors=[{"code": "12220"}],
        ),
    )
    session.commit()
    session.expire_all()
    stored = service.get_project(session=session, actor=operator, project_id=project.id)
    assert stored.texts("title") == {"en": "Renamed"}
    assert stored.texts("description") == {"en": "A project made by the tests."}
    assert stored.activity_status == 3
    assert [(s.code, s.percentage) for s in stored.sectors] == [("12220", None)]
    assert len(stored.budgets) == 4 and len(stored.results) == 1
    assert session.scalar(select(func.count()).select_from(ProjectSector)) == 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "project.update")).one()
    assert entry.detail["fields"] == ["activity_status", "sectors", "title"]


def test_an_invalid_update_changes_nothing(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    with pytest.raises(Invalid) as refused:
        service.update_project(
            session=session,
            actor=operator,
            project_id=project.id,
            changes=ProjectUpdate(
                activity_dates=[
                    {"type": 1, "iso_date": "2025-01-01"},
                    {"type": 3, "iso_date": "2024-01-01"},
                ]
            ),
        )
    assert "activity_dates.1.iso_date" in invalid_fields(refused)
    session.rollback()
    session.expire_all()
    stored = service.get_project(session=session, actor=operator, project_id=project.id)
    assert [d.iso_date.isoformat() for d in stored.activity_dates] == [
        "2024-01-01",
        "2024-02-01",
        "2026-12-31",
    ]


def test_update_refuses_null_for_a_required_field(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    with pytest.raises(Invalid) as refused:
        service.update_project(
            session=session,
            actor=operator,
            project_id=project.id,
            changes=ProjectUpdate.model_validate({"title": None}),
        )
    assert invalid_fields(refused) == {"title": "must not be null"}


def test_update_of_a_missing_project_is_not_found(session: Session, operator: Principal) -> None:
    with pytest.raises(NotFound):
        service.update_project(
            session=session, actor=operator, project_id=999, changes=ProjectUpdate()
        )


# --- results and transactions ------------------------------------------------------------------


def test_add_result_and_transaction(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    result = service.add_result(
        session=session,
        actor=operator,
        project_id=project.id,
        result_in=ResultIn(**result_payload()),
    )
    transaction = service.add_transaction(
        session=session,
        actor=operator,
        project_id=project.id,
        transaction_in=TransactionIn(**transaction_payload()),
    )
    session.commit()
    read = reads.result_read(result)
    assert [i.measure_label for i in read.indicators] == ["Percentage", "Qualitative"]
    assert read.indicators[0].periods[0].progress == Decimal("70.0")
    assert read.indicators[1].periods[0].progress is None
    session.expire_all()
    stored = service.get_project(session=session, actor=operator, project_id=project.id)
    assert figures.disbursed_total(stored) == Decimal("125000.50")
    assert transaction.id in {t.id for t in stored.transactions}
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["project.result.add", "project.transaction.add"]


def test_add_result_names_the_wrong_field(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    payload = result_payload()
    payload["indicators"][0]["periods"][0]["period_end"] = "2024-01-01"
    with pytest.raises(Invalid) as refused:
        service.add_result(
            session=session,
            actor=operator,
            project_id=project.id,
            result_in=ResultIn(**payload),
        )
    assert "indicators.0.periods.0.period_end" in invalid_fields(refused)


def test_add_transaction_names_the_wrong_field(session: Session, operator: Principal) -> None:
    project = create(session, operator)
    with pytest.raises(Invalid) as refused:
        service.add_transaction(
            session=session,
            actor=operator,
            project_id=project.id,
            transaction_in=TransactionIn(
                **transaction_payload(currency="ZZZ", provider_org={"type": "10"})
            ),
        )
    assert {"currency", "provider_org"} <= set(invalid_fields(refused))


# --- listing ---------------------------------------------------------------------------------


@pytest.fixture
def portfolio(session: Session, operator: Principal) -> list[Project]:
    return [
        create(session, operator),
        create(
            session,
            operator,
            iati_identifier="KR-GOV-010-TEST-002",
            title={"en": "Primary care", "ko": "일차보건의료"},
            activity_status=4,
            recipient_countries=[{"country": "LAO"}],
            sectors=[{"code": "12220"}],
        ),
        create(
            session,
            operator,
            iati_identifier="XM-DAC-928-TEST-003",
            reporting_org={"code": "WHO"},
            title={"en": "Social protection"},
            sectors=[{"code": "16010"}],
            recipient_countries=[],
        ),
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["KR-GOV-010-TEST-001", "KR-GOV-010-TEST-002", "XM-DAC-928-TEST-003"]),
        ({"status": 4}, ["KR-GOV-010-TEST-002"]),
        ({"sector": "12264"}, ["KR-GOV-010-TEST-001"]),
        ({"country": "lao"}, ["KR-GOV-010-TEST-002"]),
        ({"reporting_org": "who"}, ["XM-DAC-928-TEST-003"]),
        ({"q": "일차"}, ["KR-GOV-010-TEST-002"]),
        ({"q": "test-003"}, ["XM-DAC-928-TEST-003"]),
        ({"q": "100%"}, []),
    ],
)
def test_list_filters(
    session: Session,
    operator: Principal,
    portfolio: list[Project],
    filters: dict[str, Any],
    expected: list[str],
) -> None:
    rows, total = service.list_projects(
        session=session, actor=operator, page=PageRequest(), **filters
    )
    assert [p.iati_identifier for p in rows] == expected
    assert total == len(expected)


def test_reporting_org_identity_comes_from_the_shipped_list(
    session: Session, operator: Principal, portfolio: list[Project]
) -> None:
    who = portfolio[2]
    assert (who.reporting_org_ref, who.reporting_org_type) == ("XM-DAC-928", "40")


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "ascending", "baseline", "target", "actual", "expected"),
    [
        (1, True, "0", "100", "50", Decimal("50.0")),
        (1, True, None, "40", "42", Decimal("105.0")),
        (2, True, "60", "70", "68", Decimal("80.0")),
        (1, False, "7", "3", "5", Decimal("50.0")),
        (1, False, "7", "3", "8", Decimal("-25.0")),
        (1, True, "5", "5", "5", None),
        (1, True, "0", "10", None, None),
        (5, True, None, "accredited", "accredited", None),
    ],
)
def test_progress(
    measure: int,
    ascending: bool,
    baseline: str | None,
    target: str | None,
    actual: str | None,
    expected: Decimal | None,
) -> None:
    assert (
        figures.progress(
            measure=measure, ascending=ascending, baseline=baseline, target=target, actual=actual
        )
        == expected
    )
