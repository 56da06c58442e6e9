"""Counts and incidence CSVs: reading (gaps, extra columns, errors naming row and column),
writing results, and property tests (any table round-trips; arbitrary bytes never crash)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from healthbridge.errors import Invalid
from healthbridge.interop import counts_csv
from healthbridge.interop.counts_csv import (
    format_number,
    read_counts,
    read_incidence,
    write_detection,
    write_rt,
)


def refused(data: str | bytes, *, incidence: bool = False) -> tuple[str, str, int | None]:
    with pytest.raises(Invalid) as caught:
        if incidence:
            read_incidence(data, source="in.csv")
        else:
            read_counts(data, source="in.csv")
    assert "in.csv" in caught.value.detail
    [error] = caught.value.errors
    return error.field, error.message, error.row


def test_reads_series_in_order_with_gaps_and_extra_columns() -> None:
    data = (
        "series,t,week,count,note\n"
        "b,1,2001-W01,3,x\n"
        "b,3,2001-W03,4,\n"
        "a,2,2001-W02,7,y\n"
        "a,1,2001-W01,NA,\n"
        'a,3,2001-W03,"",\n'
    )
    result = read_counts(data)
    assert result.series == ("b", "a")
    assert result.weeks == 3 and result.rows == 5
    np.testing.assert_array_equal(result.counts, [[3, np.nan, 4], [np.nan, 7, np.nan]])
    assert result.gaps == 3


def test_reads_bytes_with_a_byte_order_mark_and_odd_series_names() -> None:
    data = '\ufeffseries,t,count\n"Region, north ""A""",1,2.5\n,2,0\n'.encode()
    result = read_counts(data)
    assert result.series == ('Region, north "A"', "")
    np.testing.assert_array_equal(result.counts, [[2.5, np.nan], [np.nan, 0.0]])


def test_header_cells_are_stripped_and_blank_lines_skipped() -> None:
    result = read_counts("series , t , count\n\na,1,1\n\n")
    assert result.counts.tolist() == [[1.0]]


@pytest.mark.parametrize(
    ("data", "field", "message", "row"),
    [
        ("series,t\na,1\n", "count", "missing column", 1),
        ("t,count\n1,2\n", "series", "missing column", 1),
        ("series,t,count\na,1,2\na,2,abc\n", "count", "'abc' is not a number", 3),
        ("series,t,count\na,1,-2\n", "count", "-2 is negative", 2),
        ("series,t,count\na,1,inf\n", "count", "not a finite number", 2),
        ("series,t,count\na,1,nan\n", "count", "not a finite number", 2),
        ("series,t,count\na,0,2\n", "t", "outside 1..100000", 2),
        ("series,t,count\na,1.5,2\n", "t", "not a whole number", 2),
        ("series,t,count\na,,2\n", "t", "not a whole number", 2),
        ("series,t,count\na,W01,2\n", "t", "not a whole number", 2),
        ("series,t,count\na,100001,2\n", "t", "outside", 2),
        ("series,t,count\na,1,2\nb,1,2\na,1,3\n", "t", "week 1 twice (also row 2)", 4),
        ("series,t,count\na,1,2,9\n", "file", "4 cells but the header has 3", 2),
        ("series,t,count\n", "file", "no rows", None),
        ("", "file", "empty", None),
    ],
)
def test_errors_name_row_and_field(data: str, field: str, message: str, row: int | None) -> None:
    got_field, got_message, got_row = refused(data)
    assert got_field == field
    assert message in got_message
    if row is not None:
        assert got_row == row


def test_an_unclosed_quote_is_refused() -> None:
    refused('series,t,count\n"a,1,2\n')


def test_a_row_is_named_by_the_line_it_starts_on() -> None:
    data = 'series,t,count\n"multi\nline",1,2\nb,1,x\n'
    assert refused(data)[2] == 4


def test_non_utf8_bytes_are_refused() -> None:
    with pytest.raises(Invalid, match="not UTF-8"):
        read_counts(b"series,t,count\n\xff,1,2\n")


def test_dates_come_from_the_week_column_only_when_asked() -> None:
    data = "series,t,week,count\na,2,2004-W02,1\nb,1,2004-W01,2\nb,4,2004-01-19,3\n"
    assert read_counts(data).dates is None
    result = read_counts(data, with_dates=True)
    assert result.dates is not None
    # The Monday of ISO week 2004-W01 is 2003-12-29; week 3 (no row) is filled in.
    assert result.dates.astype(str).tolist() == [
        "2003-12-29",
        "2004-01-05",
        "2004-01-12",
        "2004-01-19",
    ]


def test_dates_across_a_53_week_year() -> None:
    # 2004 has 53 ISO weeks: 2004-W53 is followed by 2005-W01.
    data = "series,t,week,count\na,1,2004-W52,1\na,2,2004-W53,1\na,3,2005-W01,1\n"
    result = read_counts(data, with_dates=True)
    assert result.dates is not None
    assert (np.diff(result.dates.astype(np.int64)) == 7).all()


@pytest.mark.parametrize(
    ("data", "message", "row"),
    [
        ("series,t,count\na,1,1\n", "missing column", 1),
        ("series,t,week,count\na,1,W01,1\n", "neither an ISO week", 2),
        ("series,t,week,count\na,1,2004-W54,1\n", "neither an ISO week", 2),
        ("series,t,week,count\na,1,2004-W01,1\nb,1,2004-W02,1\n", "is not 0 weeks after", 3),
        ("series,t,week,count\na,1,2004-W01,1\na,3,2004-W02,1\n", "'2004-W02' at t=3", 3),
    ],
)
def test_bad_week_labels(data: str, message: str, row: int) -> None:
    with pytest.raises(Invalid) as caught:
        read_counts(data, with_dates=True)
    [error] = caught.value.errors
    assert error.field == "week" and message in error.message and error.row == row


def test_reads_incidence_under_either_name() -> None:
    np.testing.assert_array_equal(read_incidence('"t","incidence"\n1,1\n2,4\n'), [1, 4])
    np.testing.assert_array_equal(read_incidence("dates,t,I\n2009-04-27,2,5\n"), [np.nan, 5])


@pytest.mark.parametrize(
    ("data", "field", "message", "row"),
    [
        ("t,cases\n1,2\n", "incidence", "missing column", 1),
        ("t,incidence\n1,2\n1,3\n", "t", "day 1 is given twice (also row 2)", 3),
        ("t,incidence\n1,-1\n", "incidence", "negative", 2),
        ("t,I\n1,many\n", "I", "not a number", 2),
    ],
)
def test_incidence_errors(data: str, field: str, message: str, row: int) -> None:
    assert refused(data, incidence=True)[0] == field
    got = refused(data, incidence=True)
    assert message in got[1] and got[2] == row


def test_format_number() -> None:
    assert format_number(3.0) == "3"
    assert format_number(0.0) == "0"
    assert format_number(math.nan) == ""
    assert format_number(0.1) == "0.1"
    assert float(format_number(1.8892623326378317)) == 1.8892623326378317
    assert format_number(1e300) == "1e+300"


def test_write_detection() -> None:
    out = io.StringIO()
    counts = np.array([[1.0, 2.0, np.nan], [0.0, 5.0, 6.0]])
    written = write_detection(
        out,
        series=["a", "b,c"],
        counts=counts,
        monitor=np.array([1, 2]),
        upperbound=np.array([[np.nan, 2.5, np.nan], [np.nan, 4.0, 7.25]]),
        alarm=np.array([[False, False, False], [False, True, False]]),
        expected=np.array([[np.nan, 1.5, np.nan], [np.nan, 2.0, 3.0]]),
    )
    assert written == 4
    assert out.getvalue().splitlines() == [
        "series,t,count,upperbound,alarm,expected",
        "a,2,2,2.5,0,1.5",
        "a,3,,,0,",
        '"b,c",2,5,4,1,2',
        '"b,c",3,6,7.25,0,3',
    ]


def test_write_rt_uses_epiestims_columns() -> None:
    out = io.StringIO()
    write_rt(
        out,
        t_start=np.array([2, 3]),
        t_end=np.array([8, 9]),
        mean=np.array([np.nan, 1.25]),
        std=np.array([np.nan, 0.5]),
        quantiles={p: np.array([np.nan, p]) for p in counts_csv.RT_QUANTILE_COLUMNS},
    )
    lines = out.getvalue().splitlines()
    assert lines[0].split(",") == list(counts_csv.RT_COLUMNS)
    assert lines[1] == "2,8" + "," * 9
    assert lines[2] == "3,9,1.25,0.5,0.025,0.05,0.25,0.5,0.75,0.95,0.975"


# --- properties ---------------------------------------------------------------------------------

names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=8
)


@settings(max_examples=100, deadline=None)
@given(
    series=st.lists(names, min_size=1, max_size=4, unique=True),
    counts=st.data(),
)
def test_any_table_round_trips(series: list[str], counts: st.DataObject) -> None:
    table: NDArray[np.float64] = counts.draw(
        hnp.arrays(
            np.float64,
            (len(series), counts.draw(st.integers(1, 12))),
            elements=st.one_of(
                st.just(np.nan), st.floats(0, 1e15, allow_nan=False), st.integers(0, 10**6)
            ),
        )
    )
    table[:, -1] = 1.0  # the last week must exist for the width to round-trip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["series", "t", "count"])
    for i, name in enumerate(series):
        for t, value in enumerate(table[i], start=1):
            writer.writerow([name, t, format_number(float(value))])
    result = read_counts(out.getvalue())
    assert result.series == tuple(series)
    np.testing.assert_array_equal(result.counts, table)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        read_counts(b"series,t,count\n" + data)
    except Invalid as error:
        assert error.errors
    try:
        read_incidence(data)
    except Invalid as error:
        assert error.errors
