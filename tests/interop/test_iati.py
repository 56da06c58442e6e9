"""IATI 2.03 XML: the export validates against the XSD; the import is safe, atomic, idempotent,
names every problem (activity, element, line), and a round trip changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import load_demo_projects, project_payload

from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.projects import service
from healthbridge.cooperation.projects.models import Project
from healthbridge.cooperation.projects.schemas import ProjectCreate
from healthbridge.cooperation.projects.validation import (
    CountryFacts,
    OrganisationFacts,
    ReferenceData,
    check_project,
)
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.errors import Invalid, NotFound
from healthbridge.interop import iati, iati_import
from healthbridge.policy import Principal

XSD = Path(iati.__file__).parent.parent / "schemas" / "iati-2.03" / "iati-activities-schema.xsd"
GENERATED = re.compile(rb' generated-datetime="[^"]+"')
#: The order of iati-activity's children in the XSD sequence (those HealthBridge writes).
SEQUENCE = [
    "iati-identifier",
    "reporting-org",
    "title",
    "description",
    "participating-org",
    "activity-status",
    "activity-date",
    "recipient-country",
    "sector",
    "budget",
    "transaction",
    "result",
]


def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def export(factory: sessionmaker[Session], actor: Principal, **kwargs: Any) -> bytes:
    with unit_of_work(factory) as session:
        return iati.export_activities(session=session, actor=actor, **kwargs)


def run_import(factory: sessionmaker[Session], actor: Principal, data: bytes) -> str:
    with unit_of_work(factory) as session:
        return iati_import.import_activities(session=session, actor=actor, data=data).summary


def refused(factory: sessionmaker[Session], actor: Principal, data: bytes) -> Invalid:
    with pytest.raises(Invalid) as excinfo, unit_of_work(factory) as session:
        iati_import.import_activities(session=session, actor=actor, data=data)
    return excinfo.value


def line_of(data: bytes, needle: bytes, occurrence: int = 1) -> int:
    start = -1
    for _ in range(occurrence):
        start = data.index(needle, start + 1)
    return data[:start].count(b"\n") + 1


def projects_in(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Project)) or 0


@pytest.fixture
def demo(session_factory: sessionmaker[Session], operator: Principal) -> bytes:
    """The demo projects, stored; their export."""
    load_demo_projects(session_factory, operator)
    return export(session_factory, operator)


# --- export ----------------------------------------------------------------------------------


def test_the_shipped_schema_is_the_one_its_readme_describes() -> None:
    """The XSDs are copied unchanged: each file's SHA-256 is the one the README records."""
    readme = (XSD.parent / "README.md").read_text()
    recorded = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    assert set(recorded) == {"iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd", "LICENSE"}
    for name, digest in recorded.items():
        assert hashlib.sha256((XSD.parent / name).read_bytes()).hexdigest() == digest, name


def test_demo_export_validates_against_the_xsd(demo: bytes) -> None:
    document = etree.fromstring(demo).getroottree()
    schema = xsd()
    assert schema.validate(document), schema.error_log
    root = document.getroot()
    assert root.get("version") == "2.03"
    generated = dt.datetime.fromisoformat(root.get("generated-datetime"))
    assert generated.tzinfo is not None
    assert [a.findtext("iati-identifier") for a in root] == [
        "KR-GOV-010-HB-2022-001",
        "KR-GOV-010-HB-2022-002",
        "KR-GOV-010-HB-2023-003",
        "KR-GOV-010-HB-2023-004",
    ]
    assert demo.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_export_writes_elements_in_the_xsd_order_with_languages_and_alpha2(demo: bytes) -> None:
    root = etree.fromstring(demo)
    for activity in root:
        tags = [child.tag for child in activity]
        order = [SEQUENCE.index(tag) for tag in tags]
        assert order == sorted(order), tags
        assert activity.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert activity.get("default-currency") == "USD"
    narratives = root.iter("narrative")
    assert all(n.get("{http://www.w3.org/XML/1998/namespace}lang") for n in narratives)
    first = root[0]
    assert [c.get("code") for c in first.iterfind("recipient-country")] == [
        "KH",
        "ID",
        "LA",
        "PH",
        "VN",
    ]
    assert first.find("reporting-org").get("ref") == "KR-GOV-010"
    assert first.find("reporting-org").get(iati.HB_ORGANISATION) == "KOR-MOHW"
    title = {
        n.get("{http://www.w3.org/XML/1998/namespace}lang"): n.text for n in first.find("title")
    }
    assert title == {
        "en": "ASEAN health insurance capacity building",
        "ko": "아세안 건강보험 역량강화 사업",
    }
    assert "Demo data" in first.findtext("description/narrative")
    indicator = first.find("result/indicator")
    assert indicator.get("measure") == "1"
    assert indicator.find("baseline").get("year") == "2022"
    periods = indicator.findall("period")
    assert [p.find("period-start").get("iso-date")[:4] for p in periods] == ["2023", "2024", "2025"]
    assert [p.find("actual").get("value") for p in periods] == ["64", "131", "176"]


def test_export_of_one_project_and_of_none(
    session_factory: sessionmaker[Session], operator: Principal, demo: bytes
) -> None:
    one = etree.fromstring(export(session_factory, operator, identifier="KR-GOV-010-HB-2023-003"))
    assert [a.findtext("iati-identifier") for a in one] == ["KR-GOV-010-HB-2023-003"]
    with pytest.raises(NotFound):
        export(session_factory, operator, identifier="KR-GOV-010-NOPE")


def test_export_of_an_empty_portfolio_is_refused(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with pytest.raises(NotFound, match="at least one"):
        export(session_factory, operator)


# --- import: idempotent, round trip ------------------------------------------------------------


def test_the_same_file_twice_is_stored_once(
    session_factory: sessionmaker[Session], operator: Principal, demo: bytes
) -> None:
    assert run_import(session_factory, operator, demo) == "0 created, 0 updated, 4 unchanged"
    assert run_import(session_factory, operator, demo) == "0 created, 0 updated, 4 unchanged"
    assert projects_in(session_factory) == 4
    assert GENERATED.sub(b"", export(session_factory, operator)) == GENERATED.sub(b"", demo)

    changed = demo.replace(b"Primary health care in Lao PDR", b"Primary health care, Lao PDR")
    assert run_import(session_factory, operator, changed) == "0 created, 1 updated, 3 unchanged"
    assert run_import(session_factory, operator, changed) == "0 created, 0 updated, 4 unchanged"
    with session_factory() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("project.%"))
        ).all()
    assert actions.count("project.import") == 4
    assert actions.count("project.update") == 1


@pytest.fixture
def fresh_factory(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """A second fresh database (reference data, no projects) on the same backend."""
    from tests.conftest import _pg_admin_engine, _pg_url

    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "fresh.sqlite3"
        shutil.copyfile(template, target)
        engine = make_engine(f"sqlite:///{target}")
        yield make_session_factory(engine)
        engine.dispose()
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"hb_fresh_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    engine = make_engine(_pg_url(name), pool_size=2)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_round_trip_into_a_fresh_database(
    fresh_factory: sessionmaker[Session], operator: Principal, demo: bytes
) -> None:
    assert run_import(fresh_factory, operator, demo) == "4 created, 0 updated, 0 unchanged"
    again = export(fresh_factory, operator)
    assert GENERATED.sub(b"", again) == GENERATED.sub(b"", demo)
    assert run_import(fresh_factory, operator, again) == "0 created, 0 updated, 4 unchanged"


# --- import: bad input names the activity, the element and the line, and changes nothing ---------


@pytest.fixture
def stored(session_factory: sessionmaker[Session], operator: Principal, demo: bytes) -> bytes:
    """The demo, stored; every refused import must leave its export as it is."""
    return demo


def assert_unchanged(
    factory: sessionmaker[Session], actor: Principal, before: bytes, audit_before: int
) -> None:
    assert GENERATED.sub(b"", export(factory, actor)) == GENERATED.sub(b"", before)
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def audit_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_malformed_xml_is_refused(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    before = audit_count(session_factory)
    broken = stored.replace(b"</title>", b"</titel>", 1)
    error = refused(session_factory, operator, broken)
    [problem] = error.errors
    assert problem.field == "file"
    assert problem.row == line_of(broken, b"</titel>")
    assert "not well-formed" in error.detail
    assert f"line {problem.row}" in error.detail
    for data in (b"", b"not xml at all", b"<iati-activities"):
        assert refused(session_factory, operator, data).errors[0].field == "file"
    assert_unchanged(session_factory, operator, stored, before)


def test_xsd_invalid_files_name_the_activity_and_the_line(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    before = audit_count(session_factory)
    # The third activity loses its activity-status, which the XSD requires.
    broken = stored.replace(b'<activity-status code="4"/>', b"")
    error = refused(session_factory, operator, broken)
    [problem] = error.errors
    assert problem.field.startswith("iati-activity[KR-GOV-010-HB-2023-003]")
    assert "activity-status" in problem.message
    # Where the schema notices: the element after the missing one.
    assert problem.row == line_of(broken, b'<activity-date type="1" iso-date="2023-01-01"/>')
    assert "nothing was changed" in error.detail

    wrong_root = b"<?xml version='1.0'?><activities version='2.03'/>"
    assert "activities" in refused(session_factory, operator, wrong_root).errors[0].message
    assert_unchanged(session_factory, operator, stored, before)


def test_unknown_dac_code_names_the_sector(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    before = audit_count(session_factory)
    broken = stored.replace(b'code="12281"', b'code="12999"')
    error = refused(session_factory, operator, broken)
    [problem] = error.errors
    assert problem.field == "iati-activity[KR-GOV-010-HB-2022-002]/sector[1]/@code"
    assert "'12999' is not a known OECD DAC purpose code" in problem.message
    assert problem.row == line_of(broken, b'code="12999"')
    assert "KR-GOV-010-HB-2022-002" in error.detail and f"line {problem.row}" in error.detail
    assert_unchanged(session_factory, operator, stored, before)


def test_end_before_start_names_the_date(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    before = audit_count(session_factory)
    end = b'<activity-date type="3" iso-date="2025-12-31"/>'
    broken = stored.replace(end, b'<activity-date type="3" iso-date="2022-12-31"/>')
    error = refused(session_factory, operator, broken)
    [problem] = error.errors
    assert problem.field == "iati-activity[KR-GOV-010-HB-2023-003]/activity-date[3]/@iso-date"
    assert "before the planned start date 2023-01-01" in problem.message
    assert problem.row == line_of(broken, b'<activity-date type="3" iso-date="2022-12-31"/>')
    assert_unchanged(session_factory, operator, stored, before)


def test_one_bad_activity_keeps_out_the_good_ones(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    before = audit_count(session_factory)
    # New identifiers for all four (they would be created), one of them with a bad country.
    renamed = stored.replace(b"KR-GOV-010-HB-", b"KR-GOV-010-NEW-")
    broken = renamed.replace(b'<recipient-country code="LA"/>', b'<recipient-country code="US"/>')
    error = refused(session_factory, operator, broken)
    [problem] = error.errors
    assert problem.field == "iati-activity[KR-GOV-010-NEW-2023-003]/recipient-country[1]/@code"
    assert "'US' is not one of the served countries" in problem.message
    assert projects_in(session_factory) == 4
    assert_unchanged(session_factory, operator, stored, before)


def test_every_activity_level_problem_is_reported(
    session_factory: sessionmaker[Session], operator: Principal, stored: bytes
) -> None:
    broken = (
        stored.replace(b'code="12281"', b'code="12999"')
        .replace(b'percentage="80"', b'percentage="70"')
        .replace(b'type="1" iso-date="2023-04-01"', b'type="1" iso-date="not-a-date"')
        .replace(b"KR-GOV-010-HB-2023-003", b"KR-GOV-010-HB-2022-001")
    )
    error = refused(session_factory, operator, broken)
    fields = [e.field for e in error.errors]
    # The date is an XSD error (xsd:date): the schema speaks first, for that activity.
    assert any("activity-date" in f and "KR-GOV-010-HB-2023-004" in f for f in fields), fields
    assert all(e.row for e in error.errors)

    fixed_date = broken.replace(b'iso-date="not-a-date"', b'iso-date="2023-04-01"')
    fields = [e.field for e in refused(session_factory, operator, fixed_date).errors]
    assert "iati-activity[KR-GOV-010-HB-2022-002]/sector[1]/@code" in fields
    assert "iati-activity[KR-GOV-010-HB-2023-004]/sector" in fields  # 70 + 20 is not 100
    assert "iati-activity[KR-GOV-010-HB-2022-001]/iati-identifier" in fields  # twice in the file


def test_doctype_and_entities_are_refused(
    session_factory: sessionmaker[Session], operator: Principal, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    for data in (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<iati-activities version="2.03">&b;</iati-activities>',
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<iati-activities version="2.03">&s;</iati-activities>'.encode(),
    ):
        error = refused(session_factory, operator, data)
        assert "do not read me" not in str(error.errors) + error.detail
        assert error.errors[0].field == "file"
    assert projects_in(session_factory) == 0


def test_a_file_from_another_publisher_is_matched_by_reference(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    """Without HealthBridge's extension: organisations are found by IATI ref or by name, the
    narratives without xml:lang take the activity's language, only the general description
    is kept, and what HealthBridge does not keep is read past."""
    data = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2025-01-01T00:00:00Z">
  <iati-activity xml:lang="en" default-currency="USD" hierarchy="1">
    <iati-identifier>XM-DAC-928-LAO-PHC-7</iati-identifier>
    <reporting-org ref="XM-DAC-928" type="40">
      <narrative>World Health Organization</narrative>
    </reporting-org>
    <title>
      <narrative>Primary care</narrative>
      <narrative xml:lang="lo">ການດູແລສຸຂະພາບຂັ້ນຕົ້ນ</narrative>
    </title>
    <description type="2"><narrative>Objectives</narrative></description>
    <description><narrative>General description</narrative></description>
    <participating-org ref="KR-GOV-051" type="10" role="1">
      <narrative>KOICA</narrative>
    </participating-org>
    <participating-org role="4">
      <narrative>Ministry of Health, Lao PDR</narrative>
    </participating-org>
    <activity-status code="2"/>
    <activity-date type="1" iso-date="2024-01-01"/>
    <recipient-country code="la"/>
    <recipient-region code="789" vocabulary="1"/>
    <sector code="12220"/>
    <policy-marker code="1" significance="1" vocabulary="1"/>
  </iati-activity>
</iati-activities>""".encode()
    assert run_import(session_factory, operator, data) == "1 created, 0 updated, 0 unchanged"
    with session_factory() as session:
        project = service.find_project(session=session, iati_identifier="XM-DAC-928-LAO-PHC-7")
        assert project is not None
        assert project.reporting_org_code == "WHO"
        assert project.texts("title") == {"en": "Primary care", "lo": "ການດູແລສຸຂະພາບຂັ້ນຕົ້ນ"}
        assert project.texts("description") == {"en": "General description"}
        assert [o.organisation_code for o in project.participating_orgs] == ["KOR-KOICA", "LAO-MOH"]
        assert [c.country_code for c in project.recipient_countries] == ["LAO"]

    unknown = data.replace(b'ref="XM-DAC-928" type="40"', b'ref="XX-NOBODY" type="40"')
    unknown = unknown.replace(b"<narrative>World Health Organization", b"<narrative>Nobody")
    unknown = unknown.replace(b"XM-DAC-928-LAO-PHC-7", b"XX-NOBODY-1")
    error = refused(session_factory, operator, unknown)
    assert error.errors[0].field == "iati-activity[XX-NOBODY-1]/reporting-org"
    assert (
        "XX-NOBODY (Nobody) is not one of HealthBridge's organisations" in error.errors[0].message
    )


# --- property: what goes out comes back --------------------------------------------------------

REFERENCE = ReferenceData(
    countries={
        "THA": CountryFacts("THA", "TH", "Thailand"),
        "VNM": CountryFacts("VNM", "VN", "Viet Nam"),
    },
    organisations={
        "KOR-MOHW": OrganisationFacts(
            "KOR-MOHW", "Ministry of Health and Welfare", "ministry_of_health"
        ),
        "KOR-KDCA": OrganisationFacts(
            "KOR-KDCA", "Korea Disease Control and Prevention Agency", "public_health_agency"
        ),
    },
    by_alpha2={"TH": "THA", "VN": "VNM"},
)
LANGUAGES = ["en", "ko", "th", "vi", "id", "lo", "km", "ms", "my", "zh", "ja"]
texts = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Cc"),
        include_characters="\n\t",
        exclude_characters="\ufffe\uffff",
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: bool(s.strip()))
narratives = st.dictionaries(st.sampled_from(LANGUAGES), texts, min_size=1, max_size=3)
money = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
numbers = st.decimals(
    min_value=-(10**6), max_value=10**6, places=3, allow_nan=False, allow_infinity=False
)


def through_xml(project_in: ProjectCreate) -> ProjectCreate:
    checked, errors = check_project(reference=REFERENCE, project_in=project_in)
    assert errors == []
    document = iati.activities_document(
        [service.build_project(checked)], reference=REFERENCE, generated=dt.datetime.now(dt.UTC)
    )
    assert iati.schema_errors(document) == []
    parsed = iati_import.parse(iati.serialise(document))
    [back] = iati_import.read_activities(parsed, reference=REFERENCE)
    assert back.model_dump() == checked.model_dump()
    return back


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=narratives,
    description=narratives,
    language=st.sampled_from(LANGUAGES),
    org_name=narratives,
    budget=money,
    transaction=money,
    baseline=numbers,
    target=numbers,
    qualitative=texts,
    transaction_text=narratives,
)
def test_random_narratives_and_values_survive_export_and_import(
    title: dict[str, str],
    description: dict[str, str],
    language: str,
    org_name: dict[str, str],
    budget: Decimal,
    transaction: Decimal,
    baseline: Decimal,
    target: Decimal,
    qualitative: str,
    transaction_text: dict[str, str],
) -> None:
    payload = project_payload(
        title=title,
        description=description,
        default_language=language,
        participating_orgs=[{"role": 2, "name": org_name}],
    )
    payload["budgets"][0]["value"] = budget
    payload["transactions"][1]["value"] = transaction
    payload["transactions"][1]["description"] = transaction_text
    indicator = payload["results"][0]["indicators"][0]
    indicator["baseline"]["value"] = str(baseline)
    indicator["periods"][0]["target_value"] = str(target)
    indicator["periods"].append(
        {"period_start": "2025-01-01", "period_end": "2025-12-31", "actual_value": str(target)}
    )
    payload["results"].append(
        {
            "type": 3,
            "title": title,
            "indicators": [
                {
                    "measure": 5,
                    "ascending": False,
                    "title": description,
                    "periods": [
                        {
                            "period_start": "2025-01-01",
                            "period_end": "2025-12-31",
                            "target_value": qualitative,
                            "actual_value": qualitative,
                        }
                    ],
                }
            ],
        }
    )
    back = through_xml(ProjectCreate.model_validate(payload))
    assert back.title == {lang: text.strip() for lang, text in title.items()}
    assert back.budgets[0].value == budget
