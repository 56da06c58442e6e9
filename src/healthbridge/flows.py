"""Work that spans domains: loading the reference data and the demo. Nothing imports this back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.audit import service as audit
from healthbridge.cooperation.commitments import demo as commitments_demo
from healthbridge.cooperation.meetings import demo as meetings_demo
from healthbridge.cooperation.projects import demo as projects_demo
from healthbridge.cooperation.training import demo as training_demo
from healthbridge.cooperation.uhc import demo as uhc_demo
from healthbridge.eoc import assistance_demo
from healthbridge.eoc import demo as eoc_demo
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.policy import Principal, Role, operator_principal
from healthbridge.resources import demo as resources_demo
from healthbridge.resources import plans_demo as resource_plans_demo
from healthbridge.resources import requests_demo as resource_requests_demo
from healthbridge.surveillance import case_demo
from healthbridge.surveillance import demo as surveillance_demo
from healthbridge.surveillance import service as surveillance


def reference_records(name: str) -> list[dict[str, Any]]:
    """The records of a reference file shipped in ``healthbridge/reference/``."""
    text = resources.files("healthbridge").joinpath("reference", f"{name}.json").read_text("utf-8")
    records: list[dict[str, Any]] = json.loads(text)
    return records


@dataclass(frozen=True)
class SeedCounts:
    countries: int
    subdivisions: int
    organisations: int
    diseases: int


def seed_reference_data(*, session: Session, actor: Principal | None = None) -> SeedCounts:
    """Insert or update every reference table from the versioned files. Idempotent."""
    countries = geography.load_countries(session=session, records=reference_records("countries"))
    subdivisions = geography.load_subdivisions(session=session)
    orgs = organisations.load_organisations(
        session=session, records=reference_records("organisations")
    )
    diseases = surveillance.load_diseases(session=session, records=reference_records("diseases"))
    counts = SeedCounts(countries, subdivisions, orgs, diseases)
    audit.record(
        session=session,
        actor=actor or operator_principal("seed"),
        action="reference.seed",
        object_type="reference_data",
        detail=asdict(counts),
    )
    return counts


#: Shared by every demo account; printed by ``healthbridge demo``. Demo databases only.
DEMO_PASSWORD = "healthbridge-demo"  # noqa: S105 - printed on purpose, demo only


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    country: str | None
    organisation: str | None
    title: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "admin@healthbridge.demo",
        "Ayu Pratiwi",
        Role.REGIONAL_ADMIN,
        None,
        "ASEC",
        "Platform administrator",
    ),
    DemoAccount(
        "secretariat@healthbridge.demo",
        "Daniel Tan",
        Role.SECRETARIAT,
        None,
        "ASEC",
        "Senior Officer, Health Division",
    ),
    DemoAccount(
        "focal.tha@healthbridge.demo",
        "Somchai Wongsakul",
        Role.FOCAL_POINT,
        "THA",
        "THA-MOPH",
        "International health focal point",
    ),
    DemoAccount(
        "epi.tha@healthbridge.demo",
        "Nattaya Srisuk",
        Role.EPIDEMIOLOGIST,
        "THA",
        "THA-MOPH",
        "Epidemiologist, Division of Epidemiology",
    ),
    DemoAccount(
        "eoc.vnm@healthbridge.demo",
        "Nguyen Thi Lan",
        Role.EOC_OFFICER,
        "VNM",
        "VNM-MOH",
        "EOC duty officer",
    ),
    DemoAccount(
        "focal.vnm@healthbridge.demo",
        "Tran Van Minh",
        Role.FOCAL_POINT,
        "VNM",
        "VNM-MOH",
        "International health focal point",
    ),
    DemoAccount(
        "logistics.kor@healthbridge.demo",
        "Kim Min-jun",
        Role.LOGISTICS_OFFICER,
        "KOR",
        "KOR-KDCA",
        "Logistics officer",
    ),
    DemoAccount(
        "viewer.idn@healthbridge.demo", "Siti Rahma", Role.VIEWER, "IDN", "IDN-MOH", "Analyst"
    ),
)


def load_demo(*, session: Session, actor: Principal | None = None) -> list[DemoAccount]:
    """Reference data, the demo accounts and each module's demo records. Idempotent."""
    actor = actor or operator_principal("demo")
    seed_reference_data(session=session, actor=actor)
    for account in DEMO_ACCOUNTS:
        if accounts.find_user_by_email(session=session, email=account.email) is not None:
            continue
        accounts.create_user(
            session=session,
            actor=actor,
            user_in=UserCreate(
                email=account.email,
                full_name=account.full_name,
                title=account.title,
                role=account.role,
                country=account.country,
                organisation=account.organisation,
                password=DEMO_PASSWORD,
            ),
        )
    # In the order their records refer to each other.
    for module in (
        meetings_demo,
        projects_demo,
        commitments_demo,
        uhc_demo,
        training_demo,
        surveillance_demo,
    ):
        module.load_demo(session=session, actor=actor)
    case_demo.load_demo(session=session, actor=actor)
    # After the surveillance demo: some events open from its signals.
    eoc_demo.load_demo(session=session, actor=actor)
    assistance_demo.load_demo(session=session, actor=actor)
    resources_demo.load_demo(session=session, actor=actor)
    resource_requests_demo.load_demo(session=session, actor=actor)
    resource_plans_demo.load_demo(session=session, actor=actor)
    return list(DEMO_ACCOUNTS)
