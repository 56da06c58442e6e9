"""Demo data of the projects part: four Korea–ASEAN health cooperation projects.

The projects themselves are real lines of cooperation announced in public press releases of the
Ministry of Health and Welfare (UHC and health insurance capacity building offered at the 1st
ASEAN–Republic of Korea Health Ministers' Meeting, Bali, 2022; the WHO global biomanufacturing
training hub designated in the Republic of Korea in February 2022; KOFIH's primary health care
work in Lao PDR; KDCA's laboratory cooperation). Their budgets, transactions, indicator values
and exact dates are illustrative, and every description says so ("Demo data").

They are reported under ``KR-GOV-010``, the IATI identifier under which the Republic of Korea's
government publishes its ODA activities.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from healthbridge.cooperation.projects import service
from healthbridge.cooperation.projects.schemas import ProjectCreate
from healthbridge.policy import Principal

REPORTING_ORG = {"code": "KOR-MOHW", "ref": "KR-GOV-010", "type": "10"}
DEMO_NOTE = (
    "Demo data: the cooperation is real, the figures (budgets, transactions, indicator values) "
    "and exact dates are illustrative."
)
MOHW = {"ref": "KR-GOV-010", "type": "10", "name": {"en": "Ministry of Health and Welfare"}}


def _dates(
    planned_start: str, actual_start: str, planned_end: str, actual_end: str | None = None
) -> list[dict[str, Any]]:
    dates = [
        {"type": 1, "iso_date": planned_start},
        {"type": 2, "iso_date": actual_start},
        {"type": 3, "iso_date": planned_end},
    ]
    if actual_end:
        dates.append({"type": 4, "iso_date": actual_end})
    return dates


def _budgets(
    by_year: dict[int, int], revised: dict[int, int] | None = None
) -> list[dict[str, Any]]:
    budgets = []
    for year, value in by_year.items():
        budgets.append(_budget(year, value, budget_type=1))
        if revised and year in revised:
            budgets.append(_budget(year, revised[year], budget_type=2))
    return budgets


def _budget(year: int, value: int, *, budget_type: int) -> dict[str, Any]:
    return {
        "type": budget_type,
        "status": 2,
        "period_start": dt.date(year, 1, 1),
        "period_end": dt.date(year, 12, 31),
        "value": Decimal(value),
        "value_date": dt.date(year, 1, 1),
    }


def _transactions(
    commitment: tuple[str, int], disbursements: list[tuple[str, int]], receiver: str
) -> list[dict[str, Any]]:
    to = {"name": {"en": receiver}}
    rows = [
        {
            "type": 2,
            "transaction_date": commitment[0],
            "value": Decimal(commitment[1]),
            "value_date": commitment[0],
            "description": {"en": "Commitment for the whole project"},
            "provider_org": MOHW,
            "receiver_org": to,
        }
    ]
    for day, value in disbursements:
        rows.append(
            {
                "type": 3,
                "transaction_date": day,
                "value": Decimal(value),
                "value_date": day,
                "description": {"en": f"Annual disbursement {day[:4]}"},
                "provider_org": MOHW,
                "receiver_org": to,
            }
        )
    return rows


def _indicator(
    title: str,
    *,
    measure: int,
    baseline: str | None,
    targets: tuple[str, str, str],
    actuals: tuple[str, str, str],
    ascending: bool = True,
    baseline_year: int = 2022,
) -> dict[str, Any]:
    """An indicator with a baseline and yearly targets and actuals for 2023, 2024 and 2025."""
    return {
        "measure": measure,
        "ascending": ascending,
        "title": {"en": title},
        "baseline": {
            "year": baseline_year,
            "iso_date": dt.date(baseline_year, 12, 31),
            "value": baseline,
        },
        "periods": [
            {
                "period_start": dt.date(year, 1, 1),
                "period_end": dt.date(year, 12, 31),
                "target_value": target,
                "actual_value": actual,
            }
            for year, target, actual in zip((2023, 2024, 2025), targets, actuals, strict=True)
        ],
    }


def _result(result_type: int, title: str, *indicators: dict[str, Any]) -> dict[str, Any]:
    return {"type": result_type, "title": {"en": title}, "indicators": list(indicators)}


DEMO_PROJECTS: tuple[dict[str, Any], ...] = (
    {
        "iati_identifier": "KR-GOV-010-HB-2022-001",
        "title": {
            "en": "ASEAN health insurance capacity building",
            "ko": "아세안 건강보험 역량강화 사업",
        },
        "description": {
            "en": "Capacity building for the health insurance and social health protection "
            "schemes of ASEAN Member States on their way to universal health coverage: courses "
            "for officials on benefit packages, provider payment, claims review and fund "
            "management, drawing on the Republic of Korea's National Health Insurance. Offered "
            "by the Republic of Korea at the 1st ASEAN–Republic of Korea Health Ministers' "
            "Meeting (Bali, 15 May 2022). " + DEMO_NOTE,
        },
        "activity_status": 2,
        "participating_orgs": [
            {"role": 1, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {"role": 2, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {"role": 4, "organisation_code": "KOR-NHIS"},
            {"role": 4, "organisation_code": "KOR-HIRA"},
        ],
        "activity_dates": _dates("2022-07-01", "2022-10-04", "2026-12-31"),
        "recipient_countries": [
            {"country": code, "percentage": 20} for code in ("KHM", "IDN", "LAO", "PHL", "VNM")
        ],
        "sectors": [
            {"code": "16010", "percentage": 50},
            {"code": "12110", "percentage": 50},
        ],
        "budgets": _budgets({2023: 1_200_000, 2024: 1_300_000, 2025: 1_300_000}, {2025: 1_450_000}),
        "transactions": _transactions(
            ("2022-09-15", 5_200_000),
            [("2023-03-15", 1_150_000), ("2024-03-14", 1_280_000), ("2025-03-17", 1_400_000)],
            "National Health Insurance Service",
        ),
        "results": [
            _result(
                1,
                "Officials trained in health insurance administration",
                _indicator(
                    "Officials who completed a health insurance course (cumulative)",
                    measure=1,
                    baseline="0",
                    targets=("60", "120", "180"),
                    actuals=("64", "131", "176"),
                ),
            ),
            _result(
                2,
                "Health financing reforms under way",
                _indicator(
                    "Countries with an updated benefit package or health financing roadmap",
                    measure=1,
                    baseline="0",
                    targets=("1", "3", "5"),
                    actuals=("1", "2", "4"),
                ),
            ),
        ],
    },
    {
        "iati_identifier": "KR-GOV-010-HB-2022-002",
        "title": {
            "en": "Global biomanufacturing workforce training hub",
            "ko": "글로벌 바이오 인력양성 허브",
        },
        "description": {
            "en": "Hands-on training in vaccine and biologics production for the workforce of "
            "ASEAN Member States and other low- and middle-income countries, after WHO "
            "designated the Republic of Korea as the global biomanufacturing training hub "
            "(February 2022). " + DEMO_NOTE,
        },
        "activity_status": 2,
        "participating_orgs": [
            {"role": 1, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {"role": 2, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {
                "role": 4,
                "type": "15",
                "name": {"en": "Korea Health Industry Development Institute"},
            },
            {"role": 4, "organisation_code": "WHO"},
        ],
        "activity_dates": _dates("2022-07-01", "2022-08-01", "2026-12-31"),
        "recipient_countries": [
            {"country": "IDN", "percentage": 25},
            {"country": "VNM", "percentage": 25},
            {"country": "THA", "percentage": 20},
            {"country": "PHL", "percentage": 15},
            {"country": "MYS", "percentage": 15},
        ],
        "sectors": [{"code": "12281", "percentage": 100}],
        "budgets": _budgets({2023: 2_000_000, 2024: 2_500_000, 2025: 2_500_000}),
        "transactions": _transactions(
            ("2022-06-30", 7_000_000),
            [("2023-02-20", 1_900_000), ("2024-02-19", 2_450_000), ("2025-02-18", 2_380_000)],
            "Korea Health Industry Development Institute",
        ),
        "results": [
            _result(
                1,
                "Biomanufacturing workforce trained",
                _indicator(
                    "Trainees from ASEAN Member States who completed a course (cumulative)",
                    measure=1,
                    baseline="0",
                    targets=("150", "300", "450"),
                    actuals=("168", "322", "430"),
                ),
            ),
            _result(
                2,
                "Skills used in production",
                _indicator(
                    "Trainees applying the skills in their facility six months after the course",
                    measure=2,
                    baseline="60",
                    targets=("65", "70", "75"),
                    actuals=("66", "74", "71"),
                ),
            ),
        ],
    },
    {
        "iati_identifier": "KR-GOV-010-HB-2023-003",
        "title": {
            "en": "Primary health care in Lao PDR",
            "ko": "라오스 일차보건의료 강화 사업",
        },
        "description": {
            "en": "Strengthening primary health care in selected provinces of Lao PDR with the "
            "Lao Ministry of Health: training of health centre staff, supportive supervision and "
            "essential equipment, implemented by the Korea Foundation for International "
            "Healthcare (KOFIH). " + DEMO_NOTE,
        },
        "activity_status": 4,
        "participating_orgs": [
            {"role": 1, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {"role": 3, "organisation_code": "KOR-KOFIH"},
            {"role": 4, "organisation_code": "KOR-KOFIH"},
            {"role": 4, "organisation_code": "LAO-MOH"},
        ],
        "activity_dates": _dates("2023-01-01", "2023-03-01", "2025-12-31", "2025-12-31"),
        "recipient_countries": [{"country": "LAO"}],
        "sectors": [{"code": "12220"}],
        "budgets": _budgets({2023: 800_000, 2024: 900_000, 2025: 900_000}),
        "transactions": _transactions(
            ("2023-01-20", 2_600_000),
            [("2023-03-10", 780_000), ("2024-03-08", 890_000), ("2025-03-07", 905_000)],
            "Korea Foundation for International Healthcare",
        ),
        "results": [
            _result(
                1,
                "Health centre staff trained",
                _indicator(
                    "Health centre staff trained in integrated primary health care (cumulative)",
                    measure=1,
                    baseline="0",
                    targets=("80", "160", "240"),
                    actuals=("85", "171", "236"),
                ),
            ),
            _result(
                2,
                "Safer deliveries in the target districts",
                _indicator(
                    "Deliveries attended by skilled health personnel in the target districts",
                    measure=2,
                    baseline="52",
                    targets=("56", "60", "65"),
                    actuals=("55", "61", "63"),
                ),
            ),
        ],
    },
    {
        "iati_identifier": "KR-GOV-010-HB-2023-004",
        "title": {
            "en": "Infectious disease laboratory capacity",
            "ko": "감염병 진단 실험실 역량강화 사업",
        },
        "description": {
            "en": "Strengthening public health laboratories of ASEAN Member States for the "
            "detection of priority infectious diseases: quality management, biosafety, PCR and "
            "genomic sequencing training, and external quality assessment, led by the Korea "
            "Disease Control and Prevention Agency (KDCA). " + DEMO_NOTE,
        },
        "activity_status": 2,
        "participating_orgs": [
            {"role": 1, "organisation_code": "KOR-MOHW", "ref": "KR-GOV-010"},
            {"role": 2, "organisation_code": "KOR-KDCA"},
            {"role": 4, "organisation_code": "KOR-KDCA"},
        ],
        "activity_dates": _dates("2023-04-01", "2023-06-01", "2026-12-31"),
        "recipient_countries": [
            {"country": code, "percentage": 20} for code in ("KHM", "LAO", "MMR", "PHL", "VNM")
        ],
        "sectors": [
            {"code": "12250", "percentage": 80},
            {"code": "12264", "percentage": 20},
        ],
        "budgets": _budgets({2023: 1_000_000, 2024: 1_500_000, 2025: 1_500_000}),
        "transactions": _transactions(
            ("2023-03-31", 4_000_000),
            [("2023-06-15", 950_000), ("2024-03-12", 1_420_000), ("2025-03-11", 1_380_000)],
            "Korea Disease Control and Prevention Agency",
        ),
        "results": [
            _result(
                1,
                "Laboratory staff trained",
                _indicator(
                    "Laboratory staff trained in PCR and genomic sequencing (cumulative)",
                    measure=1,
                    baseline="0",
                    targets=("40", "90", "140"),
                    actuals=("42", "95", "133"),
                ),
            ),
            _result(
                2,
                "Reliable laboratory results",
                _indicator(
                    "Laboratories passing the external quality assessment panel",
                    measure=2,
                    baseline="60",
                    targets=("70", "80", "90"),
                    actuals=("68", "82", "88"),
                ),
                _indicator(
                    "Days from sample collection to a confirmed result for priority pathogens",
                    measure=1,
                    baseline="7",
                    targets=("5", "4", "3"),
                    actuals=("5", "3.5", "3"),
                    ascending=False,
                ),
            ),
        ],
    },
)


def demo_inputs() -> list[ProjectCreate]:
    """The demo projects as API input."""
    return [
        ProjectCreate.model_validate({"reporting_org": REPORTING_ORG, **spec})
        for spec in DEMO_PROJECTS
    ]


def load_demo(*, session: Session, actor: Principal) -> None:
    """Load the demo projects (idempotent: a project found by its IATI identifier is kept)."""
    for project_in in demo_inputs():
        if service.find_project(session=session, iati_identifier=project_in.iati_identifier):
            continue
        service.create_project(session=session, actor=actor, project_in=project_in)
