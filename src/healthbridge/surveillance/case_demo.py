"""Demo case reports: 300 synthetic dengue and measles cases of Thailand and Viet Nam in 2024,
most with a laboratory result.

These are DEMO VALUES, NOT SURVEILLANCE DATA: drawn with a fixed seed (every load draws the same
cases), with case identifiers marked ``DEMO-``. They go through the same CSV import as any
country's file (file name :data:`DEMO_FILE`), so loading them twice stores them once, and they
roll up into weekly counts (source ``case_rollup``) like real case reports.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy.orm import Session

from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.interop.cases_csv import write_cases_csv
from healthbridge.policy import Principal
from healthbridge.surveillance import cases

DEMO_FILE = "demo-synthetic-case-reports.csv"
SEED = 20_240_601
CASES_PER_COUNTRY = 150
FIRST_DAY = dt.date(2024, 5, 6)
DAYS = 140
AREAS = {
    "THA": ("TH-10", "TH-30", "TH-40", "TH-50", "TH-90"),
    "VNM": ("VN-HN", "VN-SG", "VN-DN", "VN-CT", "VN-34"),
}
LABORATORIES = {
    "THA": (
        "DEMO National Institute of Health, Nonthaburi",
        "DEMO Regional Medical Sciences Centre 1",
    ),
    "VNM": ("DEMO National Institute of Hygiene and Epidemiology", "DEMO Pasteur Institute HCMC"),
}
AGE_GROUPS = ("0-4", "5-14", "15-24", "25-44", "45-64", "65+")


def demo_records() -> tuple[list[CaseRecord], list[LabRecord]]:
    """The demo cases and their lab results, the same on every call."""
    rng = np.random.default_rng(SEED)
    found: list[CaseRecord] = []
    labs: list[LabRecord] = []
    for country in ("THA", "VNM"):
        for n in range(CASES_PER_COUNTRY):
            measles = rng.random() < 0.15
            # Dengue rises towards the rainy season's peak: later days are likelier.
            onset_day = int(DAYS * rng.beta(2.2, 1.6))
            onset = FIRST_DAY + dt.timedelta(days=onset_day)
            report = onset + dt.timedelta(days=int(rng.integers(1, 6)))
            tested = rng.random() < 0.8
            positive = tested and rng.random() < 0.75
            died = rng.random() < 0.01
            case_id = f"DEMO-{country}-2024-{n + 1:04d}"
            found.append(
                CaseRecord(
                    row=0,
                    country=country,
                    case_id=case_id,
                    disease="measles" if measles else "dengue",
                    classification="confirmed"
                    if positive
                    else str(rng.choice(["suspected", "probable"])),
                    report_date=report,
                    onset_date=onset,
                    notification_date=report + dt.timedelta(days=int(rng.integers(0, 2))),
                    area=str(rng.choice(AREAS[country])),
                    age_group=str(rng.choice(AGE_GROUPS, p=[0.1, 0.3, 0.25, 0.2, 0.1, 0.05])),
                    sex=str(rng.choice(["female", "male"])),
                    outcome="died" if died else str(rng.choice(["recovered", "alive"])),
                    hospitalised=bool(rng.random() < 0.3),
                    travelled=False,
                )
            )
            if not tested:
                continue
            sampled = report + dt.timedelta(days=int(rng.integers(0, 2)))
            resulted = sampled + dt.timedelta(days=int(rng.gamma(2.0, 1.2)))
            labs.append(
                LabRecord(
                    row=0,
                    country=country,
                    case_id=case_id,
                    sample_id=f"DEMO-{country}-S{n + 1:05d}",
                    test_type="pcr" if rng.random() < 0.6 else "serology",
                    pathogen="MEV" if measles else "DENV",
                    subtype=None if measles or not positive else f"DENV-{int(rng.integers(1, 5))}",
                    result="positive" if positive else "negative",
                    sample_date=sampled,
                    result_date=resulted,
                    specimen="serum",
                    laboratory=str(rng.choice(LABORATORIES[country])),
                )
            )
    return found, labs


def load_demo(*, session: Session, actor: Principal) -> cases.CaseImportReport:
    """Import the demo cases (through the CSV import; idempotent)."""
    found, labs = demo_records()
    data = write_cases_csv(found, labs).encode()
    return cases.import_case_file(
        session=session, actor=actor, data=data, filename=DEMO_FILE, format="csv"
    )
