"""The DHIS2 dataValueSets reader and its mapping file: ids mapped to diseases, measures,
countries and areas; top-level defaults; weekly periods only; whole values; category option
combos added up; cases and deaths joined; errors naming the file, the row (data value) and the
field (its JSON path) or the mapping key; and property tests (valid data values add up as they
should; arbitrary JSON and arbitrary bytes never raise anything but Invalid)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.errors import Invalid
from healthbridge.flows import reference_records
from healthbridge.interop import dhis2, weekly_csv
from healthbridge.interop.isoweek import IsoWeek
from healthbridge.interop.weekly_csv import DiseaseCodes, WeeklyReferences, WeeklyRow

DISEASES = DiseaseCodes.from_records(
    (d["code"], d["icd10"], d["icd10_codes"]) for d in reference_records("diseases")
)
REFERENCES = WeeklyReferences(
    countries=frozenset({"THA", "VNM", "IDN", "PHL"}),
    areas={"TH-10": "THA", "TH-50": "THA", "VN-HN": "VNM", "VN-SG": "VNM"},
    diseases=DISEASES,
)
MAPPING: dict[str, Any] = {
    "description": "Test mapping",
    "dataElements": {
        "deDengueCas": {"disease": "dengue", "measure": "cases", "name": "Dengue cases"},
        "deDengueDth": {"disease": "A97.9", "measure": "deaths"},
        "deMeaslesCa": {"disease": "measles", "measure": "cases"},
        "deIgnored01": None,
    },
    "orgUnits": {
        "ouBangkok01": {"country": "THA", "area": "TH-10", "name": "Bangkok"},
        "ouChiangMai": {"country": "tha", "area": "th-50"},
        "ouThailand1": {"country": "THA", "area": None},
        "ouVietNam01": {"country": "VNM", "area": " "},
        "ouIgnored01": None,
    },
    "categoryOptionCombos": "sum",
}


def mapping(document: Any = None) -> dhis2.Dhis2Mapping:
    raw = json.dumps(MAPPING if document is None else document).encode()
    return dhis2.read_mapping(raw, filename="map.json", references=REFERENCES)


def value(
    element: str = "deDengueCas",
    period: str | None = "2024W7",
    unit: str | None = "ouBangkok01",
    number: Any = "12",
    combo: str | None = "cocDefault1",
    **extra: Any,
) -> dict[str, Any]:
    found: dict[str, Any] = {"dataElement": element, "value": number, **extra}
    for name, given_value in (
        ("period", period),
        ("orgUnit", unit),
        ("categoryOptionCombo", combo),
    ):
        if given_value is not None:
            found[name] = given_value
    return found


def read(document: Any, **kwargs: Any) -> Any:
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return dhis2.read_data_value_set(raw, filename="export.json", mapping=mapping(), **kwargs)


def values(*data_values: Any, **top: Any) -> dict[str, Any]:
    return {"dataSet": "dsWeekly001", **top, "dataValues": list(data_values)}


def errors_of(document: Any, **kwargs: Any) -> list[tuple[int | None, str]]:
    with pytest.raises(Invalid) as raised:
        read(document, **kwargs)
    assert "export.json" in raised.value.detail
    assert "nothing was imported" in raised.value.detail
    return [(e.row, e.field) for e in raised.value.errors]


def messages_of(document: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(Invalid) as raised:
        read(document, **kwargs)
    return [e.message for e in raised.value.errors]


def mapping_errors(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(Invalid) as raised:
        mapping(document)
    assert "map.json" in raised.value.detail
    assert all(e.row is None for e in raised.value.errors)
    return [(e.field, e.message) for e in raised.value.errors]


# --- reading -------------------------------------------------------------------------------------


def test_cases_and_deaths_of_one_key_make_one_count_and_combos_are_added_up() -> None:
    parsed = read(
        values(
            value(number="12", combo="cocFemale01"),
            value(number="30", combo="cocMale0001"),
            value("deDengueDth", number="1", combo="cocFemale01"),
            value(unit="ouThailand1", number=" 50 ", period="2024W07"),
            value(unit="ouChiangMai", number=7),
            value("deMeaslesCa", unit="ouVietNam01", period="2024W08", number="0"),
            value("deDengueDth", number="2", combo="cocMale0001"),
        )
    )
    assert parsed.filename == "export.json"
    assert parsed.rows == 7
    week = IsoWeek(2024, 7)
    assert parsed.counts == [
        WeeklyRow(1, "THA", "TH-10", "dengue", week, 42, 3),
        WeeklyRow(4, "THA", None, "dengue", week, 50, None),
        WeeklyRow(5, "THA", "TH-50", "dengue", week, 7, None),
        WeeklyRow(6, "VNM", None, "measles", IsoWeek(2024, 8), 0, None),
    ]
    assert parsed.countries == ["THA", "VNM"]
    assert parsed.diseases == ["dengue", "measles"]
    assert len(parsed.sha256) == 64


def test_the_data_value_sets_own_period_org_unit_and_attribute_combo_are_defaults() -> None:
    parsed = read(
        values(
            value(period=None, unit=None, number="5"),
            value(period=None, unit="ouChiangMai", number="6"),
            value(period="2024W8", unit=None, number="7"),
            period="2024W07",
            orgUnit="ouBangkok01",
            attributeOptionCombo="aocDefault1",
        )
    )
    assert [(c.area, str(c.week), c.cases) for c in parsed.counts] == [
        ("TH-10", "2024-W07", 5),
        ("TH-50", "2024-W07", 6),
        ("TH-10", "2024-W08", 7),
    ]


def test_data_elements_mapped_to_the_same_disease_and_measure_are_added_up() -> None:
    document = {
        **MAPPING,
        "dataElements": {
            **MAPPING["dataElements"],
            "deDengueU5y": {"disease": "dengue", "measure": "cases"},
        },
    }
    raw = json.dumps(values(value(number="3"), value("deDengueU5y", number="4"))).encode()
    parsed = dhis2.read_data_value_set(raw, filename="export.json", mapping=mapping(document))
    assert [c.cases for c in parsed.counts] == [7]


def test_values_left_out_by_the_mapping_or_deleted_are_skipped_unchecked() -> None:
    parsed = read(
        values(
            value("deIgnored01", number="lots", period="202407"),
            value(unit="ouIgnored01", number="-3"),
            value(number="99", deleted=True),
            value(number="1", deleted=False, storedBy="admin", comment="checked"),
        )
    )
    assert parsed.rows == 4
    assert [(c.row, c.cases) for c in parsed.counts] == [(4, 1)]


def test_an_empty_list_of_data_values_reads_as_no_counts() -> None:
    parsed = read(values())
    assert (parsed.rows, parsed.counts, parsed.countries) == (0, [], [])


def test_a_byte_order_mark_is_allowed() -> None:
    parsed = read(b"\xef\xbb\xbf" + json.dumps(values(value())).encode())
    assert [c.cases for c in parsed.counts] == [12]


# --- errors in data values -----------------------------------------------------------------------


def test_unknown_ids_name_the_data_value_and_field() -> None:
    data_values = [value(combo=f"coc{i}") for i in range(17)]
    data_values.append(value(unit="ouSomewhere"))
    data_values.append(value(element="deUnknown01"))
    assert errors_of(values(*data_values)) == [
        (18, "dataValues[17].orgUnit"),
        (19, "dataValues[18].dataElement"),
    ]
    messages = messages_of(values(*data_values))
    assert "'ouSomewhere' is not in the mapping's orgUnits" in messages[0]
    assert "map it to null to leave its values out" in messages[0]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("202407", "'202407' is a monthly period: only weekly periods"),
        ("20240701", "'20240701' is a daily period"),
        ("2024", "'2024' is a yearly period"),
        ("2024Q1", "is a quarterly period"),
        ("2024S1", "is a six-monthly period"),
        ("2024WedW7", "is a weekly (not starting on Monday) period"),
        ("2024BiW3", "is a bi-weekly period"),
        ("202401B", "is a bi-monthly period"),
        ("2024April", "is a financial-year period"),
        ("2024W54", "2024 has 52 ISO weeks, not 54"),
        ("2024W0", "weeks are numbered from 1"),
        ("W7", "is not an ISO week"),
        ("1850W07", "1850-W07 is before 1900"),
        ("2099W07", "2099-W07 has not begun yet (the latest is 2024-W10)"),
    ],
)
def test_periods_that_are_not_weeks_or_not_yet_begun_are_refused(
    period: str, expected: str
) -> None:
    document = values(value(), value(period=period))
    assert errors_of(document, latest=IsoWeek(2024, 10)) == [(2, "dataValues[1].period")]
    assert expected in messages_of(document, latest=IsoWeek(2024, 10))[0]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("-1", "'-1' is not a whole number, 0 or more"),
        ("12.5", "'12.5' is not a whole number"),
        ("twelve", "'twelve' is not a whole number"),
        ("١٢", "is not a whole number"),
        (-1, "-1 is not a whole number"),
        (12.0, "12.0 is not a whole number"),
        (True, "true is not a whole number"),
        ([], "a list is not a whole number"),
        ("", "missing (0 for none)"),
        (None, "missing (0 for none)"),
        ("1000000001", "1000000001 is more than 1,000,000,000 in a week"),
        ("9" * 5000, "is more than 1,000,000,000 in a week"),
        (10**30, "1000000000000000000000000000000 is more than 1,000,000,000"),
    ],
)
def test_values_that_are_not_whole_numbers_are_refused(number: Any, expected: str) -> None:
    document = values(value(number=number))
    assert errors_of(document) == [(1, "dataValues[0].value")]
    assert expected in messages_of(document)[0]


def test_missing_and_mistyped_ids_name_their_field() -> None:
    document = values(
        {"value": "1", "categoryOptionCombo": 7},
        value(unit=None),
        value(period=None),
        "not an object",
        value(attributeOptionCombo=["a"]),
        value(element=" "),
    )
    assert errors_of(document) == [
        (1, "dataValues[0].dataElement"),
        (1, "dataValues[0].orgUnit"),
        (1, "dataValues[0].period"),
        (1, "dataValues[0].categoryOptionCombo"),
        (2, "dataValues[1].orgUnit"),
        (3, "dataValues[2].period"),
        (4, "dataValues[3]"),
        (5, "dataValues[4].attributeOptionCombo"),
        (6, "dataValues[5].dataElement"),
    ]
    messages = messages_of(document)
    assert messages[4] == "missing: the data value has no orgUnit (nor does the data value set)"
    assert messages[6] == "a data value is an object, not text"
    assert messages[8] == "missing: the data value has no dataElement"


def test_the_same_value_twice_names_both() -> None:
    document = values(
        value(), value(number="1", combo="cocOther001"), value(number="3", period="2024W07")
    )
    assert errors_of(document) == [(3, "dataValues[2]")]
    assert "dataValues[0] (row 1) already gives this data element" in messages_of(document)[0]
    with_aoc = values(value(attributeOptionCombo="aoc1"), value(attributeOptionCombo="aoc2"))
    assert [c.cases for c in read(with_aoc).counts] == [24]


def test_deaths_without_cases_and_sums_too_large_are_refused() -> None:
    document = values(value("deDengueDth", number="1"), value(unit="ouChiangMai"))
    assert errors_of(document) == [(1, "dataValues[0].dataElement")]
    assert "deaths of dengue in TH-10 for 2024-W07 but no cases" in messages_of(document)[0]
    large = values(value(number="600000000"), value(number="600000000", combo="cocOther001"))
    assert errors_of(large) == [(1, "dataValues[0].value")]
    assert "add up to 1200000000, more than 1,000,000,000" in messages_of(large)[0]


def test_errors_stop_at_max_errors() -> None:
    document = values(*(value(number="x") for _ in range(80)))
    with pytest.raises(Invalid) as raised:
        read(document)
    assert len(raised.value.errors) == dhis2.MAX_ERRORS
    assert "(the first shown)" in raised.value.detail


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (b"", "file", "export.json is empty"),
        (b"  \n", "file", "export.json is empty"),
        (b'{"dataValues": [', "file", "is not valid JSON at line 1, column 17"),
        (b'{"dataValues": "x"}', "dataValues", "is not a DHIS2 data value set"),
        (b'{"dataSet": "x"}', "dataValues", "is not a DHIS2 data value set"),
        (b'{"dataValues": [], "period": 202407}', "period", "is not a DHIS2 data value set"),
        (b"[1, 2]", "file", "is a JSON object with a dataValues list"),
        (b'{"dataValues": [{"value": NaN}]}', "file", "NaN is not a JSON number"),
        (b'{"a": "\xff"}', "file", "is not UTF-8 text (line 1)"),
        (b"[" * 100_000, "file", "nested too deeply"),
        (b'{"dataValues": [{"value": ' + b"9" * 5000 + b"}]}", "file", "is not JSON"),
    ],
)
def test_files_that_are_not_data_value_sets_are_invalid(
    raw: bytes, field: str, expected: str
) -> None:
    with pytest.raises(Invalid) as raised:
        read(raw)
    assert expected in raised.value.detail
    assert "nothing was imported" in raised.value.detail
    assert [e.field for e in raised.value.errors] == [field]


def test_a_file_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dhis2, "MAX_BYTES", 10)
    with pytest.raises(Invalid, match="larger than"):
        read(values(value()))


def test_progress_reports_the_bytes_read() -> None:
    raw = json.dumps(values(value())).encode()
    seen: list[int] = []
    dhis2.read_data_value_set(raw, filename="x.json", mapping=mapping(), progress=seen.append)
    assert seen[-1] == len(raw)


# --- the mapping ---------------------------------------------------------------------------------


def test_the_mapping_resolves_codes_and_keeps_left_out_ids() -> None:
    checked = mapping()
    assert checked.data_elements["deDengueDth"] == dhis2.DataElementMapping("dengue", "deaths")
    assert checked.data_elements["deIgnored01"] is None
    assert checked.org_units["ouChiangMai"] == dhis2.OrgUnitMapping("THA", "TH-50")
    assert checked.org_units["ouVietNam01"] == dhis2.OrgUnitMapping("VNM", None)
    assert checked.org_units["ouIgnored01"] is None
    assert checked.category_option_combos == "sum"
    assert len(checked.sha256) == 64
    minimal = mapping({"dataElements": {}, "orgUnits": {}})
    assert minimal.category_option_combos == "sum"


def test_mapping_problems_name_the_key() -> None:
    document = {
        "dataElements": {
            "a": {"disease": "nothing", "measure": "cases"},
            "b": {"disease": "dengue", "measure": "hospitalised", "colour": "red"},
            "c": ["dengue"],
            "d": {"measure": "deaths"},
            "": None,
        },
        "orgUnits": {
            "x": {"country": "FRA", "area": None},
            "y": {"country": "THA", "area": "VN-HN"},
            "z": {"country": "THA", "area": "ZZ-99", "name": 3},
            "w": {"area": 10},
        },
        "categoryOptionCombos": "first",
        "extra": 1,
        "description": 5,
    }
    assert mapping_errors(document) == [
        (
            "extra",
            "unknown key: the keys are dataElements, orgUnits, categoryOptionCombos, description",
        ),
        ("description", "must be text"),
        ("categoryOptionCombos", "must be one of: sum"),
        (
            "dataElements.a.disease",
            "'nothing' is neither a disease code (e.g. dengue) nor the ICD-10 code of one",
        ),
        ("dataElements.b.colour", "unknown key: the keys are disease, measure, name"),
        ("dataElements.b.measure", "must be one of: cases, deaths"),
        ("dataElements.c", "must be an object or null, not a list"),
        ("dataElements.d.disease", "missing: our disease code or ICD-10"),
        ("dataElements.", "an id is 1 to 100 characters"),
        (
            "orgUnits.x.country",
            "'FRA' is not the ISO 3166-1 alpha-3 code of a served country (e.g. THA)",
        ),
        ("orgUnits.y.area", "VN-HN is in VNM, not in THA"),
        (
            "orgUnits.z.area",
            "'ZZ-99' is not the ISO 3166-2 code of a first-level subdivision (e.g. TH-10); "
            "null for the national total",
        ),
        ("orgUnits.z.name", "must be text"),
        ("orgUnits.w.country", "missing: ISO 3166-1 alpha-3 (e.g. THA)"),
        (
            "orgUnits.w.area",
            "a number is not the ISO 3166-2 code of a first-level subdivision (e.g. TH-10); "
            "null for the national total",
        ),
    ]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"orgUnits": {}}, "dataElements"),
        ({"dataElements": [], "orgUnits": {}}, "dataElements"),
        ({"dataElements": {}, "orgUnits": "x"}, "orgUnits"),
        ([], "file"),
    ],
)
def test_a_mapping_without_its_sections_is_invalid(document: Any, field: str) -> None:
    assert [f for f, _m in mapping_errors(document)] == [field]


def test_a_mapping_that_is_not_json_is_invalid() -> None:
    with pytest.raises(Invalid, match=r"map\.json is not valid JSON"):
        dhis2.read_mapping(b"{", filename="map.json", references=REFERENCES)


# --- properties ----------------------------------------------------------------------------------

ELEMENTS = ["deDengueCas", "deDengueDth", "deMeaslesCa"]
UNITS = ["ouBangkok01", "ouChiangMai", "ouThailand1", "ouVietNam01"]
COMBOS = ["cocA", "cocB", "cocC"]

valid_values = st.lists(
    st.tuples(
        st.sampled_from(ELEMENTS),
        st.sampled_from(UNITS),
        st.integers(1, 8),
        st.sampled_from(COMBOS),
        st.integers(0, 10_000),
        st.booleans(),
    ),
    max_size=40,
    unique_by=lambda t: t[:4],
)


UNIT_PLACES = {
    "ouBangkok01": ("THA", "TH-10"),
    "ouChiangMai": ("THA", "TH-50"),
    "ouThailand1": ("THA", None),
    "ouVietNam01": ("VNM", None),
}
ELEMENT_MEANINGS = {
    "deDengueCas": ("dengue", "cases"),
    "deDengueDth": ("dengue", "deaths"),
    "deMeaslesCa": ("measles", "cases"),
}


@given(valid_values)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_valid_values_add_up_per_key(rows: list[tuple[str, str, int, str, int, bool]]) -> None:
    data_values = [
        value(e, f"2024W{w}", u, str(n) if as_text else n, c) for e, u, w, c, n, as_text in rows
    ]
    expected: dict[tuple[str, str | None, str, int], dict[str, int]] = {}
    for element, unit, week, _combo, number, _text in rows:
        disease, measure = ELEMENT_MEANINGS[element]
        totals = expected.setdefault((*UNIT_PLACES[unit], disease, week), {})
        totals[measure] = totals.get(measure, 0) + number
    if any("cases" not in totals for totals in expected.values()):
        with pytest.raises(Invalid) as raised:
            read(values(*data_values))
        assert all("but no cases" in e.message for e in raised.value.errors)
        return
    parsed = read(values(*data_values))
    assert parsed.rows == len(rows)
    got = {(c.country, c.area, c.disease, c.week.week): (c.cases, c.deaths) for c in parsed.counts}
    assert got == {key: (t["cases"], t.get("deaths")) for key, t in expected.items()}
    assert len(got) == len(parsed.counts)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
value_fields = st.fixed_dictionaries(
    {},
    optional={
        "dataElement": st.sampled_from([*ELEMENTS, "deIgnored01", "x"]) | json_values,
        "period": st.sampled_from(["2024W7", "2024W07", "202407", "2024W99"]) | json_values,
        "orgUnit": st.sampled_from([*UNITS, "ouIgnored01", "y"]) | json_values,
        "categoryOptionCombo": st.sampled_from(COMBOS) | json_values,
        "attributeOptionCombo": json_values,
        "value": st.sampled_from(["1", "0", "-1", "1.5"]) | json_values,
        "deleted": json_values,
    },
)


@given(st.lists(value_fields | json_values, max_size=12), json_values)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_data_values_read_or_are_invalid(items: list[Any], period: Any) -> None:
    for document in (values(*items), {"dataValues": items, "period": period}, items, period):
        try:
            parsed = read(document)
        except Invalid as bad:
            assert bad.errors
            assert all(e.field and e.message for e in bad.errors)
        else:
            assert all(c.cases >= 0 for c in parsed.counts)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_read_or_are_invalid(raw: bytes) -> None:
    for reader in (
        lambda: read(raw),
        lambda: dhis2.read_mapping(raw, filename="map.json", references=REFERENCES),
    ):
        try:
            reader()
        except Invalid as bad:
            assert bad.errors


@given(json_values)
def test_arbitrary_mappings_read_or_are_invalid(document: Any) -> None:
    for candidate in (document, {"dataElements": document, "orgUnits": document}):
        try:
            mapping(candidate)
        except Invalid as bad:
            assert bad.errors


# --- the documented example ----------------------------------------------------------------------


def test_the_documented_example_reads_as_the_documented_csv() -> None:
    docs = Path(__file__).parents[2] / "docs" / "import-formats.md"
    text = docs.read_text(encoding="utf-8")
    section = text.split("\n## Weekly counts (DHIS2 dataValueSets)\n")[1].split("\n## ")[0]
    data, mapping_json = re.findall(r"```json\n(.*?)```", section, re.S)
    [csv_text] = re.findall(r"```csv\n(.*?)```", section, re.S)
    checked = dhis2.read_mapping(mapping_json.encode(), filename="m.json", references=REFERENCES)
    parsed = dhis2.read_data_value_set(data.encode(), filename="d.json", mapping=checked)
    from_csv = weekly_csv.read_weekly_csv(
        textwrap.dedent(csv_text).encode(), filename="c.csv", references=REFERENCES
    )
    assert parsed.rows == 7
    assert {c[1:] for c in parsed.counts} == {c[1:] for c in from_csv.counts}
    assert len(parsed.counts) == 4
