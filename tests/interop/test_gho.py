"""The WHO GHO CSV reader: the export's layout, skips, errors naming row and column, and
property tests (any valid row round-trips; arbitrary bytes never crash)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.errors import Invalid
from healthbridge.interop import gho
from healthbridge.interop.gho import GhoFact, ValueRange

INDICATORS = {
    "UHC_INDEX_REPORTED": ValueRange(0, 100),
    "WHS4_100": ValueRange(0, 100),
    "HWF_0001": ValueRange(0, 1000),
    "GHED_CHE_PC_US_SHA2011": ValueRange(0, 100_000),
}
COUNTRIES = {"THA", "VNM", "KOR", "LAO"}


def row(
    indicator: str = "UHC_INDEX_REPORTED",
    country: str = "THA",
    year: str = "2021",
    value: str = "82",
    **extra: str,
) -> dict[str, str]:
    return {
        "IndicatorCode": indicator,
        "Indicator": "an indicator",
        "SpatialDimValueCode": country,
        "Location": "a country",
        "Location type": "Country",
        "Period type": "Year",
        "Period": year,
        "FactValueNumeric": value,
        "Value": value,
        **extra,
    }


def read(text: str | bytes, **kwargs: Any) -> gho.GhoFile:
    data = text.encode() if isinstance(text, str) else text
    return gho.read_gho_csv(
        data, filename="uhc.csv", indicators=INDICATORS, countries=COUNTRIES, **kwargs
    )


def errors_of(text: str | bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(Invalid) as raised:
        read(text)
    assert "uhc.csv" in raised.value.detail
    return [(e.row, e.field) for e in raised.value.errors]


# --- the layout ---------------------------------------------------------------------------------


def test_reads_the_gho_export_layout() -> None:
    text = gho.write_gho_csv(
        [
            row(),
            row("WHS4_100", "VNM", "2022", "91"),
            row(
                "HWF_0001",
                "KOR",
                "2021",
                "25.6",
                FactValueNumericLow="24",
                FactValueNumericHigh="27",
            ),
        ]
    )
    assert text.splitlines()[0].startswith('"IndicatorCode","Indicator","ValueType"')
    parsed = read(text)
    assert parsed.filename == "uhc.csv"
    assert parsed.rows == 3
    assert parsed.skipped == {}
    assert parsed.facts == [
        GhoFact(2, "UHC_INDEX_REPORTED", "THA", 2021, 82.0),
        GhoFact(3, "WHS4_100", "VNM", 2022, 91.0),
        GhoFact(4, "HWF_0001", "KOR", 2021, 25.6, 24.0, 27.0),
    ]


def test_a_minimal_file_with_only_the_needed_columns() -> None:
    parsed = read("IndicatorCode,SpatialDimValueCode,Period,Value\nwhs4_100,tha,2019,97\n")
    assert parsed.facts == [GhoFact(2, "WHS4_100", "THA", 2019, 97.0)]


def test_a_utf8_byte_order_mark_is_ignored() -> None:
    parsed = read(b"\xef\xbb\xbf" + gho.write_gho_csv([row()]).encode())
    assert [f.country_code for f in parsed.facts] == ["THA"]


def test_unquoted_fields_and_crlf_line_ends() -> None:
    text = "IndicatorCode,SpatialDimValueCode,Period,FactValueNumeric,Value\r\n"
    text += "UHC_INDEX_REPORTED,LAO,2021,50,50\r\n"
    text += '"UHC_INDEX_REPORTED","VNM","2021","68","68"\r\n'
    assert [(f.country_code, f.value) for f in read(text).facts] == [("LAO", 50.0), ("VNM", 68.0)]


def test_quoted_fields_with_commas_and_newlines_keep_row_numbers_by_line() -> None:
    text = gho.write_gho_csv(
        [row(Indicator="Index, reported\n(SDG 3.8.1)"), row(country="VNM", value="abc")]
    )
    # The first data row spans lines 2 and 3, so the bad one starts on line 4.
    assert errors_of(text) == [(4, "FactValueNumeric")]


def test_the_value_falls_back_to_the_display_text() -> None:
    parsed = read(
        gho.write_gho_csv(
            [
                row(value="", Value="61"),
                row(country="VNM", value="", Value="3.4 [2.1-5.0]"),
                row("GHED_CHE_pc_US_SHA2011", "KOR", value="", Value="1 234.5"),
            ]
        )
    )
    assert [(f.value, f.low, f.high) for f in parsed.facts] == [
        (61.0, None, None),
        (3.4, 2.1, 5.0),
        (1234.5, None, None),
    ]


def test_blank_lines_are_ignored() -> None:
    text = (
        gho.write_gho_csv([row()])
        + "\n\n"
        + gho.write_gho_csv([row(country="VNM")]).split("\r\n", 1)[1]
    )
    assert [f.country_code for f in read(text).facts] == ["THA", "VNM"]


# --- skips --------------------------------------------------------------------------------------


def test_rows_of_other_indicators_countries_disaggregations_and_censored_values_are_skipped() -> (
    None
):
    parsed = read(
        gho.write_gho_csv(
            [
                row(),
                row("WHOSIS_000001", "THA"),  # life expectancy: not tracked
                row(country="USA"),  # not served
                row(country="SEAR", **{"Location type": "Region"}),  # a WHO region
                row(country="VNM", Dim1ValueCode="SEX_FMLE"),  # women only
                row(country="VNM", Dim1ValueCode="SEX_BTSX"),  # both sexes: the total
                row(country="LAO", FactValueNumericPrefix="<"),
                row("NOT_TRACKED", "THA", year="never", value="x"),  # not even checked
            ]
        )
    )
    assert [(f.row, f.country_code) for f in parsed.facts] == [(2, "THA"), (7, "VNM")]
    assert parsed.rows == 8
    assert parsed.skipped == {
        "untracked_indicator": 2,
        "unserved_country": 2,
        "disaggregated": 1,
        "censored_value": 1,
    }
    assert parsed.skipped_total == 6


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year": "20x1"}, "Period", "'20x1' is not a year"),
        ({"year": "1850"}, "Period", "1850 is not between 1900 and 2100"),
        ({"year": ""}, "Period", "missing"),
        ({"year": "2021.5"}, "Period", "not a year"),
        ({"value": "eighty"}, "FactValueNumeric", "'eighty' is not a number"),
        ({"value": "nan"}, "FactValueNumeric", "is not a number"),
        ({"value": "1e999"}, "FactValueNumeric", "is not a number"),
        ({"value": "1_000"}, "FactValueNumeric", "is not a number"),
        ({"value": "101"}, "FactValueNumeric", "101 is outside 0–100, the range of"),
        ({"value": "-1"}, "FactValueNumeric", "outside 0–100"),
        ({"value": "", "Value": ""}, "FactValueNumeric", "missing"),
        ({"value": "", "Value": "No data"}, "Value", "is not a number"),
        ({"FactValueNumericLow": "low"}, "FactValueNumericLow", "is not a number"),
        (
            {"FactValueNumericLow": "90", "FactValueNumericHigh": "80"},
            "FactValueNumericLow",
            "the low bound 90 exceeds 80",
        ),
        (
            {"FactValueNumericLow": "85", "FactValueNumericHigh": "90"},
            "FactValueNumeric",
            "82 lies outside its own interval [85, 90]",
        ),
        ({"FactValueNumericHigh": "120"}, "FactValueNumericHigh", "outside 0–100"),
        ({"country": ""}, "SpatialDimValueCode", "missing"),
        ({"indicator": ""}, "IndicatorCode", "missing"),
    ],
)
def test_a_bad_row_is_an_error_naming_file_row_and_column(
    changes: dict[str, str], field: str, message: str
) -> None:
    fields = {"indicator", "country", "year", "value"}
    base = row(**{k: v for k, v in changes.items() if k in fields})
    base.update({k: v for k, v in changes.items() if k not in fields})
    text = gho.write_gho_csv([row(country="VNM"), base])
    with pytest.raises(Invalid) as raised:
        read(text)
    assert raised.value.detail.startswith("uhc.csv: 1 problem(s)")
    assert "nothing was imported" in raised.value.detail
    [error] = raised.value.errors
    assert (error.row, error.field) == (3, field)
    assert message in error.message


def test_every_bad_row_is_reported_at_once() -> None:
    text = gho.write_gho_csv(
        [
            row(year="x"),
            row(country="VNM"),
            row(country="LAO", value="200"),
            row("WHS4_100", value="?"),
        ]
    )
    assert errors_of(text) == [(2, "Period"), (4, "FactValueNumeric"), (5, "FactValueNumeric")]


def test_errors_stop_at_the_limit() -> None:
    text = gho.write_gho_csv([row(year=str(1000 + i)) for i in range(30)])
    with pytest.raises(Invalid) as raised:
        read(text, max_errors=5)
    assert len(raised.value.errors) == 5
    assert "the first shown" in raised.value.detail


def test_a_repeated_country_indicator_and_year_is_an_error() -> None:
    text = gho.write_gho_csv([row(), row(country="VNM"), row(value="83")])
    with pytest.raises(Invalid) as raised:
        read(text)
    [error] = raised.value.errors
    assert (error.row, error.field) == (4, "Period")
    assert "row 2 already gives UHC_INDEX_REPORTED of THA in 2021" in error.message


@pytest.mark.parametrize("column", ["IndicatorCode", "SpatialDimValueCode", "Period"])
def test_a_missing_column_is_an_error_on_the_header_row(column: str) -> None:
    columns = [
        c for c in ("IndicatorCode", "SpatialDimValueCode", "Period", "Value") if c != column
    ]
    text = ",".join(columns) + "\n" + ",".join("x" for _ in columns) + "\n"
    with pytest.raises(Invalid) as raised:
        read(text)
    assert f"missing column(s) {column}" in raised.value.detail
    assert [(e.row, e.field) for e in raised.value.errors] == [(1, column)]


def test_a_file_without_any_value_column_is_an_error() -> None:
    assert errors_of("IndicatorCode,SpatialDimValueCode,Period\nWHS4_100,THA,2020\n") == [
        (1, "FactValueNumeric")
    ]


def test_a_row_shorter_than_the_header_misses_its_cells() -> None:
    text = "IndicatorCode,SpatialDimValueCode,Period,FactValueNumeric\nWHS4_100,THA\n"
    assert errors_of(text) == [(2, "Period"), (2, "FactValueNumeric")]


def test_a_row_longer_than_the_header_is_an_error() -> None:
    text = "IndicatorCode,SpatialDimValueCode,Period,FactValueNumeric\nWHS4_100,THA,2020,97,98\n"
    assert errors_of(text) == [(2, "row")]


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert errors_of(text) == [(1, "IndicatorCode")]


def test_bytes_that_are_not_utf8_are_an_error_naming_the_line() -> None:
    data = gho.write_gho_csv([row(), row(country="VNM", Location="Vi\xeat Nam")]).encode("latin-1")
    with pytest.raises(Invalid) as raised:
        read(data)
    assert raised.value.detail == "uhc.csv is not UTF-8 text: save it as UTF-8 CSV"
    [error] = raised.value.errors
    assert (error.row, error.field) == (3, "file")
    assert "byte 0xea" in error.message


def test_broken_quoting_is_an_error_naming_the_row() -> None:
    text = "IndicatorCode,SpatialDimValueCode,Period,Value\nWHS4_100,THA,2020,97\n"
    text += 'WHS4_100,"VN"M,2020,9\n'
    assert errors_of(text) == [(3, "file")]


def test_progress_is_reported_up_to_the_last_row() -> None:
    rows = [
        row(indicator, country, str(2000 + year), "50")
        for indicator in ("UHC_INDEX_REPORTED", "WHS4_100", "HWF_0001")
        for country in sorted(COUNTRIES)
        for year in range(100)
    ]
    calls: list[tuple[int, int]] = []
    parsed = read(gho.write_gho_csv(rows), progress=lambda d, t: calls.append((d, t)))
    assert len(parsed.facts) == 1200
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]


# --- properties ---------------------------------------------------------------------------------

values = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)


@st.composite
def facts(draw: st.DrawFn) -> list[GhoFact]:
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(sorted(INDICATORS)),
                st.sampled_from(sorted(COUNTRIES)),
                st.integers(gho.FIRST_YEAR, gho.LAST_YEAR),
            ),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    out = []
    for number, (indicator, country, year) in enumerate(keys, start=2):
        value = draw(values)
        bounds = draw(st.booleans())
        low = draw(st.floats(min_value=0, max_value=value)) if bounds else None
        high = draw(st.floats(min_value=value, max_value=100)) if bounds else None
        out.append(GhoFact(number, indicator, country, year, value, low, high))
    return out


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    facts(),
    st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC]),
    st.booleans(),
    st.sampled_from(["\r\n", "\n"]),
    # Any printable text in a column we do not read, commas and quotes included.
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30),
)
def test_any_valid_row_round_trips(
    expected: list[GhoFact], quoting: int, bom: bool, newline: str, comment: str
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(
        buffer, fieldnames=gho.GHO_COLUMNS, quoting=quoting, lineterminator=newline
    )
    writer.writeheader()
    for fact in expected:
        writer.writerow(
            {
                **{c: "" for c in gho.GHO_COLUMNS},
                "IndicatorCode": fact.indicator_code,
                "SpatialDimValueCode": fact.country_code,
                "Period": str(fact.year),
                "FactValueNumeric": repr(fact.value),
                "FactValueNumericLow": "" if fact.low is None else repr(fact.low),
                "FactValueNumericHigh": "" if fact.high is None else repr(fact.high),
                "Value": f"{fact.value:.1f}",
                "FactComments": comment,
            }
        )
    parsed = read(("\ufeff" if bom else "") + buffer.getvalue())
    assert parsed.facts == expected
    assert parsed.rows == len(expected)
    assert parsed.skipped == {}


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        parsed = read(data)
    except Invalid as refused:
        assert refused.detail.startswith("uhc.csv")
        assert refused.errors, "an error names what is wrong"
        assert all(e.row is not None and e.field for e in refused.errors)
    else:
        assert all(f.country_code in COUNTRIES for f in parsed.facts)


header = "IndicatorCode,SpatialDimValueCode,Period,FactValueNumeric,Value\n"


@settings(max_examples=300)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(["UHC_INDEX_REPORTED", "THA", "2021", "50", "", '"', "1e9", "-"]),
                st.text(max_size=8),
            ),
            max_size=7,
        ),
        max_size=6,
    )
)
def test_arbitrary_rows_after_a_valid_header_never_crash(rows: list[list[str]]) -> None:
    text = header + "\n".join(",".join(cells) for cells in rows)
    try:
        parsed = read(text)
    except Invalid as refused:
        assert refused.errors
        assert all(e.row is not None and e.row >= 1 for e in refused.errors)
    else:
        assert all(0 <= f.value <= 100 for f in parsed.facts if f.indicator_code != "HWF_0001")
