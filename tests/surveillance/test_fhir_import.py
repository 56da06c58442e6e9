"""The FHIR sample Bundle imported through the case store, on both databases: its cases and lab
results stored with their values, the same file imported twice stored once, and the API's
import of FHIR files (country scope, problem+json naming the entry and field)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.errors import Invalid
from healthbridge.interop.fhir_cases import read_fhir
from healthbridge.policy import Principal, Role
from healthbridge.surveillance.cases import CaseImportReport, import_case_batch, import_case_file
from healthbridge.surveillance.models import CaseImportBatch, CaseReport, LabResult
from problem_assertions import assert_problem

DATA = Path(__file__).parents[1] / "interop" / "data" / "fhir"
BUNDLE = DATA / "cases-bundle.json"


def run_import(factory: sessionmaker[Session], actor: Principal, path: Path) -> CaseImportReport:
    """Read the file and store its batch in one unit of work, as the border does."""
    with path.open("rb") as file:
        batch = read_fhir(file, filename=path.name)
    with unit_of_work(factory) as session:
        return import_case_batch(session=session, actor=actor, batch=batch)


def stored_cases(factory: sessionmaker[Session]) -> dict[tuple[str, str], tuple[object, ...]]:
    with factory() as session:
        return {
            (case.country_code, case.case_id): (
                case.disease_code,
                case.classification,
                case.onset_date,
                case.report_date,
                case.notification_date,
                case.area_code,
                case.age_group,
                case.sex,
                case.outcome,
                case.hospitalised,
                case.travelled,
                case.travel_countries,
                case.source_format,
            )
            for case in session.scalars(select(CaseReport))
        }


def stored_labs(factory: sessionmaker[Session]) -> dict[tuple[str, str], tuple[object, ...]]:
    with factory() as session:
        return {
            (lab.country_code, lab.sample_id): (
                lab.case_report.case_id,
                lab.test_type,
                lab.pathogen,
                lab.subtype,
                lab.result,
                lab.specimen,
                lab.sample_date,
                lab.result_date,
                lab.turnaround_days,
                lab.laboratory,
            )
            for lab in session.scalars(select(LabResult))
        }


EXPECTED_CASES = {
    ("THA", "TH-2024-0001"): (
        "dengue", "confirmed", dt.date(2024, 2, 1), dt.date(2024, 2, 3), dt.date(2024, 2, 4),
        "TH-10", "25-44", "female", "alive", True, None, None, "fhir",
    ),
    ("VNM", "c2"): (
        "measles", "probable", dt.date(2024, 3, 1), dt.date(2024, 3, 5), None,
        "VN-SG", "5-14", "male", "died", None, None, None, "fhir",
    ),
    ("PHL", "PH-2024-CHO-77"): (
        "cholera", "suspected", dt.date(2024, 3, 10), dt.date(2024, 3, 11), None,
        None, None, "other", "recovered", False, True, "THA VNM", "fhir",
    ),
}  # fmt: skip
EXPECTED_LABS = {
    ("THA", "TH-LAB-0001"): (
        "TH-2024-0001", "pcr", "Dengue virus", "DENV-2", "positive", "Serum",
        dt.date(2024, 2, 2), dt.date(2024, 2, 3), 1, "National Institute of Health, Thailand",
    ),
    ("VNM", "VN-HCM-2024-118"): (
        "c2", "serology", "Measles virus", None, "negative", "Serum specimen",
        dt.date(2024, 3, 5), dt.date(2024, 3, 7), 2, None,
    ),
    ("PHL", "s3"): (
        "PH-2024-CHO-77", "culture", "Vibrio cholerae O1", None, "positive", "Stool",
        dt.date(2024, 3, 11), dt.date(2024, 3, 14), 3, "Research Institute for Tropical Medicine",
    ),
}  # fmt: skip


def test_the_sample_bundle_is_stored_and_twice_is_stored_once(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    first = run_import(session_factory, operator, BUNDLE)
    assert (first.cases_created, first.labs_created) == (3, 3)
    assert first.format == "fhir"
    assert first.countries == ["PHL", "THA", "VNM"]
    assert stored_cases(session_factory) == EXPECTED_CASES
    assert stored_labs(session_factory) == EXPECTED_LABS

    second = run_import(session_factory, operator, BUNDLE)
    assert (second.cases_created, second.cases_updated, second.cases_unchanged) == (0, 0, 3)
    assert (second.labs_created, second.labs_updated, second.labs_unchanged) == (0, 0, 3)
    assert second.same_file_as == first.batch_id
    assert stored_cases(session_factory) == EXPECTED_CASES
    assert stored_labs(session_factory) == EXPECTED_LABS


def test_the_ndjson_equivalent_through_import_case_file_stores_the_same(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    raw = (DATA / "cases.ndjson").read_bytes()
    with unit_of_work(session_factory) as session:
        report = import_case_file(
            session=session, actor=operator, data=raw, filename="cases.ndjson", format="fhir"
        )
    assert (report.cases_created, report.labs_created) == (3, 3)
    assert stored_cases(session_factory) == EXPECTED_CASES
    assert stored_labs(session_factory) == EXPECTED_LABS
    # The Bundle holds the same records: importing it after the NDJSON changes nothing.
    again = run_import(session_factory, operator, BUNDLE)
    assert (again.cases_unchanged, again.labs_unchanged) == (3, 3)


def test_a_bundle_with_a_bad_entry_stores_nothing(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    text = BUNDLE.read_text().replace('"code": "cholera"', '"code": "no_such_disease"')
    try:
        with unit_of_work(session_factory) as session:
            import_case_file(
                session=session,
                actor=operator,
                data=text.encode(),
                filename="bad.json",
                format="fhir",
            )
    except Invalid as exc:
        # Named by the FHIR path of the entry, not by our column.
        assert [(error.row, error.field) for error in exc.errors] == [(10, "Condition.code")]
    else:
        raise AssertionError("the unknown disease was accepted")
    assert stored_cases(session_factory) == {}
    with session_factory() as session:
        assert session.scalars(select(CaseImportBatch)).all() == []


def _thai_bundle() -> bytes:
    """The sample Bundle's Thai case: its first four entries."""
    document = json.loads(BUNDLE.read_text())
    document["entry"] = document["entry"][:4]
    return json.dumps(document).encode()


def test_the_api_imports_a_fhir_bundle_of_the_reporters_country(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
) -> None:
    headers = login(make_user(Role.EPIDEMIOLOGIST, "THA"))

    def upload(name: str, data: bytes) -> Response:
        return client.post(
            "/api/v1/cases/import",
            headers=headers,
            files={"file": (name, data, "application/fhir+json")},
            data={"format": "fhir"},
        )

    response = upload("thai.json", _thai_bundle())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["format"], body["cases_created"], body["labs_created"]) == ("fhir", 1, 1)
    assert set(stored_cases(session_factory)) == {("THA", "TH-2024-0001")}

    # Viet Nam's and the Philippines' cases are not the Thai epidemiologist's to report.
    refused = assert_problem(upload("cases-bundle.json", BUNDLE.read_bytes()), 403)
    assert "cases-bundle.json" in refused["detail"]

    broken = BUNDLE.read_text().replace('"recordedDate": "2024-03-11"', '"recordedDate": "x"')
    invalid = assert_problem(upload("broken.json", broken.encode()), 422)
    assert invalid["errors"] == [
        {
            "field": "Condition.recordedDate",
            "message": "DateTime value string does not match spec regex.",
            "row": 10,
        }
    ]
    assert set(stored_cases(session_factory)) == {("THA", "TH-2024-0001")}
