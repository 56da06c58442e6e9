"""Reference data and the demo: what ``seed_reference_data`` and ``load_demo`` put in the database.

Every test runs on a fresh database that the harness already migrated and seeded once.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge import flows
from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.geography.models import Country, Membership, Subdivision
from healthbridge.geography.service import first_level_subdivisions
from healthbridge.organisations.models import Organisation
from healthbridge.surveillance.models import CaseClassification, Disease

SERVED = {
    "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM",
    "KOR", "CHN", "JPN",
}  # fmt: skip
ASEAN = SERVED - {"KOR", "CHN", "JPN"}
PLUS_THREE = {"KOR", "CHN", "JPN"}

#: The diseases the platform must know, by their code in ``reference/diseases.json``.
REQUIRED_DISEASES = {
    "dengue": "dengue",
    "severe dengue": "severe_dengue",
    "chikungunya": "chikungunya",
    "Zika": "zika",
    "malaria": "malaria",
    "cholera": "cholera",
    "typhoid": "typhoid",
    "measles": "measles",
    "rubella": "rubella",
    "diphtheria": "diphtheria",
    "pertussis": "pertussis",
    "polio": "polio",
    "influenza": "influenza_seasonal",
    "avian influenza H5N1": "avian_influenza_h5n1",
    "COVID-19": "covid_19",
    "MERS": "mers",
    "mpox": "mpox",
    "rabies": "rabies",
    "leptospirosis": "leptospirosis",
    "hand-foot-and-mouth disease": "hand_foot_mouth_disease",
    "Japanese encephalitis": "japanese_encephalitis",
    "Nipah": "nipah_virus_infection",
    "tuberculosis": "tuberculosis",
    "HIV": "hiv_infection",
}
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9])?$")
REFERENCE_TABLES = (Country, Membership, Subdivision, Organisation, Disease, CaseClassification)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {model.__tablename__: _count(session, model) for model in REFERENCE_TABLES}


def _snapshot(factory: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """The content of every reference table, in a stable order."""
    with factory() as session:
        return {
            "countries": [
                (c.code, c.alpha2, c.numeric, c.name_en, c.capital, c.timezone)
                for c in session.scalars(select(Country).order_by(Country.code))
            ],
            "memberships": [
                (m.country_code, m.group_code, m.role, m.since, m.until)
                for m in session.scalars(
                    select(Membership).order_by(Membership.country_code, Membership.group_code)
                )
            ],
            "subdivisions": [
                (s.code, s.country_code, s.name, s.type)
                for s in session.scalars(select(Subdivision).order_by(Subdivision.code))
            ],
            "organisations": [
                (o.code, o.name_en, o.kind, o.country_code, o.parent_code)
                for o in session.scalars(select(Organisation).order_by(Organisation.code))
            ],
            "diseases": [
                (d.code, d.name_en, d.icd10, d.category, tuple(d.icd10_codes))
                for d in session.scalars(select(Disease).order_by(Disease.code))
            ],
            "classifications": [
                (c.disease_code, c.level, c.rank)
                for c in session.scalars(
                    select(CaseClassification).order_by(
                        CaseClassification.disease_code, CaseClassification.rank
                    )
                )
            ],
        }


# --- countries and groups -------------------------------------------------------------------


def test_exactly_the_fourteen_served_countries(session: Session) -> None:
    codes = set(session.scalars(select(Country.code)))
    assert codes == SERVED
    assert _count(session, Country) == 14


def test_asean_has_eleven_members_including_timor_leste(session: Session) -> None:
    members = set(
        session.scalars(select(Membership.country_code).where(Membership.group_code == "ASEAN"))
    )
    assert members == ASEAN
    assert len(members) == 11


def test_timor_leste_is_an_asean_member_since_26_october_2025(session: Session) -> None:
    membership = session.scalar(
        select(Membership).where(Membership.country_code == "TLS", Membership.group_code == "ASEAN")
    )
    assert membership is not None
    assert membership.role == "member"
    assert membership.since == dt.date(2025, 10, 26)
    assert membership.until is None


def test_asean_plus_three_is_the_eleven_and_china_japan_korea(session: Session) -> None:
    apt = {
        m.country_code: m.role
        for m in session.scalars(select(Membership).where(Membership.group_code == "APT"))
    }
    assert set(apt) == ASEAN | PLUS_THREE
    assert {code for code, role in apt.items() if role == "plus_three"} == PLUS_THREE


def test_every_country_has_first_level_subdivisions_with_its_alpha2_prefix(
    session: Session,
) -> None:
    for country in session.scalars(select(Country)):
        subdivisions = list(
            session.scalars(select(Subdivision).where(Subdivision.country_code == country.code))
        )
        assert subdivisions, f"{country.code} has no subdivisions"
        for subdivision in subdivisions:
            assert subdivision.code.startswith(f"{country.alpha2}-"), (
                f"{subdivision.code} does not belong to {country.code} ({country.alpha2})"
            )
            assert subdivision.name.strip()
            assert subdivision.type.strip()


def test_subdivisions_are_those_of_pycountry_without_a_parent(session: Session) -> None:
    thailand = {
        s.code
        for s in session.scalars(select(Subdivision).where(Subdivision.country_code == "THA"))
    }
    assert thailand == {code for code, _n, _t in first_level_subdivisions("TH")}
    assert "TH-10" in thailand  # Bangkok
    # Only first-level: Philippine provinces (children of regions) are not loaded.
    philippines = {
        s.code
        for s in session.scalars(select(Subdivision).where(Subdivision.country_code == "PHL"))
    }
    assert "PH-00" in philippines  # National Capital Region
    assert "PH-ABR" not in philippines  # Abra, a province of the Cordillera region


# --- organisations and diseases -------------------------------------------------------------


def test_organisations_are_loaded_with_their_parents(session: Session) -> None:
    records = flows.reference_records("organisations")
    assert _count(session, Organisation) == len(records)
    kdca = session.get(Organisation, "KOR-KDCA")
    assert kdca is not None
    assert (kdca.kind, kdca.country_code, kdca.parent_code) == (
        "public_health_agency",
        "KOR",
        "KOR-MOHW",
    )
    for country in SERVED:
        ministries = session.scalars(
            select(Organisation.code).where(
                Organisation.country_code == country, Organisation.kind == "ministry_of_health"
            )
        ).all()
        assert len(ministries) == 1, f"{country} should have one ministry of health: {ministries}"


def test_all_required_diseases_are_present(session: Session) -> None:
    present = set(session.scalars(select(Disease.code)))
    missing = {name: code for name, code in REQUIRED_DISEASES.items() if code not in present}
    assert missing == {}


def test_every_disease_has_a_valid_icd10_code(session: Session) -> None:
    diseases = session.scalars(select(Disease)).all()
    assert len(diseases) >= len(REQUIRED_DISEASES)
    for disease in diseases:
        assert ICD10.match(disease.icd10), f"{disease.code}: bad ICD-10 code {disease.icd10!r}"
        assert disease.icd10_codes, f"{disease.code} has no ICD-10 codes"


def test_known_icd10_codes(session: Session) -> None:
    expected = {"dengue": "A97.9", "severe_dengue": "A97.2", "cholera": "A00.9", "mpox": "B04"}
    for code, icd10 in expected.items():
        disease = session.get(Disease, code)
        assert disease is not None
        assert disease.icd10 == icd10


def test_case_classifications_are_suspected_probable_confirmed_in_order(
    session: Session,
) -> None:
    records = {r["code"]: r for r in flows.reference_records("diseases")}
    for disease in session.scalars(select(Disease)):
        levels = [c.level for c in disease.classifications]
        ranks = [c.rank for c in disease.classifications]
        if disease.code == "hiv_infection":
            # HIV is notified on laboratory confirmation only.
            assert levels == ["confirmed"]
        else:
            assert levels == ["suspected", "probable", "confirmed"], disease.code
        assert ranks == sorted(ranks)
        assert levels == records[disease.code].get(
            "case_classifications", ["suspected", "probable", "confirmed"]
        )


# --- idempotence ----------------------------------------------------------------------------


def test_seeding_twice_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    counts_before, content_before = _counts(session_factory), _snapshot(session_factory)
    assert counts_before["countries"] == 14
    results = []
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            results.append(flows.seed_reference_data(session=session))
    assert results[0] == results[1]
    assert results[0].countries == 14
    assert results[0].subdivisions == counts_before["subdivisions"]
    assert results[0].organisations == counts_before["organisations"]
    assert results[0].diseases == counts_before["diseases"]
    assert _counts(session_factory) == counts_before
    assert _snapshot(session_factory) == content_before


def test_seeding_repairs_edited_and_stale_reference_rows(
    session_factory: sessionmaker[Session], raw_sql: Any
) -> None:
    content_before = _snapshot(session_factory)
    raw_sql("UPDATE countries SET name_en = 'Siam' WHERE code = 'THA'")
    raw_sql("UPDATE diseases SET icd10 = 'X99' WHERE code = 'dengue'")
    raw_sql(
        "INSERT INTO memberships (country_code, group_code, role, since) "
        "VALUES ('KOR', 'ASEAN', 'member', '2020-01-01')"
    )
    assert _snapshot(session_factory) != content_before
    with unit_of_work(session_factory) as session:
        flows.seed_reference_data(session=session)
    assert _snapshot(session_factory) == content_before


# --- the demo -------------------------------------------------------------------------------


def _demo_users(session: Session) -> list[User]:
    emails = [account.email for account in flows.DEMO_ACCOUNTS]
    return list(session.scalars(select(User).where(User.email.in_(emails))))


def test_load_demo_creates_every_demo_account(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        returned = flows.load_demo(session=session)
    assert returned == list(flows.DEMO_ACCOUNTS)
    with session_factory() as session:
        users = {user.email: user for user in _demo_users(session)}
        assert set(users) == {account.email for account in flows.DEMO_ACCOUNTS}
        for account in flows.DEMO_ACCOUNTS:
            user = users[account.email]
            assert user.role == account.role.value
            assert user.country_code == account.country
            assert user.organisation_code == account.organisation
            assert user.full_name == account.full_name
            assert user.is_active
        signed_in = accounts.authenticate(
            session=session, email="epi.tha@healthbridge.demo", password=flows.DEMO_PASSWORD
        )
        assert signed_in.email == "epi.tha@healthbridge.demo"


def test_load_demo_twice_creates_the_accounts_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        users_before = _count(session, User)
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            flows.load_demo(session=session)
    with session_factory() as session:
        assert _count(session, User) == users_before + len(flows.DEMO_ACCOUNTS)
        assert len(_demo_users(session)) == len(flows.DEMO_ACCOUNTS)
        creations = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.create")
        )
        assert creations == len(flows.DEMO_ACCOUNTS)
    assert _counts(session_factory)["countries"] == 14
