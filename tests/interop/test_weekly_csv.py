"""The weekly-counts CSV reader: the columns, codes of countries, areas and diseases, ISO and DHIS2
weeks, errors naming the file, row and column, duplicate keys, streaming, and property tests
(valid rows round-trip; arbitrary bytes never crash)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.errors import Invalid
from healthbridge.flows import reference_records
from healthbridge.interop import weekly_csv
from healthbridge.interop.isoweek import IsoWeek
from healthbridge.interop.weekly_csv import (
    DiseaseCodes,
    WeeklyReferences,
    WeeklyRow,
    write_weekly_csv,
)

DISEASES = DiseaseCodes.from_records(
    (d["code"], d["icd10"], d["icd10_codes"]) for d in reference_records("diseases")
)
REFERENCES = WeeklyReferences(
    countries=frozenset({"THA", "VNM", "IDN", "PHL"}),
    areas={"TH-10": "THA", "TH-50": "THA", "VN-HN": "VNM", "VN-SG": "VNM"},
    diseases=DISEASES,
)
HEADER = "country,area,disease,week,cases,deaths\n"


def read(data: str | bytes, **kwargs: Any) -> weekly_csv.WeeklyFile:
    raw = data.encode() if isinstance(data, str) else data
    return weekly_csv.read_weekly_csv(raw, filename="counts.csv", references=REFERENCES, **kwargs)


def errors_of(data: str | bytes, **kwargs: Any) -> list[tuple[int | None, str]]:
    with pytest.raises(Invalid) as raised:
        read(data, **kwargs)
    assert "counts.csv" in raised.value.detail
    assert "nothing was imported" in raised.value.detail
    return [(e.row, e.field) for e in raised.value.errors]


def messages_of(data: str | bytes, **kwargs: Any) -> list[str]:
    with pytest.raises(Invalid) as raised:
        read(data, **kwargs)
    return [e.message for e in raised.value.errors]


# --- reading -----------------------------------------------------------------------------------


def test_reads_rows_of_areas_and_national_totals() -> None:
    parsed = read(
        HEADER
        + "THA,TH-10,dengue,2024-W07,153,0\n"
        + "tha,th-50,DENGUE,2024W07,12,\n"
        + "VNM,,A97.9,2024W7,88,1\n"
    )
    assert parsed.filename == "counts.csv"
    assert parsed.rows == 3
    assert parsed.counts == [
        WeeklyRow(2, "THA", "TH-10", "dengue", IsoWeek(2024, 7), 153, 0),
        WeeklyRow(3, "THA", "TH-50", "dengue", IsoWeek(2024, 7), 12, None),
        WeeklyRow(4, "VNM", None, "dengue", IsoWeek(2024, 7), 88, 1),
    ]
    assert parsed.countries == ["THA", "VNM"]
    assert parsed.diseases == ["dengue"]


def test_columns_in_any_order_with_any_case_and_optional_columns_left_out() -> None:
    parsed = read("Week,Cases,Disease,COUNTRY\n2024-W01,5,measles,PHL\n")
    assert parsed.counts == [WeeklyRow(2, "PHL", None, "measles", IsoWeek(2024, 1), 5, None)]


def test_a_byte_order_mark_crlf_and_quoted_cells() -> None:
    text = (
        '\ufeffcountry,area,disease,week,cases,deaths\r\n"IDN","","measles","2024-W02","7","0"\r\n'
    )
    parsed = read(text.encode("utf-8"))
    assert [(c.country, c.cases, c.deaths) for c in parsed.counts] == [("IDN", 7, 0)]


def test_blank_lines_are_skipped_but_rows_keep_their_line_numbers() -> None:
    text = HEADER + "\n" + "THA,,dengue,2024-W01,1,0\n" + " , , \n" + "THA,,dengue,2024-W02,x,0\n"
    assert errors_of(text) == [(5, "cases")]
    parsed = read(HEADER + "\n\nTHA,,dengue,2024-W01,1,0\n\n")
    assert parsed.rows == 1
    assert parsed.counts[0].row == 4


def test_a_quoted_newline_counts_as_lines() -> None:
    text = HEADER + 'THA,,"den\ngue",2024-W01,1,0\n' + "THA,,dengue,2024-W02,-1,0\n"
    assert errors_of(text) == [(2, "disease"), (4, "cases")]


@pytest.mark.parametrize(
    ("code", "disease"),
    [
        ("dengue", "dengue"),
        ("Dengue", "dengue"),
        ("A97.9", "dengue"),
        ("a97.9", "dengue"),
        ("A97.0", "dengue"),  # listed by dengue only
        ("A97.2", "severe_dengue"),  # severe dengue's main code, though dengue lists it too
        ("B05", "measles"),
        ("B05.3", "measles"),  # the category B05 names measles
        ("A00.1", "cholera"),
        ("U07.2", "covid_19"),
        ("B24", "hiv_infection"),
    ],
)
def test_diseases_by_code_or_icd10(code: str, disease: str) -> None:
    parsed = read(HEADER + f"THA,,{code},2024-W01,1,0\n")
    assert parsed.counts[0].disease == disease


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("A91", "ICD-10 code 'A91' names several diseases: use our code"),
        ("ebola", "'ebola' is neither a disease code (e.g. dengue) nor the ICD-10 code of one"),
        ("Z99.9", "is neither a disease code"),
    ],
)
def test_unknown_and_ambiguous_diseases(code: str, message: str) -> None:
    [found] = messages_of(HEADER + f"THA,,{code},2024-W01,1,0\n")
    assert message in found


# --- errors ------------------------------------------------------------------------------------


def test_every_problem_is_reported_with_its_row_and_column() -> None:
    text = (
        HEADER
        + "USA,,dengue,2024-W01,1,0\n"  # 2 country
        + "THA,VN-HN,dengue,2024-W01,1,0\n"  # 3 area of another country
        + "THA,TH-99,dengue,2024-W01,1,0\n"  # 4 unknown area
        + "THA,,flu,2024-W01,1,0\n"  # 5 disease
        + "THA,,dengue,2024-W53,1,0\n"  # 6 week 2024 does not have
        + "THA,,dengue,2024-07,1,0\n"  # 7 week
        + "THA,,dengue,2024-W01,1.5,0\n"  # 8 cases
        + "THA,,dengue,2024-W01,-3,0\n"  # 9 cases
        + "THA,,dengue,2024-W01,,0\n"  # 10 cases missing
        + "THA,,dengue,2024-W01,2,two\n"  # 11 deaths
        + ",,,,,\n"  # blank: skipped
        + "THA,,dengue,2024-W01,1,0,extra\n"  # 13 too many cells
        + ",TH-10,dengue,,1,0\n"  # 14 country and week missing
        + "THA,,dengue,2024-W01,1000000001,\n"  # 15 too many cases
    )
    assert errors_of(text) == [
        (2, "country"),
        (3, "area"),
        (4, "area"),
        (5, "disease"),
        (6, "week"),
        (7, "week"),
        (8, "cases"),
        (9, "cases"),
        (10, "cases"),
        (11, "deaths"),
        (13, "row"),
        (14, "country"),
        (14, "week"),
        (15, "cases"),
    ]
    messages = messages_of(text)
    assert "'USA' is not the ISO 3166-1 alpha-3 code of a served country" in messages[0]
    assert messages[1] == "VN-HN is in VNM, not in THA"
    assert "2024 has 52 ISO weeks, not 53" in messages[4]
    assert messages[6] == "'1.5' is not a whole number of cases, 0 or more"
    assert messages[8] == "missing (write 0 for none)"
    assert messages[10] == "7 cells but the header has 6 columns"


def test_a_duplicate_key_names_both_rows_whatever_the_spelling() -> None:
    text = (
        HEADER
        + "THA,TH-10,dengue,2024-W07,1,0\n"
        + "THA,,dengue,2024-W07,5,0\n"
        + "tha,th-10,A97.9,2024W7,2,0\n"  # the same key as row 2
        + "THA,,dengue,2024W07,6,0\n"  # the same national total as row 3
        + "THA,TH-50,dengue,2024-W07,1,0\n"
    )
    assert errors_of(text) == [(4, "week"), (5, "week")]
    first, second = messages_of(text)
    assert first == "row 2 already gives dengue in TH-10 for week 2024-W07"
    assert second == "row 3 already gives dengue in THA (national total) for week 2024-W07"


def test_weeks_that_have_not_begun_and_weeks_before_1900_are_refused() -> None:
    text = HEADER + "THA,,dengue,2024-W10,1,0\n" + "THA,,dengue,2024-W11,1,0\n"
    assert read(text, latest=IsoWeek(2024, 11)).rows == 2
    assert errors_of(text, latest=IsoWeek(2024, 10)) == [(3, "week")]
    assert messages_of(text, latest=IsoWeek(2024, 10)) == [
        "2024-W11 has not begun yet (the latest is 2024-W10)"
    ]
    assert errors_of(HEADER + "THA,,dengue,1899-W10,1,0\n") == [(2, "week")]


def test_errors_stop_at_the_limit() -> None:
    text = HEADER + "".join(f"THA,,dengue,2024-W01,bad{i},0\n" for i in range(200))
    with pytest.raises(Invalid) as raised:
        read(text)
    assert len(raised.value.errors) == weekly_csv.MAX_ERRORS
    assert "50 problem(s) in the file (the first shown)" in raised.value.detail
    assert raised.value.errors[-1].row == 51
    assert len(errors_of(text, max_errors=3)) == 3


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("", ["file"]),
        ("\n\n", ["file"]),
        (
            "THA,,dengue,2024-W01,1,0\n",
            ["tha", "dengue", "2024-w01", "1", "0", *weekly_csv.REQUIRED_COLUMNS],
        ),
        ("country,disease,week\nTHA,dengue,2024-W01\n", ["cases"]),
        ("country,disease,week,cases,death\n", ["death"]),
        ("country,disease,week,cases,cases\n", ["cases"]),
    ],
)
def test_the_header_is_required_and_checked(text: str, fields: list[str]) -> None:
    with pytest.raises(Invalid) as raised:
        read(text)
    assert "counts.csv" in raised.value.detail
    assert [e.field for e in raised.value.errors] == fields
    assert {e.row for e in raised.value.errors} <= {1}


def test_text_that_is_not_utf8_names_its_row() -> None:
    data = (
        HEADER + "THA,,dengue,2024-W01,1,0\n"
    ).encode() + "THA,,d\xe9ngue,2024-W02,1,0\n".encode("latin-1")
    with pytest.raises(Invalid) as raised:
        read(data)
    assert "is not UTF-8" in raised.value.detail
    [error] = raised.value.errors
    assert (error.row, error.field) == (3, "file")
    assert "byte 0xe9 at position 7 of the line" in error.message


def test_bad_csv_quoting_names_its_row() -> None:
    with pytest.raises(Invalid) as raised:
        read(HEADER + "THA,,dengue,2024-W01,1,0\n" + 'THA,,"dengue"x,2024-W01,1,0\n')
    assert "not valid CSV at row 3" in raised.value.detail
    assert [(e.row, e.field) for e in raised.value.errors] == [(3, "file")]


def test_a_file_object_is_read_as_it_streams_and_hashed() -> None:
    data = (
        HEADER + "".join(f"THA,TH-10,dengue,2023-W{w:02d},{w},0\n" for w in range(1, 53))
    ).encode()
    reported: list[int] = []
    parsed = weekly_csv.read_weekly_csv(
        io.BytesIO(data), filename="counts.csv", references=REFERENCES, progress=reported.append
    )
    assert parsed.rows == 52
    assert parsed.sha256 == hashlib.sha256(data).hexdigest() == read(data).sha256
    assert parsed.size == len(data)
    assert reported[-1] == len(data)


def test_written_files_read_back() -> None:
    rows: list[dict[str, weekly_csv.CellValue]] = [
        {"country": "THA", "area": "TH-10", "disease": "dengue", "week": "2024-W07", "cases": 3},
        {
            "country": "VNM",
            "area": None,
            "disease": "zika",
            "week": "2024-W07",
            "cases": 0,
            "deaths": 0,
        },
    ]
    text = write_weekly_csv(rows)
    assert text.splitlines()[0] == "country,area,disease,week,cases,deaths"
    assert [(c.country, c.area, c.disease, c.cases, c.deaths) for c in read(text).counts] == [
        ("THA", "TH-10", "dengue", 3, None),
        ("VNM", None, "zika", 0, 0),
    ]


# --- properties ----------------------------------------------------------------------------------

valid_rows = st.lists(
    st.tuples(
        st.sampled_from([("THA", None), ("THA", "TH-10"), ("VNM", "VN-SG"), ("IDN", None)]),
        st.sampled_from(["dengue", "measles", "A97.9", "B05", "cholera"]),
        st.dates().map(lambda d: d.isocalendar()).filter(lambda c: c.year >= 1900),
        st.integers(min_value=0, max_value=weekly_csv.MAX_COUNT),
        st.none() | st.integers(min_value=0, max_value=10_000),
        st.booleans(),
    ),
    max_size=30,
)


@given(valid_rows)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_valid_rows_round_trip(rows: list[Any]) -> None:
    unique: dict[tuple[Any, ...], dict[str, weekly_csv.CellValue]] = {}
    for (country, area), disease, calendar, cases, deaths, dhis2 in rows:
        week = f"{calendar.year:04d}{'' if dhis2 else '-'}W{calendar.week:02d}"
        code = DISEASES.resolve(disease)[0]
        unique.setdefault(
            (country, area, code, calendar.year, calendar.week),
            {
                "country": country,
                "area": area,
                "disease": disease,
                "week": week,
                "cases": cases,
                "deaths": deaths,
            },
        )
    parsed = read(write_weekly_csv(unique.values()))
    assert parsed.rows == len(unique)
    assert [
        (c.country, c.area, c.disease, c.week.year, c.week.week) for c in parsed.counts
    ] == list(unique)
    assert [(c.cases, c.deaths) for c in parsed.counts] == [
        (r["cases"], r["deaths"]) for r in unique.values()
    ]
    assert [c.row for c in parsed.counts] == list(range(2, len(unique) + 2))


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        parsed = read(data)
    except Invalid as refused:
        assert "counts.csv" in refused.detail
        assert refused.errors
        assert all(isinstance(e.row, int) and e.row >= 1 for e in refused.errors)
    else:
        assert parsed.rows == len(parsed.counts)


@given(st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=10))
def test_arbitrary_cells_after_a_valid_header_never_crash(cells: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(cells)
    try:
        parsed = read(HEADER + buffer.getvalue())
    except Invalid as refused:
        for error in refused.errors:
            assert error.field in {*weekly_csv.COLUMNS, "row", "file"}
            assert error.message and re.sub(r"\s", " ", error.message).isprintable()
    else:
        for count in parsed.counts:
            assert count.country in REFERENCES.countries
            assert count.cases >= 0
