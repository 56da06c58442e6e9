"""A valid project document to start tests from (change one thing, see what happens)."""

from __future__ import annotations

import copy
from typing import Any

IDENTIFIER = "KR-GOV-010-TEST-001"

_PROJECT: dict[str, Any] = {
    "iati_identifier": IDENTIFIER,
    "default_language": "en",
    "default_currency": "USD",
    "reporting_org": {"code": "KOR-MOHW", "ref": "KR-GOV-010", "type": "10"},
    "title": {"en": "Test cooperation project", "ko": "시험 협력 사업"},
    "description": {"en": "A project made by the tests."},
    "activity_status": 2,
    "participating_orgs": [
        {"role": 1, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
        {"role": 4, "organisation_code": "KOR-KDCA"},
        {"role": 4, "name": {"en": "A partner without an identifier"}, "type": "80"},
    ],
    "activity_dates": [
        {"type": 1, "iso_date": "2024-01-01"},
        {"type": 2, "iso_date": "2024-02-01"},
        {"type": 3, "iso_date": "2026-12-31"},
    ],
    "recipient_countries": [
        {"country": "THA", "percentage": 60},
        {"country": "VNM", "percentage": 40},
    ],
    "sectors": [
        {"code": "12250", "percentage": 70},
        {"code": "12264", "percentage": 30},
    ],
    "budgets": [
        {
            "type": 1,
            "status": 2,
            "period_start": "2024-01-01",
            "period_end": "2024-12-31",
            "value": "100000.00",
            "value_date": "2024-01-01",
        },
        {
            "type": 1,
            "status": 1,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "value": "150000",
            "value_date": "2025-01-01",
        },
        {
            "type": 2,
            "status": 2,
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "value": "120000",
            "value_date": "2025-06-01",
        },
        {
            "type": 1,
            "status": 1,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "value": "50000",
            "currency": "EUR",
            "value_date": "2026-01-01",
        },
    ],
    "transactions": [
        {
            "type": 2,
            "transaction_date": "2024-01-15",
            "value": "270000",
            "value_date": "2024-01-15",
            "provider_org": {"ref": "KR-GOV-010", "type": "10", "name": {"en": "MOHW"}},
        },
        {
            "type": 3,
            "transaction_date": "2024-03-01",
            "value": "90000",
            "value_date": "2024-03-01",
            "description": {"en": "First disbursement"},
            "receiver_org": {"name": {"en": "KDCA"}},
        },
        {
            "type": 4,
            "transaction_date": "2024-09-01",
            "value": "10000.50",
            "value_date": "2024-09-01",
        },
    ],
    "results": [
        {
            "type": 1,
            "title": {"en": "Laboratory staff trained"},
            "indicators": [
                {
                    "measure": 1,
                    "ascending": True,
                    "title": {"en": "Staff trained (cumulative)"},
                    "baseline": {"year": 2023, "iso_date": "2023-12-31", "value": "10"},
                    "periods": [
                        {
                            "period_start": "2024-01-01",
                            "period_end": "2024-12-31",
                            "target_value": "50",
                            "actual_value": "40",
                        }
                    ],
                }
            ],
        }
    ],
}


def project_payload(**changes: Any) -> dict[str, Any]:
    """A fresh copy of a valid project, with top-level ``changes``."""
    payload = copy.deepcopy(_PROJECT)
    payload.update(changes)
    return payload


def result_payload() -> dict[str, Any]:
    """A valid result with one qualitative and one percentage indicator."""
    return {
        "type": 2,
        "title": {"en": "Laboratories accredited"},
        "description": {"en": "Quality management"},
        "indicators": [
            {
                "measure": 2,
                "title": {"en": "Laboratories passing external quality assessment"},
                "baseline": {"year": 2023, "value": "50"},
                "periods": [
                    {
                        "period_start": "2025-01-01",
                        "period_end": "2025-12-31",
                        "target_value": "80",
                        "actual_value": "71",
                    }
                ],
            },
            {
                "measure": 5,
                "title": {"en": "Accreditation status"},
                "periods": [
                    {
                        "period_start": "2025-01-01",
                        "period_end": "2025-12-31",
                        "target_value": "ISO 15189 accredited",
                        "actual_value": "Assessment scheduled",
                    }
                ],
            },
        ],
    }


def transaction_payload(**changes: Any) -> dict[str, Any]:
    """A valid disbursement."""
    return {
        "type": 3,
        "transaction_date": "2025-03-01",
        "value": "25000",
        "value_date": "2025-03-01",
        "description": {"en": "Second disbursement"},
        **changes,
    }


def load_demo_projects(session_factory: Any, actor: Any) -> dict[str, int]:
    """Load the demo projects (committed); their ids by IATI identifier."""
    from sqlalchemy import select

    from healthbridge.cooperation.projects import demo
    from healthbridge.cooperation.projects.models import Project
    from healthbridge.db import unit_of_work

    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=actor)
    with session_factory() as session:
        rows = session.execute(select(Project.iati_identifier, Project.id))
        return {identifier: project_id for identifier, project_id in rows}
