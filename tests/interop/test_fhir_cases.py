"""The FHIR R4 reader of case reports and lab results: Bundles and NDJSON, references, every
mapping rule, errors naming the entry or line and the FHIR field, and property tests (arbitrary
bytes, JSON and mutated resources never raise anything but Invalid)."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.errors import Invalid
from healthbridge.interop.case_records import CaseBatch, CaseRecord, LabRecord
from healthbridge.interop.fhir_cases import read_fhir
from healthbridge.interop.fhir_values import age_group, pathogen_name
from healthbridge.surveillance.models import (
    CASE_CLASSIFICATIONS,
    LAB_RESULTS,
    OUTCOMES,
    SEXES,
    TEST_TYPES,
)

DATA = Path(__file__).parent / "data" / "fhir"
EXT = "https://healthbridge.asean/fhir/StructureDefinition/"
OURS = "https://healthbridge.asean/fhir/disease"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
LAB = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
            }
        ]
    }
]
POS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "POS",
        }
    ]
}


# --- building files ----------------------------------------------------------------------------


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Fields given as ``None`` are left out."""
    return {key: value for key, value in resource.items() if value is not None}


def patient(id: str | None = "p1", **fields: Any) -> dict[str, Any]:
    base = {"resourceType": "Patient", "id": id, "address": [{"country": "TH"}]}
    return _clean(base | fields)


def condition(id: str | None = "c1", subject: str = "Patient/p1", **fields: Any) -> dict[str, Any]:
    base = {
        "resourceType": "Condition",
        "id": id,
        "verificationStatus": {"coding": [{"system": VER, "code": "confirmed"}]},
        "code": {"coding": [{"system": OURS, "code": "dengue"}]},
        "subject": {"reference": subject},
        "recordedDate": "2024-02-03",
    }
    return _clean(base | fields)


def specimen(id: str | None = "s1", **fields: Any) -> dict[str, Any]:
    base = {
        "resourceType": "Specimen",
        "id": id,
        "accessionIdentifier": {"value": f"LAB-{id}"},
        "collection": {"collectedDateTime": "2024-02-02"},
    }
    return _clean(base | fields)


def observation(id: str | None = "o1", **fields: Any) -> dict[str, Any]:
    base = {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "category": LAB,
        "code": {"text": "Dengue virus RNA"},
        "subject": {"reference": "Patient/p1"},
        "specimen": {"reference": "Specimen/s1"},
        "method": {"text": "RT-PCR"},
        "interpretation": [POS],
        "issued": "2024-02-03T10:00:00+07:00",
    }
    return _clean(base | fields)


def report(id: str | None = "r1", **fields: Any) -> dict[str, Any]:
    base = {
        "resourceType": "DiagnosticReport",
        "id": id,
        "status": "final",
        "code": {"text": "Dengue panel"},
        "subject": {"reference": "Patient/p1"},
        "result": [{"reference": "Observation/o1"}],
    }
    return _clean(base | fields)


def bundle(*resources: dict[str, Any], kind: str = "collection") -> bytes:
    entries = [{"resource": resource} for resource in resources]
    return json.dumps({"resourceType": "Bundle", "type": kind, "entry": entries}).encode()


def ndjson(*resources: dict[str, Any]) -> bytes:
    return "".join(json.dumps(resource) + "\n" for resource in resources).encode()


def read(data: bytes, **kwargs: Any) -> CaseBatch:
    return read_fhir(io.BytesIO(data), filename="cases.json", **kwargs)


def failure(data: bytes, **kwargs: Any) -> Invalid:
    with pytest.raises(Invalid) as raised:
        read(data, **kwargs)
    assert "cases.json" in raised.value.detail
    return raised.value


def errors_of(data: bytes, **kwargs: Any) -> list[tuple[int | None, str]]:
    return [(e.row, e.field) for e in failure(data, **kwargs).errors]


def message_of(data: bytes) -> str:
    errors = failure(data).errors
    assert len(errors) == 1, errors
    return errors[0].message


def one_case(*resources: dict[str, Any]) -> CaseRecord:
    """The one case of a file holding the resources (a default Patient p1 when none is given)."""
    kinds = {resource["resourceType"] for resource in resources}
    extra = [] if "Patient" in kinds else [patient()]
    extra += [] if "Condition" in kinds else [condition()]
    batch = read(bundle(*extra, *resources))
    assert len(batch.cases) == 1
    return batch.cases[0]


def one_lab(*resources: dict[str, Any]) -> LabRecord:
    """The one lab result of a file of the resources plus a default Patient, Condition and
    Specimen (unless given)."""
    kinds = {resource["resourceType"] for resource in resources}
    base = [patient(), condition()] if "Patient" not in kinds else []
    base += [] if "Specimen" in kinds else [specimen()]
    batch = read(bundle(*base, *resources))
    assert len(batch.labs) == 1, batch.labs
    return batch.labs[0]


# --- the sample files -------------------------------------------------------------------------

EXPECTED_CASES = [
    CaseRecord(
        row=2,
        country="THA",
        case_id="TH-2024-0001",
        disease="dengue",
        classification="confirmed",
        report_date=dt.date(2024, 2, 3),
        onset_date=dt.date(2024, 2, 1),
        notification_date=dt.date(2024, 2, 4),
        area="TH-10",
        age_group="25-44",
        sex="female",
        outcome="alive",
        hospitalised=True,
    ),
    CaseRecord(
        row=6,
        country="VNM",
        case_id="c2",
        disease="B05.9",
        classification="probable",
        report_date=dt.date(2024, 3, 5),
        onset_date=dt.date(2024, 3, 1),
        area="VN-SG",
        age_group="5-14",
        sex="male",
        outcome="died",
    ),
    CaseRecord(
        row=10,
        country="PHL",
        case_id="PH-2024-CHO-77",
        disease="cholera",
        classification="suspected",
        report_date=dt.date(2024, 3, 11),
        onset_date=dt.date(2024, 3, 10),
        sex="other",
        outcome="recovered",
        hospitalised=False,
        travelled=True,
        travel_countries="THA VNM",
    ),
]
EXPECTED_LABS = [
    LabRecord(
        row=4,
        country="THA",
        case_id="TH-2024-0001",
        sample_id="TH-LAB-0001",
        test_type="pcr",
        pathogen="Dengue virus",
        result="positive",
        sample_date=dt.date(2024, 2, 2),
        specimen="Serum",
        subtype="DENV-2",
        result_date=dt.date(2024, 2, 3),
        laboratory="National Institute of Health, Thailand",
    ),
    LabRecord(
        row=8,
        country="VNM",
        case_id="c2",
        sample_id="VN-HCM-2024-118",
        test_type="serology",
        pathogen="Measles virus",
        result="negative",
        sample_date=dt.date(2024, 3, 5),
        specimen="Serum specimen",
        result_date=dt.date(2024, 3, 7),
    ),
    LabRecord(
        row=12,
        country="PHL",
        case_id="PH-2024-CHO-77",
        sample_id="s3",
        test_type="culture",
        pathogen="Vibrio cholerae O1",
        result="positive",
        sample_date=dt.date(2024, 3, 11),
        specimen="Stool",
        result_date=dt.date(2024, 3, 14),
        laboratory="Research Institute for Tropical Medicine",
    ),
]


def test_the_sample_bundle_gives_three_cases_and_their_lab_results() -> None:
    raw = (DATA / "cases-bundle.json").read_bytes()
    with (DATA / "cases-bundle.json").open("rb") as file:
        batch = read_fhir(file, filename="cases-bundle.json")
    assert batch.filename == "cases-bundle.json"
    assert batch.format == "fhir"
    assert batch.row_label == "entry"
    assert batch.sha256 == hashlib.sha256(raw).hexdigest()
    assert batch.cases == EXPECTED_CASES
    assert batch.labs == EXPECTED_LABS


def test_the_ndjson_equivalent_gives_the_same_records_numbered_by_line() -> None:
    raw = (DATA / "cases.ndjson").read_bytes()
    batch = read_fhir(io.BytesIO(raw), filename="cases.ndjson")
    assert batch.row_label == "line"
    assert batch.sha256 == hashlib.sha256(raw).hexdigest()
    # The NDJSON holds the same resources in the same order (no fullUrl: Type/id references).
    assert batch.cases == EXPECTED_CASES
    assert batch.labs == EXPECTED_LABS


def test_the_bundle_refers_by_urn_uuid_fullurls_and_the_ndjson_by_type_and_id() -> None:
    text = (DATA / "cases-bundle.json").read_text()
    assert '"reference": "urn:uuid:' in text
    assert "urn:uuid" not in (DATA / "cases.ndjson").read_text()


# --- file shapes -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["collection", "transaction", "batch", "searchset"])
def test_each_bundle_type_of_resources_is_read(kind: str) -> None:
    batch = read(bundle(patient(), condition(), kind=kind))
    assert [case.case_id for case in batch.cases] == ["c1"]


@pytest.mark.parametrize("kind", ["document", "message", "history", None, 3])
def test_other_bundle_types_are_refused(kind: Any) -> None:
    raw = json.dumps({"resourceType": "Bundle", "type": kind, "entry": []}).encode()
    assert errors_of(raw) == [(None, "Bundle.type")]


def test_a_bundle_on_one_line_is_a_bundle_and_an_empty_bundle_is_no_records() -> None:
    raw = json.dumps({"resourceType": "Bundle", "type": "collection"}).encode()
    batch = read(raw)
    assert (batch.cases, batch.labs, batch.row_label) == ([], [], "entry")
    assert read(bundle(patient(), condition())).row_label == "entry"


def test_a_pretty_printed_bundle_with_a_byte_order_mark_is_read() -> None:
    raw = json.dumps(json.loads(bundle(patient(), condition())), indent=2).encode()
    batch = read(b"\xef\xbb\xbf" + raw)
    assert len(batch.cases) == 1


def test_ndjson_lines_are_numbered_counting_blank_lines_and_crlf() -> None:
    raw = b"\r\n" + ndjson(patient()).replace(b"\n", b"\r\n") + b"\n" + ndjson(condition())
    batch = read(raw)
    assert batch.row_label == "line"
    assert batch.cases[0].row == 4
    bad = b"\n" + ndjson(patient()) + b"\n" + ndjson(condition(recordedDate=None))
    assert errors_of(bad) == [(4, "Condition.recordedDate")]


def test_ndjson_lines_end_at_line_feeds_only() -> None:
    raw = ndjson(patient(), condition(identifier=[{"value": "TH\u20281"}])).replace(
        b"\\u2028", "\u2028".encode()
    )
    assert "\u2028".encode() in raw
    with pytest.raises(Invalid) as raised:
        read(raw)
    assert [(e.row, e.field) for e in raised.value.errors] == [(2, "Condition.identifier[0].value")]
    assert "control characters" in raised.value.errors[0].message


def test_a_one_line_file_of_one_resource_is_ndjson() -> None:
    batch = read(ndjson(patient()))
    assert (batch.row_label, batch.cases) == ("line", [])


def test_other_resource_types_are_ignored() -> None:
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"code": "IMP"},
    }
    organization = {"resourceType": "Organization", "name": "Lab", "unknownField": 1}
    batch = read(bundle(encounter, patient(), organization, condition()))
    assert [case.row for case in batch.cases] == [4]


def test_vital_signs_observations_are_not_lab_results() -> None:
    vitals = observation(
        category=[{"coding": [{"code": "vital-signs"}]}], specimen=None, interpretation=None
    )
    batch = read(bundle(patient(), condition(), vitals))
    assert batch.labs == []


# --- references --------------------------------------------------------------------------------


def test_references_resolve_by_fullurl_relative_absolute_and_history() -> None:
    raw = json.dumps(
        {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": patient(id=None)},
                {"fullUrl": "urn:uuid:0b5c", "resource": specimen(id=None)},
                {"resource": condition(subject="Patient/p1/_history/3")},
                {
                    "resource": observation(
                        specimen={"reference": "urn:uuid:0b5c"},
                        subject={"reference": "http://example.org/fhir/Patient/p1"},
                    )
                },
            ],
        }
    ).encode()
    batch = read(raw)
    assert [case.case_id for case in batch.cases] == ["c1"]
    assert [(lab.case_id, lab.sample_id) for lab in batch.labs] == [("c1", "LAB-None")]


def test_an_absolute_reference_must_be_a_fullurl_of_the_file() -> None:
    raw = bundle(patient(), condition(subject="https://other.org/fhir/Patient/p1"))
    assert errors_of(raw) == [(2, "Condition.subject.reference")]


def test_a_reference_to_nothing_in_the_file_is_an_error() -> None:
    raw = bundle(patient(), condition(subject="Patient/p9"))
    assert errors_of(raw) == [(2, "Condition.subject.reference")]
    assert "'Patient/p9' is not in the file" in message_of(raw)


def test_a_reference_to_the_wrong_type_is_an_error() -> None:
    raw = bundle(patient(), specimen(), condition(subject="Specimen/s1"))
    assert errors_of(raw) == [(3, "Condition.subject.reference")]
    assert "is a Specimen, not a Patient" in message_of(raw)


def test_a_contained_reference_is_an_error() -> None:
    assert "contained" in message_of(bundle(patient(), condition(subject="#p1")))


def test_two_resources_of_one_name_are_an_error() -> None:
    raw = bundle(patient(), patient(), condition())
    assert errors_of(raw) == [(2, "Patient.id")]
    assert "entry 1" in message_of(raw)


def test_a_reference_to_an_invalid_resource_is_not_reported_twice() -> None:
    raw = bundle(patient(birthDate="1990-13-01"), condition())
    assert errors_of(raw) == [(1, "Patient.birthDate")]


# --- cases ----------------------------------------------------------------------------------------


def test_case_id_is_the_first_identifier_else_the_id() -> None:
    assert one_case(condition(identifier=[{"value": " TH-1 "}, {"value": "x"}])).case_id == "TH-1"
    assert one_case(condition(id="c77")).case_id == "c77"
    raw = bundle(patient(), condition(id=None))
    assert errors_of(raw) == [(2, "Condition.identifier")]
    long = bundle(patient(), condition(identifier=[{"value": "x" * 65}]))
    assert errors_of(long) == [(2, "Condition.identifier[0].value")]


@pytest.mark.parametrize(
    ("codings", "disease"),
    [
        ([{"system": OURS, "code": "Dengue"}], "dengue"),
        ([{"system": ICD10, "code": "a97.9"}], "A97.9"),
        (
            [{"system": ICD10, "code": "A97.9"}, {"system": OURS, "code": "severe_dengue"}],
            "severe_dengue",
        ),
        ([{"system": SCT, "code": "38362002"}, {"system": ICD10, "code": "A90"}], "A90"),
    ],
)
def test_disease_is_our_code_else_the_icd10_code(codings: list[Any], disease: str) -> None:
    assert one_case(condition(code={"coding": codings})).disease == disease


@pytest.mark.parametrize(
    "code", [None, {"text": "Dengue"}, {"coding": [{"system": SCT, "code": "38362002"}]}]
)
def test_a_condition_without_our_or_an_icd10_coding_is_an_error(code: Any) -> None:
    assert errors_of(bundle(patient(), condition(code=code))) == [(2, "Condition.code")]


@pytest.mark.parametrize(
    ("status", "classification"),
    [
        ("confirmed", "confirmed"),
        ("provisional", "probable"),
        ("differential", "probable"),
        ("unconfirmed", "suspected"),
    ],
)
def test_classification_comes_from_the_verification_status(
    status: str, classification: str
) -> None:
    found = one_case(condition(verificationStatus={"coding": [{"system": VER, "code": status}]}))
    assert found.classification == classification


@pytest.mark.parametrize("status", ["refuted", "entered-in-error", "maybe"])
def test_refuted_or_unknown_verification_statuses_are_errors(status: str) -> None:
    raw = bundle(patient(), condition(verificationStatus={"coding": [{"code": status}]}))
    assert errors_of(raw) == [(2, "Condition.verificationStatus")]
    if status == "refuted":
        assert "not a case" in message_of(raw)


def test_a_missing_verification_status_is_an_error() -> None:
    raw = bundle(patient(), condition(verificationStatus=None))
    assert errors_of(raw) == [(2, "Condition.verificationStatus")]


def test_dates_of_a_case() -> None:
    case = one_case(condition(onsetPeriod={"start": "2024-01-30T23:00:00-05:00"}))
    assert (case.onset_date, case.report_date) == (dt.date(2024, 1, 30), dt.date(2024, 2, 3))
    assert one_case(condition()).onset_date is None
    assert errors_of(bundle(patient(), condition(recordedDate=None))) == [
        (2, "Condition.recordedDate")
    ]
    partial = bundle(patient(), condition(onsetDateTime="2024-01"))
    assert errors_of(partial) == [(2, "Condition.onsetDateTime")]
    assert "not a full date" in message_of(partial)
    late = bundle(patient(), condition(onsetDateTime="2024-02-04"))
    assert "after the report date" in message_of(late)


def test_notification_date_hospitalisation_and_travel_come_from_our_extensions() -> None:
    extensions = [
        {"url": EXT + "notification-date", "valueDateTime": "2024-02-05T08:00:00Z"},
        {"url": EXT + "hospitalised", "valueBoolean": True},
        {"url": EXT + "travelled", "valueBoolean": True},
        {"url": EXT + "travel-country", "valueCode": "la"},
        {"url": EXT + "travel-country", "valueCode": "KHM"},
        {"url": "http://example.org/other", "valueString": "ignored"},
    ]
    case = one_case(condition(extension=extensions))
    assert case.notification_date == dt.date(2024, 2, 5)
    assert (case.hospitalised, case.travelled, case.travel_countries) == (True, True, "KHM LAO")
    plain = one_case(condition())
    assert (plain.notification_date, plain.hospitalised, plain.travelled) == (None, None, None)
    not_away = one_case(condition(extension=[{"url": EXT + "travelled", "valueBoolean": False}]))
    assert (not_away.travelled, not_away.travel_countries) == (False, None)


@pytest.mark.parametrize(
    ("extension", "path"),
    [
        ({"url": EXT + "notification-date", "valueString": "soon"}, "valueDate"),
        ({"url": EXT + "notification-date", "valueDate": "2024"}, "valueDate"),
        ({"url": EXT + "hospitalised", "valueString": "yes"}, "valueBoolean"),
        ({"url": EXT + "travel-country", "valueCode": "Laos"}, "valueCode"),
        ({"url": EXT + "travel-country", "valueString": "LA"}, "valueCode"),
    ],
)
def test_bad_extension_values_are_errors(extension: dict[str, Any], path: str) -> None:
    raw = bundle(patient(), condition(extension=[extension]))
    assert errors_of(raw) == [(2, f"Condition.extension[0].{path}")]


def test_travel_countries_with_travelled_false_are_an_error() -> None:
    extensions = [
        {"url": EXT + "travelled", "valueBoolean": False},
        {"url": EXT + "travel-country", "valueCode": "LA"},
    ]
    assert errors_of(bundle(patient(), condition(extension=extensions))) == [
        (2, "Condition.extension")
    ]


def test_text_with_control_characters_is_an_error() -> None:
    raw = bundle(patient(), condition(identifier=[{"value": "TH\u00001"}]))
    assert errors_of(raw) == [(2, "Condition.identifier[0].value")]
    lab = bundle(patient(), condition(), specimen(), observation(code={"text": "Dengue\u0000"}))
    assert errors_of(lab) == [(4, "Observation.code")]
    assert one_case(condition(identifier=[{"value": " TH  1 "}])).case_id == "TH  1"


def test_two_conditions_of_one_case_id_are_an_error() -> None:
    same = [{"value": "TH-1"}]
    raw = bundle(patient(), condition(identifier=same), condition(id="c2", identifier=same))
    assert errors_of(raw) == [(3, "Condition.identifier")]
    assert message_of(raw) == "case TH-1 of THA is also entry 2"


# --- patients --------------------------------------------------------------------------------


@pytest.mark.parametrize("gender", ["female", "male", "other", "unknown"])
def test_sex_is_the_gender(gender: str) -> None:
    assert one_case(patient(gender=gender)).sex == gender
    assert one_case(patient()).sex is None


def test_an_unknown_gender_is_an_error() -> None:
    assert errors_of(bundle(patient(gender="F"), condition())) == [(1, "Patient.gender")]


@pytest.mark.parametrize(
    ("birth", "onset", "band"),
    [
        ("2019-02-02", "2024-02-01", "0-4"),
        ("2019-02-01", "2024-02-01", "5-14"),
        ("2009-02-02", "2024-02-01", "5-14"),
        ("2009-02-01", "2024-02-01", "15-24"),
        ("1999-02-01", "2024-02-01", "25-44"),
        ("1979-02-01", "2024-02-01", "45-64"),
        ("1959-02-01", "2024-02-01", "65+"),
        ("2024-02-01", "2024-02-01", "0-4"),
        ("1920", "2024-02-01", "65+"),
        ("2010", "2024-02-01", "5-14"),
        ("2019", "2024-02-01", None),
        ("2019-03", "2024-02-01", "0-4"),
        ("2019-02", "2024-02-01", None),
    ],
)
def test_the_age_band_on_the_onset_date(birth: str, onset: str, band: str | None) -> None:
    case = one_case(patient(birthDate=birth), condition(onsetDateTime=onset, recordedDate=onset))
    assert case.age_group == band


def test_the_age_band_is_on_the_report_date_without_an_onset() -> None:
    on_report = one_case(patient(birthDate="2019-02-03"), condition(recordedDate="2024-02-03"))
    assert on_report.age_group == "5-14"


def test_a_birth_after_the_onset_or_implausibly_early_is_an_error() -> None:
    late = bundle(patient(birthDate="2024-02-02"), condition(onsetDateTime="2024-02-01"))
    assert errors_of(late) == [(1, "Patient.birthDate")]
    assert "after the onset date" in message_of(late)
    early = bundle(patient(birthDate="1880-01-01"), condition())
    assert errors_of(early) == [(1, "Patient.birthDate")]


def test_the_birth_date_is_never_kept() -> None:
    case = one_case(patient(birthDate="1990-05-01"))
    assert "1990" not in repr(case)


@pytest.mark.parametrize(
    ("address", "country", "area"),
    [
        ({"country": "TH"}, "THA", None),
        ({"country": "tha", "state": "th-10"}, "THA", "TH-10"),
        ({"country": "VN", "state": "VN-SG"}, "VNM", "VN-SG"),
        ({"country": "PHL", "state": "Metro Manila"}, "PHL", None),
    ],
)
def test_country_and_area_come_from_the_first_address(
    address: dict[str, str], country: str, area: str | None
) -> None:
    case = one_case(patient(address=[address, {"country": "KOR"}]))
    assert (case.country, case.area) == (country, area)


@pytest.mark.parametrize(
    ("address", "path"),
    [
        (None, "Patient.address[0].country"),
        ([{"city": "Bangkok"}], "Patient.address[0].country"),
        ([{"country": "Thailand"}], "Patient.address[0].country"),
        ([{"country": "XX"}], "Patient.address[0].country"),
        ([{"country": "TH", "state": "VN-SG"}], "Patient.address[0].state"),
    ],
)
def test_a_missing_or_bad_country_or_area_is_an_error(address: Any, path: str) -> None:
    assert errors_of(bundle(patient(address=address), condition())) == [(1, path)]


def test_a_patient_of_two_cases_is_reported_once() -> None:
    raw = bundle(patient(address=None), condition(), condition(id="c2"))
    assert errors_of(raw) == [(1, "Patient.address[0].country")]


@pytest.mark.parametrize(
    ("deceased", "clinical", "outcome"),
    [
        ({"deceasedBoolean": True}, None, "died"),
        ({"deceasedDateTime": "2024-02-10"}, "resolved", "died"),
        ({"deceasedBoolean": False}, None, "alive"),
        ({"deceasedBoolean": False}, "resolved", "recovered"),
        ({}, "resolved", "recovered"),
        ({}, "active", None),
        ({}, None, None),
    ],
)
def test_outcome(deceased: dict[str, Any], clinical: str | None, outcome: str | None) -> None:
    status = {"coding": [{"code": clinical}]} if clinical else None
    case = one_case(patient(**deceased), condition(clinicalStatus=status))
    assert case.outcome == outcome


# --- lab results -----------------------------------------------------------------------------


def test_a_lab_result_of_the_patients_one_case() -> None:
    lab = one_lab(observation())
    assert lab == LabRecord(
        row=4,
        country="THA",
        case_id="c1",
        sample_id="LAB-s1",
        test_type="pcr",
        pathogen="Dengue virus",
        result="positive",
        sample_date=dt.date(2024, 2, 2),
        result_date=dt.date(2024, 2, 3),
    )


def test_the_case_named_by_focus_among_several_of_the_patient() -> None:
    raw = bundle(
        patient(),
        condition(),
        condition(id="c2", identifier=[{"value": "TH-2"}]),
        specimen(),
        observation(focus=[{"reference": "Condition/c2"}]),
    )
    assert [lab.case_id for lab in read(raw).labs] == ["TH-2"]


def test_a_focus_identifier_names_a_case_stored_before() -> None:
    focus = [{"identifier": {"value": "TH-2023-9"}}]
    batch = read(bundle(patient(), specimen(), observation(focus=focus)))
    assert batch.cases == []
    assert [(lab.country, lab.case_id) for lab in batch.labs] == [("THA", "TH-2023-9")]


def test_a_result_whose_case_is_unclear_is_an_error() -> None:
    none = bundle(patient(), specimen(), observation())
    assert errors_of(none) == [(3, "Observation.focus")]
    assert "no Condition of Patient/p1" in message_of(none)
    several = bundle(patient(), condition(), condition(id="c2"), specimen(), observation())
    assert errors_of(several) == [(5, "Observation.focus")]
    assert "(2, 3)" in message_of(several)
    wrong = bundle(
        patient(), condition(), specimen(), observation(focus=[{"reference": "Patient/p1"}])
    )
    assert errors_of(wrong) == [(4, "Observation.focus[0].reference")]
    nobody = bundle(patient(), condition(), specimen(), observation(subject=None))
    assert errors_of(nobody) == [(4, "Observation.subject")]


def test_a_result_of_a_case_with_errors_adds_no_error_of_its_own() -> None:
    raw = bundle(patient(), condition(recordedDate=None), specimen(), observation())
    assert errors_of(raw) == [(2, "Condition.recordedDate")]
    invalid = bundle(patient(), condition(recordedDate="x"), specimen(), observation())
    assert errors_of(invalid) == [(2, "Condition.recordedDate")]
    focused = observation(focus=[{"reference": "Condition/c1"}])
    invalid = bundle(patient(), condition(recordedDate="x"), specimen(), focused)
    assert errors_of(invalid) == [(2, "Condition.recordedDate")]


@pytest.mark.parametrize(
    ("given", "sample_id", "kind"),
    [
        ({}, "LAB-s1", None),
        ({"accessionIdentifier": None, "identifier": [{"value": "ID-1"}]}, "ID-1", None),
        ({"accessionIdentifier": None}, "s1", None),
        ({"type": {"text": "Serum"}}, "LAB-s1", "Serum"),
        (
            {"type": {"coding": [{"code": "119364003", "display": "Serum specimen"}]}},
            "LAB-s1",
            "Serum specimen",
        ),
        ({"type": {"coding": [{"system": SCT, "code": "119364003"}]}}, "LAB-s1", "119364003"),
    ],
)
def test_sample_id_and_specimen_type(
    given: dict[str, Any], sample_id: str, kind: str | None
) -> None:
    lab = one_lab(specimen(**given), observation())
    assert (lab.sample_id, lab.specimen) == (sample_id, kind)


def test_sample_date_from_collection_else_the_observations_effective_time() -> None:
    period = specimen(collection={"collectedPeriod": {"start": "2024-02-01T22:00:00+07:00"}})
    assert one_lab(period, observation()).sample_date == dt.date(2024, 2, 1)
    bare = specimen(collection=None)
    effective = observation(effectiveDateTime="2024-01-31")
    assert one_lab(bare, effective).sample_date == dt.date(2024, 1, 31)
    raw = bundle(patient(), condition(), bare, observation())
    assert errors_of(raw) == [(3, "Specimen.collection.collectedDateTime")]


def test_a_result_without_a_specimen_is_an_error() -> None:
    raw = bundle(patient(), condition(), observation(specimen=None))
    assert errors_of(raw) == [(3, "Observation.specimen")]


@pytest.mark.parametrize(
    ("method", "code", "kind"),
    [
        ({"coding": [{"system": SCT, "code": "258066000"}]}, "Test", "pcr"),
        ({"coding": [{"system": SCT, "code": "9718006"}]}, "Test", "pcr"),
        ({"coding": [{"system": SCT, "code": "1156860005"}]}, "Test", "rdt"),
        ({"coding": [{"system": SCT, "code": "703725008"}]}, "Test", "culture"),
        ({"coding": [{"system": SCT, "code": "703447009"}]}, "Test", "serology"),
        ({"text": "Rapid diagnostic test (NS1 antigen)"}, "Test", "rdt"),
        ({"text": "Lateral flow immunoassay"}, "Test", "rdt"),
        ({"text": "Whole genome sequencing"}, "Test", "sequencing"),
        ({"text": "IgM ELISA"}, "Test", "serology"),
        ({"text": "Real-time RT-PCR"}, "Test", "pcr"),
        ({"text": "Blood culture"}, "Test", "culture"),
        (None, "Dengue virus 1 RNA [Presence] in Serum by NAA with probe detection", "pcr"),
        (None, "Dengue virus IgM Ab [Presence] in Serum by Immunoassay", "serology"),
        (None, "Dengue virus NS1 Ag [Presence] in Serum by Rapid immunoassay", "rdt"),
        (None, "Bacteria identified in Blood by Culture", "culture"),
    ],
)
def test_the_test_type(method: Any, code: str, kind: str) -> None:
    assert one_lab(observation(method=method, code={"text": code})).test_type == kind


def test_an_unknown_method_is_an_error() -> None:
    raw = bundle(patient(), condition(), specimen(), observation(method={"text": "Microscopy"}))
    assert errors_of(raw) == [(4, "Observation.method")]


@pytest.mark.parametrize(
    ("fields", "result"),
    [
        ({"interpretation": [{"coding": [{"code": "NEG"}]}]}, "negative"),
        ({"interpretation": [{"coding": [{"code": "DET"}]}]}, "positive"),
        ({"interpretation": [{"coding": [{"code": "ND"}]}]}, "negative"),
        ({"interpretation": [{"coding": [{"code": "IND"}]}]}, "indeterminate"),
        ({"interpretation": [{"coding": [{"code": "E"}]}]}, "indeterminate"),
        ({"interpretation": [{"text": "Positive"}]}, "positive"),
        (
            {
                "interpretation": None,
                "valueCodeableConcept": {"coding": [{"system": SCT, "code": "260415000"}]},
            },
            "negative",
        ),
        ({"interpretation": None, "valueCodeableConcept": {"text": "Not detected"}}, "negative"),
        ({"interpretation": None, "valueString": "inconclusive"}, "indeterminate"),
        ({"interpretation": None, "status": "registered"}, "pending"),
        ({"valueCodeableConcept": {"text": "Detected"}}, "positive"),
    ],
)
def test_the_result(fields: dict[str, Any], result: str) -> None:
    assert one_lab(observation(**fields)).result == result


def test_an_organism_found_is_the_pathogen_and_a_positive_result() -> None:
    lab = one_lab(
        observation(
            code={"text": "Bacteria identified in Stool by Culture"},
            method=None,
            interpretation=None,
            valueCodeableConcept={
                "coding": [{"system": SCT, "code": "1", "display": "Vibrio cholerae"}]
            },
        )
    )
    assert (lab.pathogen, lab.result, lab.test_type) == ("Vibrio cholerae", "positive", "culture")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"interpretation": None}, "Observation.interpretation"),
        ({"valueCodeableConcept": {"text": "Not detected"}}, "Observation.interpretation"),
        ({"status": "cancelled"}, "Observation.status"),
        ({"status": "entered-in-error"}, "Observation.status"),
        (
            {"code": {"coding": [{"system": "http://loinc.org", "code": "7855-5"}]}},
            "Observation.code",
        ),
        ({"code": {"text": "Virus " * 20}}, "Observation.code"),
        ({"issued": "2024-02-01T10:00:00Z"}, "Observation.issued"),
    ],
)
def test_bad_results_are_errors(fields: dict[str, Any], path: str) -> None:
    raw = bundle(patient(), condition(), specimen(), observation(**fields))
    assert errors_of(raw) == [(4, path)]


def test_the_subtype_comes_from_a_component() -> None:
    components = [
        {"code": {"text": "Ct value"}, "valueString": "24"},
        {
            "code": {"coding": [{"display": "Influenza A virus subtype"}]},
            "valueCodeableConcept": {"coding": [{"display": "H5N1"}]},
        },
    ]
    assert one_lab(observation(component=components)).subtype == "H5N1"
    assert one_lab(observation()).subtype is None


def test_a_diagnostic_report_gives_its_results_laboratory_date_and_specimen() -> None:
    raw = bundle(
        patient(),
        condition(),
        specimen(),
        observation(category=None, specimen=None, issued=None),
        report(
            issued="2024-02-04T09:00:00+07:00",
            performer=[{"display": "Regional Medical Sciences Centre"}],
            specimen=[{"reference": "Specimen/s1"}],
        ),
    )
    lab = read(raw).labs[0]
    assert (lab.laboratory, lab.result_date, lab.sample_id) == (
        "Regional Medical Sciences Centre",
        dt.date(2024, 2, 4),
        "LAB-s1",
    )
    long = report(performer=[{"display": "L" * 161}])
    assert errors_of(bundle(patient(), condition(), specimen(), observation(), long)) == [
        (5, "DiagnosticReport.performer[0].display")
    ]
    own = observation(performer=[{"display": "Own lab"}])
    assert one_lab(own, report(performer=[{"display": "Report lab"}])).laboratory == "Own lab"
    assert one_lab(observation(issued=None)).result_date is None


def test_a_diagnostic_report_naming_a_missing_result_is_an_error() -> None:
    raw = bundle(patient(), condition(), report(result=[{"reference": "Observation/o9"}]))
    assert errors_of(raw) == [(3, "DiagnosticReport.result[0].reference")]


def test_two_results_of_one_test_are_an_error() -> None:
    raw = bundle(patient(), condition(), specimen(), observation(), observation(id="o2"))
    assert errors_of(raw) == [(5, "Observation.code")]
    assert message_of(raw) == "entry 4 already gives the pcr test for Dengue virus of sample LAB-s1"
    lines = ndjson(patient(), condition(), specimen(), observation(), observation(id="o2"))
    assert "line 4 already" in failure(lines).errors[0].message


def test_several_tests_of_one_sample() -> None:
    raw = bundle(
        patient(),
        condition(),
        specimen(),
        observation(),
        observation(id="o2", method={"text": "NS1 rapid test"}),
        observation(id="o3", code={"text": "Chikungunya virus RNA"}),
    )
    labs = read(raw).labs
    assert [(lab.test_type, lab.pathogen) for lab in labs] == [
        ("pcr", "Dengue virus"),
        ("rdt", "Dengue virus"),
        ("pcr", "Chikungunya virus"),
    ]


@pytest.mark.parametrize(
    ("name", "pathogen"),
    [
        (
            "Dengue virus RNA [Presence] in Serum or Plasma by NAA with probe detection",
            "Dengue virus",
        ),
        ("Measles virus IgM Ab [Presence] in Serum by Immunoassay", "Measles virus"),
        ("Zika virus RNA", "Zika virus"),
        ("SARS-CoV-2 (COVID-19) RNA panel", "SARS-CoV-2 (COVID-19) RNA panel"),
        ("Salmonella Typhi", "Salmonella Typhi"),
        ("RNA", "RNA"),
    ],
)
def test_pathogen_names(name: str, pathogen: str) -> None:
    assert pathogen_name(name) == pathogen


def test_age_group_of_a_vague_birth_date() -> None:
    year = (dt.date(2019, 1, 1), dt.date(2019, 12, 31))
    assert age_group(year, dt.date(2024, 12, 31), of="x") == "5-14"
    assert age_group(year, dt.date(2024, 6, 1), of="x") is None


# --- errors of the file --------------------------------------------------------------------------


def test_errors_name_the_file_and_say_nothing_was_imported() -> None:
    error = failure(bundle(patient(), condition(recordedDate=None)))
    assert "nothing was imported" in error.detail
    assert "entry" in error.detail
    assert error.errors[0].as_dict() == {
        "field": "Condition.recordedDate",
        "message": "missing",
        "row": 2,
    }


def test_errors_of_several_entries_are_collected_together() -> None:
    raw = bundle(
        patient(gender="F"), condition(recordedDate=None), specimen(), observation(method=None)
    )
    assert errors_of(raw) == [
        (1, "Patient.gender"),
        (2, "Condition.recordedDate"),
        (4, "Observation.method"),
    ]


def test_fhir_validation_errors_name_the_field_path() -> None:
    raw = bundle(
        patient(birthDate="1990-13-01", address=[{"country": 5}]),
        condition(unknown=1),
    )
    assert errors_of(raw) == [
        (1, "Patient.address[0].country"),
        (1, "Patient.birthDate"),
        (2, "Condition.unknown"),
    ]


def test_fhir_validation_messages_are_plain() -> None:
    raw = bundle(patient(), condition(), specimen(), observation(valueQuantity="12 copies"))
    assert errors_of(raw) == [(4, "Observation.valueQuantity")]
    assert message_of(raw) == "expected a JSON object (a FHIR element), not a string"
    two = bundle(
        patient(), condition(), specimen(), observation(valueString="x", valueBoolean=True)
    )
    assert errors_of(two) == [(4, "Observation")]
    assert "valueString" in message_of(two)


def test_at_most_max_errors_are_reported() -> None:
    raw = bundle(*[condition(id=f"c{n}", subject="Patient/none") for n in range(80)])
    error = failure(raw)
    assert len(error.errors) == 50
    assert "the first shown" in error.detail
    assert len(failure(raw, max_errors=5).errors) == 5


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "file"),
        (b"   \n\n", "file"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": [}', "file"),
        (b"[1, 2]", "resource"),
        (b"[\n  1\n]", "Bundle.resourceType"),
        (b'{\n  "resourceType": "Patient"\n}', "Bundle.resourceType"),
        (b'{\n  "type": "collection"\n}', "Bundle.resourceType"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": {}}', "Bundle.entry"),
        (b"\xff\xfe{}", "file"),
        (b'{"resourceType": "Patient", "id": "\xe9"}', "file"),
    ],
)
def test_files_that_are_not_a_bundle_or_ndjson_are_refused(raw: bytes, field: str) -> None:
    assert [f for _row, f in errors_of(raw)] == [field]


def test_non_utf8_is_named_with_its_line() -> None:
    error = failure(ndjson(patient()) + b'{"resourceType": "Patient", "id": "\xe9"}\n')
    assert "line 2" in error.detail


def test_ndjson_lines_that_are_not_resources_are_errors() -> None:
    raw = ndjson(patient()) + b"{not json\n" + b"[1]\n" + b'{"id": "x"}\n'
    raw += ndjson({"resourceType": "Patinet"}, {"resourceType": "Bundle", "type": "collection"})
    assert errors_of(raw) == [
        (2, "line"),
        (3, "resource"),
        (4, "resourceType"),
        (5, "resourceType"),
        (6, "resourceType"),
    ]


def test_bundle_entries_that_are_not_resources_are_errors() -> None:
    entries = [
        3,
        {"fullUrl": "urn:uuid:1"},
        {"request": {"method": "DELETE", "url": "Patient/p1"}},
        {"resource": [1]},
        {"resource": {"resourceType": "Patinet"}},
        {"resource": patient(), "fullUrl": 7},
    ]
    raw = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()
    assert errors_of(raw) == [
        (1, "Bundle.entry"),
        (2, "Bundle.entry.resource"),
        (3, "Bundle.entry.resource"),
        (4, "resource"),
        (5, "resourceType"),
        (6, "Bundle.entry.fullUrl"),
    ]


def test_deeply_nested_json_is_refused_cleanly() -> None:
    deep = b'{"resourceType": "Bundle", "type": "collection", "x": ' + b"[" * 100_000
    deep += b"]" * 100_000 + b"}"
    assert errors_of(deep) == [(None, "file")]
    nested: Any = 1
    for _ in range(100):
        nested = {"extension": [nested]}
    assert errors_of(ndjson(patient(extension=[nested]))) == [(1, "line")]


def test_a_file_over_the_size_limit_is_refused_before_parsing() -> None:
    raw = bundle(patient(), condition())
    assert errors_of(raw, max_bytes=len(raw) - 1) == [(None, "file")]
    assert len(read(raw, max_bytes=len(raw)).cases) == 1


# --- properties ----------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
RESOURCE_TYPES = st.sampled_from(
    ["Patient", "Condition", "Observation", "Specimen", "DiagnosticReport", "Encounter", "Nope"]
)
SAMPLE = json.loads((DATA / "cases-bundle.json").read_text())


def _outcome(raw: bytes) -> None:
    try:
        batch = read(raw)
    except Invalid as exc:
        assert exc.errors
        assert all(error.field for error in exc.errors)
    else:
        assert batch.sha256 == hashlib.sha256(raw).hexdigest()
        for case in batch.cases:
            assert case.classification in CASE_CLASSIFICATIONS
            assert case.sex is None or case.sex in SEXES
            assert case.outcome is None or case.outcome in OUTCOMES
            assert case.age_group in (None, "0-4", "5-14", "15-24", "25-44", "45-64", "65+")
            assert 0 < len(case.case_id) <= 64
            assert len(case.country) == 3
        for lab in batch.labs:
            assert lab.test_type in TEST_TYPES
            assert lab.result in LAB_RESULTS
            assert lab.result_date is None or lab.result_date >= lab.sample_date
            assert 0 < len(lab.sample_id) <= 64
            assert 0 < len(lab.pathogen) <= 80


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_invalid(raw: bytes) -> None:
    _outcome(raw)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_arbitrary_json_raises_nothing_but_invalid(value: Any) -> None:
    _outcome(json.dumps(value).encode())
    _outcome(json.dumps({"resourceType": "Bundle", "type": "batch", "entry": value}).encode())


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(RESOURCE_TYPES, st.dictionaries(st.text(max_size=12), JSON, max_size=6)),
        max_size=5,
    )
)
def test_arbitrary_resources_raise_nothing_but_invalid(
    resources: list[tuple[str, dict[str, Any]]],
) -> None:
    items = [fields | {"resourceType": kind} for kind, fields in resources]
    _outcome(bundle(*items))
    _outcome(ndjson(*items))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


SAMPLE_PATHS = _paths(SAMPLE)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SAMPLE_PATHS), JSON), min_size=1, max_size=3))
def test_the_sample_bundle_mutated_raises_nothing_but_invalid(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document = copy.deepcopy(SAMPLE)
    for path, value in changes:
        target = document
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _outcome(json.dumps(document).encode())


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(SAMPLE["entry"]))))
def test_the_order_of_entries_does_not_change_the_records(order: list[int]) -> None:
    document = copy.deepcopy(SAMPLE)
    document["entry"] = [document["entry"][index] for index in order]
    batch = read(json.dumps(document).encode())

    def unnumbered(records: list[Any]) -> set[Any]:
        return {dataclasses.replace(record, row=0) for record in records}

    assert unnumbered(batch.cases) == unnumbered(EXPECTED_CASES)
    assert unnumbered(batch.labs) == unnumbered(EXPECTED_LABS)
