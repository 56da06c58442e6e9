"""Hostile input to every reader of outside files (issue #8): nothing but rows or ``Invalid``.

The readers: weekly counts (CSV, DHIS2 dataValueSets and its mapping), case reports (CSV, FHIR
Bundle and NDJSON), the detection and Rt CLI inputs (counts and incidence CSV), GHO UHC values
(CSV), IATI activities (XML, as far as the import reads before it writes) and the supply
catalogue (CSV and JSON).

Each reader gets arbitrary bytes, text, and mutations of a valid file of its own format:
truncated, with bytes deleted, duplicated or flipped, with hostile tokens spliced in (``NaN``,
``Infinity``, numbers of thousands of digits, deep nesting, NUL, lone surrogates, unbalanced
quotes, a field over the CSV module's size limit), behind a byte-order mark or re-encoded as
UTF-16 or Latin-1. Whatever comes in, a reader returns what it read or raises
:class:`~healthbridge.errors.Invalid` whose every error names a field (and a row from 1, when it
names one): never ``IndexError``, ``KeyError``, ``RecursionError``, ``UnicodeDecodeError``, a
bare ``ValueError`` or anything else.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.cooperation.projects.payloads import project_payload
from tests.interop.test_iati import REFERENCE as IATI_REFERENCE

from healthbridge.cooperation.meetings.documents import extract_text
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.projects.schemas import ProjectCreate
from healthbridge.cooperation.projects.validation import (
    check_project,
)
from healthbridge.errors import FieldError, Invalid
from healthbridge.flows import reference_records
from healthbridge.interop import counts_csv, dhis2, gho, iati, iati_import, weekly_csv
from healthbridge.interop.cases_csv import COLUMNS as CASE_COLUMNS
from healthbridge.interop.cases_csv import read_cases_csv
from healthbridge.interop.fhir_cases import read_fhir
from healthbridge.interop.gho import ValueRange
from healthbridge.interop.isoweek import IsoWeek
from healthbridge.interop.weekly_csv import DiseaseCodes, WeeklyReferences
from healthbridge.resources.catalogue_import import read_catalogue

#: A bigger, random run by hand: ``HEALTHBRIDGE_FUZZ_EXAMPLES=2000 .venv/bin/pytest -q <file>``.
EXAMPLES = os.environ.get("HEALTHBRIDGE_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(EXAMPLES or 60),
    deadline=None,
    derandomize=EXAMPLES is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the readers, each as bytes -> whatever it read ---------------------------------------------

WEEKLY_REFERENCES = WeeklyReferences(
    countries=frozenset({"THA", "VNM"}),
    areas={"TH-10": "THA", "VN-HN": "VNM"},
    diseases=DiseaseCodes.from_records(
        (d["code"], d["icd10"], d["icd10_codes"]) for d in reference_records("diseases")
    ),
)
DHIS2_MAPPING = {
    "dataElements": {
        "deDengueCas": {"disease": "dengue", "measure": "cases"},
        "deDengueDth": {"disease": "A97.9", "measure": "deaths"},
    },
    "orgUnits": {
        "ouBangkok01": {"country": "THA", "area": "TH-10"},
        "ouVietNam01": {"country": "VNM", "area": None},
    },
    "categoryOptionCombos": "sum",
}
GHO_INDICATORS = {"UHC_INDEX_REPORTED": ValueRange(0, 100), "HWF_0001": ValueRange(0, 1000)}


def weekly(data: bytes) -> Any:
    return weekly_csv.read_weekly_csv(
        data, filename="w.csv", references=WEEKLY_REFERENCES, latest=IsoWeek(2026, 1)
    )


def cases(data: bytes) -> Any:
    return read_cases_csv(data, filename="c.csv")


def counts(data: bytes) -> Any:
    return counts_csv.read_counts(data, source="counts.csv")


def incidence(data: bytes) -> Any:
    return counts_csv.read_incidence(data, source="incidence.csv")


def dhis2_mapping(data: bytes) -> Any:
    return dhis2.read_mapping(data, filename="m.json", references=WEEKLY_REFERENCES)


@functools.cache
def checked_mapping() -> dhis2.Dhis2Mapping:
    return dhis2.read_mapping(
        json.dumps(DHIS2_MAPPING).encode(), filename="m.json", references=WEEKLY_REFERENCES
    )


def dhis2_values(data: bytes) -> Any:
    return dhis2.read_data_value_set(data, filename="d.json", mapping=checked_mapping())


def fhir(data: bytes) -> Any:
    return read_fhir(io.BytesIO(data), filename="f.json")


def gho_csv(data: bytes) -> Any:
    return gho.read_gho_csv(
        data, filename="uhc.csv", indicators=GHO_INDICATORS, countries={"THA", "VNM"}
    )


def catalogue_csv(data: bytes) -> Any:
    return read_catalogue(data, filename="items.csv")


def catalogue_json(data: bytes) -> Any:
    return read_catalogue(data, filename="items.json")


CATALOGUE_ITEM = {
    "code": "ors-sachet",
    "name": "Oral rehydration salts",
    "kind": "medicine",
    "atc_code": "A07CA",
    "who_eml": True,
    "unit_of_issue": "sachet",
    "pack_size": 1,
    "cold_chain": "none",
    "min_shelf_life_days": 90,
}


def iati_file(data: bytes) -> Any:
    """What ``import_activities`` does before it writes: parse, validate, read every activity."""
    document = iati_import.parse(data)
    problems = iati.schema_errors(document)
    if problems:
        raise Invalid(
            "schema", errors=[FieldError(p.path or "file", p.message, row=p.line) for p in problems]
        )
    return iati_import.read_activities(document, reference=IATI_REFERENCE)


# --- one valid file of each format, to mutate ---------------------------------------------------

DATA = Path(__file__).parent / "data"


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


@functools.cache
def iati_sample() -> bytes:
    project_in = ProjectCreate.model_validate(project_payload())
    checked, errors = check_project(reference=IATI_REFERENCE, project_in=project_in)
    assert errors == []
    document = iati.activities_document(
        [projects.build_project(checked)],
        reference=IATI_REFERENCE,
        generated=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    )
    return iati.serialise(document)


def _dhis2_sample() -> bytes:
    values = [
        {"dataElement": "deDengueCas", "period": "2024W7", "orgUnit": "ouBangkok01", "value": "12"},
        {"dataElement": "deDengueDth", "period": "2024W7", "orgUnit": "ouBangkok01", "value": "1"},
        {"dataElement": "deDengueCas", "period": "2024W8", "orgUnit": "ouVietNam01", "value": "3"},
    ]
    return json.dumps({"dataValues": values}, indent=1).encode()


READERS: dict[str, tuple[Callable[[bytes], Any], Callable[[], bytes]]] = {
    "weekly-csv": (
        weekly,
        lambda: _csv(
            [
                ["country", "area", "disease", "week", "cases", "deaths"],
                ["THA", "TH-10", "dengue", "2024-W07", "12", "1"],
                ["VNM", "", "A90", "2024W08", "3", ""],
            ]
        ),
    ),
    "cases-csv": (
        cases,
        lambda: (
            ",".join(CASE_COLUMNS) + "\n"
            "THA,TH-001,dengue,confirmed,2024-02-10,2024-02-12,2024-02-13,TH-10,15-24,F,"
            "recovered,yes,no,,S-1,serum,RT-PCR,DENV,DENV-2,pos,2024-02-12,2024-02-14,Lab\n"
        ).encode(),
    ),
    "counts-csv": (
        counts,
        lambda: _csv(
            [["series", "t", "count"], ["a", "1", "3"], ["a", "2", "NA"], ["b", "1", "0"]]
        ),
    ),
    "incidence-csv": (incidence, lambda: _csv([["t", "incidence"], ["1", "2"], ["2", "5"]])),
    "dhis2-mapping": (dhis2_mapping, lambda: json.dumps(DHIS2_MAPPING, indent=1).encode()),
    "dhis2-values": (dhis2_values, _dhis2_sample),
    "fhir-bundle": (fhir, lambda: (DATA / "fhir" / "cases-bundle.json").read_bytes()),
    "fhir-ndjson": (fhir, lambda: (DATA / "fhir" / "cases.ndjson").read_bytes()),
    "gho-csv": (
        gho_csv,
        lambda: _csv(
            [
                ["IndicatorCode", "SpatialDimValueCode", "Period", "FactValueNumeric", "Value"],
                ["UHC_INDEX_REPORTED", "THA", "2021", "82", "82"],
                ["HWF_0001", "VNM", "2020", "8.5", "8.5"],
            ]
        ),
    ),
    "iati-xml": (iati_file, iati_sample),
    "catalogue-csv": (
        catalogue_csv,
        lambda: _csv(
            [
                list(CATALOGUE_ITEM),
                [
                    str(v).lower() if isinstance(v, bool) else str(v)
                    for v in CATALOGUE_ITEM.values()
                ],
            ]
        ),
    ),
    "catalogue-json": (
        catalogue_json,
        lambda: json.dumps({"items": [CATALOGUE_ITEM, {**CATALOGUE_ITEM, "code": "b"}]}).encode(),
    ),
}


def check_outcome(read: Callable[[bytes], Any], data: bytes) -> None:
    """The reader returns, or raises ``Invalid`` whose errors each name a field (row >= 1)."""
    try:
        read(data)
    except Invalid as refused:
        assert refused.errors, refused.detail
        for error in refused.errors:
            assert isinstance(error, FieldError)
            assert error.field and error.message
            assert error.row is None or error.row >= 1, error


def test_every_sample_is_read() -> None:
    """The samples are valid, so the mutations below start from a file each reader accepts."""
    for name, (read, sample) in READERS.items():
        assert read(sample()) is not None, name


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # Found by fuzzing: an empty key was named by an empty field.
        ("dhis2-mapping", b'{"": null}'),
        ("dhis2-mapping", b'{"": 1, "dataElements": {}, "orgUnits": {"": null}}'),
    ],
)
def test_what_fuzzing_found(name: str, data: bytes) -> None:
    with pytest.raises(Invalid):
        READERS[name][0](data)
    check_outcome(READERS[name][0], data)


def document_text(charset: str) -> Callable[[bytes], Any]:
    """A meeting document's text, as uploaded with ``charset`` in its Content-Type."""
    return lambda data: extract_text(data, "text/plain", f"text/plain; charset={charset}")


@pytest.mark.parametrize(
    ("read", "data"),
    [
        # An empty column given twice is named by an empty field.
        pytest.param(catalogue_csv, b"\x00code,,", id="catalogue-csv-empty-column"),
        # An empty key is named by an empty field.
        pytest.param(catalogue_json, b'{"items": [{"": null}]}', id="catalogue-json-empty-key"),
        # UnicodeError (not UnicodeDecodeError) leaks: a 500 from POST /meetings/{id}/documents.
        pytest.param(document_text("punycode"), b"\\x", id="document-punycode"),
        pytest.param(document_text("undefined"), b"a", id="document-undefined-codec"),
    ],
)
def test_what_fuzzing_found_elsewhere(read: Callable[[bytes], Any], data: bytes) -> None:
    check_outcome(read, data)


# --- mutations ----------------------------------------------------------------------------------

HOSTILE = [
    b"NaN",
    b"-Infinity",
    b"Infinity",
    b"1e999",
    b"-1e-999",
    b"9" * 5000,
    b"-" + b"9" * 400,
    b"0x1F",
    b"1_000",
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"\\ud800",
    b'"',
    b"'",
    b",",
    b",,,,,,,,",
    b"\r",
    b"\r\n",
    b"\n\n\n",
    "\u2028".encode(),
    b"[" * 3000 + b"]" * 3000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"[" * 100_000,
    b"x" * 140_000,
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'""',
    b"<!DOCTYPE x>",
    b"<a>",
    b"</a>",
    b"&amp;",
    b"&bogus;",
    b"<![CDATA[",
    b"\xef\xbb\xbf",
]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf\xef\xbb\xbf"]


@st.composite
def mutations(draw: st.DrawFn, sample: bytes) -> bytes:
    """``sample`` changed one to three times."""
    data = sample
    for _ in range(draw(st.integers(1, 3))):
        size = len(data)
        at = draw(st.integers(0, size))
        kind = draw(
            st.sampled_from(
                ["truncate", "delete", "insert", "flip", "duplicate", "token", "bom", "encode"]
            )
        )
        if kind == "truncate":
            data = data[:at]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
        elif kind == "flip" and size:
            at = min(at, size - 1)
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "duplicate":
            end = min(size, at + draw(st.integers(1, 200)))
            data = data[:end] + data[at:end] + data[end:]
        elif kind == "token":
            data = data[:at] + draw(st.sampled_from(HOSTILE)) + data[at:]
        elif kind == "bom":
            data = draw(st.sampled_from(BOMS)) + data
        elif kind == "encode":
            text = data.decode("utf-8", "replace")
            encoding = draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32", "latin-1"]))
            data = text.encode(encoding, "replace")
    return data


# --- the properties -----------------------------------------------------------------------------

NAMES = sorted(READERS)


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_files_are_read_or_refused_cleanly(name: str, data: st.DataObject) -> None:
    read, sample = READERS[name]
    check_outcome(read, data.draw(mutations(sample()), label="file"))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(raw=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_are_refused_cleanly(name: str, raw: bytes) -> None:
    check_outcome(READERS[name][0], raw)


# JSON values as hostile as JSON gets: huge and tiny numbers, every kind, at every place.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["", " ", "2024W7", "ouBangkok01", "deDengueCas", "Bundle", "Patient"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
DHIS2_KEYS = ["dataElement", "period", "orgUnit", "categoryOptionCombo", "value", "deleted"]
CATALOGUE_KEYS = list(CATALOGUE_ITEM)
FHIR_KEYS = ["resourceType", "id", "subject", "code", "status", "entry", "resource", "fullUrl"]


@st.composite
def json_documents(draw: st.DrawFn, keys: list[str]) -> bytes:
    """A JSON document shaped like the format (``keys`` in it) with random values, written with
    duplicate keys, ``NaN``/``Infinity`` or nesting as deep as drawn."""
    objects = st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), json_values, max_size=6)
    value = draw(
        st.one_of(
            st.fixed_dictionaries({"dataValues": st.lists(objects, max_size=5)}),
            st.fixed_dictionaries({"items": st.lists(objects, max_size=5)}),
            st.lists(objects, max_size=5),
            st.fixed_dictionaries(
                {
                    "resourceType": st.just("Bundle"),
                    "type": st.sampled_from(["batch", "collection", "transaction", 3]),
                    "entry": st.lists(st.fixed_dictionaries({"resource": objects}), max_size=4),
                }
            ),
            st.fixed_dictionaries(
                {"dataElements": json_values, "orgUnits": json_values},
                optional={"categoryOptionCombos": json_values},
            ),
            json_values,
        )
    )
    text = json.dumps(value, allow_nan=True)
    trick = draw(st.sampled_from(["none", "nan", "duplicate", "deep", "bom", "ndjson"]))
    if trick == "nan":
        text = text.replace("0", draw(st.sampled_from(["NaN", "Infinity", "-Infinity"])), 1)
    elif trick == "duplicate" and text.startswith("{") and len(text) > 2:
        text = '{"resourceType": "Bundle", "dataValues": 1, ' + text[1:]
    elif trick == "deep":
        depth = draw(st.sampled_from([50, 200, 2000, 50_000]))
        text = "[" * depth + text + "]" * depth
    elif trick == "bom":
        text = "\ufeff" + text
    elif trick == "ndjson":
        text = text + "\n" + text + "\n"
    return text.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("name", ["catalogue-json", "dhis2-mapping", "dhis2-values", "fhir-bundle"])
@FUZZ
@given(data=st.data())
def test_json_of_the_right_shape_with_random_values_is_read_or_refused_cleanly(
    name: str, data: st.DataObject
) -> None:
    keys = {"fhir": FHIR_KEYS, "dhis2": DHIS2_KEYS, "catalogue": CATALOGUE_KEYS}[name.split("-")[0]]
    check_outcome(READERS[name][0], data.draw(json_documents(keys), label="file"))


cells = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "",
            "NaN",
            "inf",
            "-Infinity",
            "1e309",
            "9" * 5000,
            "-0",
            "1.5",
            "2024-W53",
            "2024W99",
            "0000-W01",
            "9999-12-31",
            "2024-02-30",
            "THA",
            "TH-10",
            "dengue",
            "１２",  # full-width digits: int() reads them
            "٣",  # an Arabic-Indic digit
            "1" + "0" * 30,
        ]
    ),
)


@st.composite
def csv_files(draw: st.DrawFn, sample: bytes) -> bytes:
    """The sample's header (columns maybe duplicated, dropped or reordered) over random rows."""
    header = next(csv.reader(io.StringIO(sample.decode())))
    columns = draw(st.lists(st.sampled_from(header), min_size=1, max_size=len(header) + 2))
    rows = draw(st.lists(st.lists(cells, max_size=len(columns) + 2), max_size=5))
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    return out.getvalue().encode("utf-8", "surrogatepass")


@pytest.mark.parametrize(
    "name", ["cases-csv", "catalogue-csv", "counts-csv", "gho-csv", "weekly-csv"]
)
@FUZZ
@given(data=st.data())
def test_csv_with_random_columns_and_cells_is_read_or_refused_cleanly(
    name: str, data: st.DataObject
) -> None:
    read, sample = READERS[name]
    check_outcome(read, data.draw(csv_files(sample()), label="file"))


iati_values = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "-1",
            "0",
            "1" + "0" * 40,
            "9" * 5000,
            "0." + "0" * 400 + "1",
            "-0.0",
            "100.0000001",
            "2024-02-30",
            "0001-01-01",
            "9999-12-31",
            "2024-01-01Z",
            "XX",
            "THA",
            "TH",
            "12250",
            "true",
            "1",
        ]
    ),
)


@st.composite
def iati_documents(draw: st.DrawFn) -> bytes:
    """The sample with random values in some of its attributes and texts, or with elements
    removed or repeated: a structure the schema may well accept, values it has not seen."""
    from lxml import etree

    root = etree.fromstring(iati_sample())
    elements = list(root.iter())
    for _ in range(draw(st.integers(1, 6))):
        element = draw(st.sampled_from(elements))
        kind = draw(st.sampled_from(["attribute", "text", "remove", "repeat"]))
        if kind == "attribute" and element.attrib:
            name = draw(st.sampled_from(sorted(element.attrib)))
            element.set(name, draw(iati_values))
        elif kind == "text":
            element.text = draw(iati_values)
        elif kind == "remove" and element.getparent() is not None:
            element.getparent().remove(element)
            elements = list(root.iter())
        elif kind == "repeat" and element.getparent() is not None:
            element.addnext(copy.deepcopy(element))
            elements = list(root.iter())
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


@FUZZ
@given(data=iati_documents())
def test_iati_files_with_random_values_are_read_or_refused_cleanly(data: bytes) -> None:
    check_outcome(iati_file, data)
