"""The case-reports CSV reader: columns, codes and synonyms, lab rows, repeated cases, errors
naming the row and the column, and property tests (no crash on any bytes; a written batch reads
back the same)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.interop.cases_csv import (
    CASE_COLUMNS,
    COLUMNS,
    LAB_COLUMNS,
    read_cases_csv,
    write_cases_csv,
)

HEADER = ",".join(COLUMNS)
CASE = (
    "THA,TH-001,dengue,confirmed,2024-02-10,2024-02-12,2024-02-13,TH-10,15-24,F,recovered,yes,no,"
)
LAB = "S-1,serum,RT-PCR,DENV,DENV-2,pos,2024-02-12,2024-02-14,Bangkok lab"


def read(text: str, **kwargs: object) -> object:
    return read_cases_csv(text.encode(), filename="cases.csv", **kwargs)  # type: ignore[arg-type]


def errors_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(Invalid) as raised:
        read_cases_csv(text.encode(), filename="cases.csv")
    assert "cases.csv" in raised.value.detail
    return [(e.row, e.field) for e in raised.value.errors]


def test_a_case_with_its_lab_result() -> None:
    text = f"{HEADER}\n{CASE},{LAB}\n"
    batch = read_cases_csv(text.encode(), filename="cases.csv")
    assert batch.format == "csv" and batch.filename == "cases.csv"
    assert batch.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert batch.cases == [
        CaseRecord(
            row=2,
            country="THA",
            case_id="TH-001",
            disease="dengue",
            classification="confirmed",
            report_date=dt.date(2024, 2, 12),
            onset_date=dt.date(2024, 2, 10),
            notification_date=dt.date(2024, 2, 13),
            area="TH-10",
            age_group="15-24",
            sex="female",
            outcome="recovered",
            hospitalised=True,
            travelled=False,
            travel_countries=None,
        )
    ]
    assert batch.labs == [
        LabRecord(
            row=2,
            country="THA",
            case_id="TH-001",
            sample_id="S-1",
            test_type="pcr",
            pathogen="DENV",
            result="positive",
            sample_date=dt.date(2024, 2, 12),
            specimen="serum",
            subtype="DENV-2",
            result_date=dt.date(2024, 2, 14),
            laboratory="Bangkok lab",
        )
    ]


def test_only_the_required_columns_in_any_order_with_a_bom() -> None:
    text = (
        "\ufeffReport_Date, disease ,COUNTRY,case_id,classification\n"
        "2024-01-05,A97.9,vnm,V1,Suspect\n"
    )
    batch = read_cases_csv(text.encode(), filename="c.csv")
    [case] = batch.cases
    assert (case.country, case.case_id, case.disease, case.classification) == (
        "VNM",
        "V1",
        "A97.9",
        "suspected",
    )
    assert case.report_date == dt.date(2024, 1, 5) and case.area is None
    assert batch.labs == []


def test_several_tests_of_a_case_repeat_or_leave_out_the_case_columns() -> None:
    lab2 = "S-1,serum,serology,DENV,,negative,2024-02-12,,"
    lab3 = "S-2,,rdt,DENV,,pending,2024-02-13,,"
    key_only = "THA,TH-001" + "," * (len(CASE_COLUMNS) - 2)
    text = f"{HEADER}\n{CASE},{LAB}\n{CASE},{lab2}\n{key_only},{lab3}\n"
    batch = read_cases_csv(text.encode(), filename="cases.csv")
    assert len(batch.cases) == 1 and batch.cases[0].row == 2
    assert [(lab.row, lab.sample_id, lab.test_type) for lab in batch.labs] == [
        (2, "S-1", "pcr"),
        (3, "S-1", "serology"),
        (4, "S-2", "rdt"),
    ]


def test_a_repeated_case_must_agree_with_its_first_row() -> None:
    other = CASE.replace("confirmed", "probable")
    assert errors_of(f"{HEADER}\n{CASE},{LAB}\n{other},{LAB.replace('S-1', 'S-9')}\n") == [
        (3, "classification")
    ]


def test_the_same_test_twice_is_an_error_naming_the_first_row() -> None:
    with pytest.raises(Invalid) as raised:
        read(f"{HEADER}\n{CASE},{LAB}\n{CASE},{LAB}\n")
    [error] = raised.value.errors
    assert (error.row, error.field) == (3, "sample_id")
    assert "row 2 already gives the pcr test" in error.message


def test_every_bad_cell_is_named_with_its_row_and_column() -> None:
    bad_case = "TH,,ebola?,sure,2024-13-01,,2024/02/01,TH_10,old,x,alive?,maybe,no,ZZZ"
    bad_lab = "S-3,,antigen,,,red,2024-02-20,2024-02-19,"
    found = errors_of(f"{HEADER}\n{bad_case},{bad_lab}\n")
    assert found == [
        (2, "country"),
        (2, "case_id"),
        (2, "classification"),
        (2, "onset_date"),
        (2, "report_date"),
        (2, "notification_date"),
        (2, "area"),
        (2, "age_group"),
        (2, "sex"),
        (2, "outcome"),
        (2, "hospitalised"),
        (2, "travel_countries"),
        (2, "test_type"),
        (2, "pathogen"),
        (2, "result"),
        (2, "result_date"),
    ]


def test_messages_say_what_a_value_looks_like() -> None:
    with pytest.raises(Invalid) as raised:
        read(f"{HEADER}\n{CASE.replace('2024-02-12', '12/02/2024')},{LAB}\n")
    assert raised.value.errors == [
        FieldError("report_date", "'12/02/2024' is not an ISO 8601 date such as 2024-02-15", row=2)
    ]


def test_onset_after_report_and_lab_columns_without_a_sample() -> None:
    late = CASE.replace("2024-02-10", "2024-02-20")
    no_sample = "," + LAB.split(",", 1)[1]
    assert errors_of(f"{HEADER}\n{late},{LAB}\n{CASE},{no_sample}\n") == [
        (2, "onset_date"),
        (3, "sample_id"),
    ]


def test_header_problems() -> None:
    assert errors_of("country,case_id,colour\nTHA,1,red\n") == [
        (1, "colour"),
        (1, "disease"),
        (1, "classification"),
        (1, "report_date"),
    ]
    assert errors_of(f"{HEADER.replace(',pathogen', '')}\n") == [(1, "pathogen")]
    assert errors_of("") == [(1, "file")]
    assert errors_of("\n \n") == [(1, "file")]


def test_rows_are_numbered_as_lines_and_blank_lines_are_skipped() -> None:
    text = f'{HEADER}\n\n{CASE},{LAB}\n"THA","TH-""2"", x",dengue,probable,,2024-02-01\n{CASE[:-1]}'
    batch = read_cases_csv(text.encode(), filename="cases.csv")
    assert [c.row for c in batch.cases] == [3, 4]
    assert batch.cases[1].case_id == 'TH-"2", x'
    assert errors_of(f"{HEADER}\n{CASE},{LAB},extra\n") == [(2, "row")]
    # A quoted line break spans two lines; the next record is named by the line it starts on.
    multiline = f'{HEADER}\nTHA,"A\nB",dengue,probable,,2024-02-01\nTHA,C,dengue,nope,,2024-02-01\n'
    assert errors_of(multiline) == [(2, "case_id"), (4, "classification")]


def test_not_utf8_nul_and_broken_quotes_are_refused() -> None:
    with pytest.raises(Invalid) as raised:
        read_cases_csv(f"{HEADER}\n".encode() + b"THA,\xff\n", filename="c.csv")
    assert raised.value.errors[0].row == 2 and "not UTF-8" in raised.value.errors[0].message
    with pytest.raises(Invalid) as nul:
        read_cases_csv(f"{HEADER}\n".encode() + b"THA,a\x00b\n", filename="c.csv")
    assert nul.value.errors[0].row == 2
    assert errors_of(f'{HEADER}\nTHA,"unclosed\n') == [(2, "file")]


def test_errors_stop_at_the_limit() -> None:
    rows = "\n".join(f"THA,{n},dengue,bad,,2024-01-01" for n in range(80))
    with pytest.raises(Invalid) as raised:
        read_cases_csv(f"{HEADER}\n{rows}\n".encode(), filename="c.csv", max_errors=50)
    assert len(raised.value.errors) == 50
    assert "(the first shown)" in raised.value.detail


def test_travel_countries_and_age_bands_are_normalised() -> None:
    case = CASE[: -len(",")] + ",lao; khm,LAO"
    row = case.split(",")
    row[8] = " 65 +"
    batch = read_cases_csv(f"{HEADER}\n{','.join(row[:14])}\n".encode(), filename="c.csv")
    assert batch.cases[0].age_group == "65+"
    assert batch.cases[0].travel_countries is not None


def test_progress_reports_the_bytes_read() -> None:
    text = f"{HEADER}\n{CASE},{LAB}\n".encode()
    seen: list[int] = []
    read_cases_csv(io.BytesIO(text), filename="c.csv", progress=seen.append)
    assert seen[-1] == len(text)


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        read_cases_csv(f"{HEADER}\n".encode() + data, filename="c.csv")
    except Invalid as refused:
        assert all(isinstance(e, FieldError) for e in refused.errors)
        assert all(e.row is None or e.row >= 1 for e in refused.errors)


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.lists(cells, min_size=0, max_size=len(COLUMNS) + 2), max_size=6))
def test_arbitrary_rows_never_crash(rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    import csv

    csv.writer(buffer).writerows([list(COLUMNS), *rows])
    try:
        batch = read_cases_csv(buffer.getvalue().encode(), filename="c.csv")
    except Invalid as refused:
        assert refused.errors
        return
    for case in batch.cases:
        assert case.country.isupper() and len(case.country) == 3


codes = st.text(alphabet="ABCDEFGHJK0123456789-", min_size=1, max_size=12)
days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))
maybe = st.one_of(st.none(), st.booleans())


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[CaseRecord], list[LabRecord]]:
    case_ids = draw(st.lists(codes, min_size=1, max_size=5, unique=True))
    found: list[CaseRecord] = []
    for case_id in case_ids:
        report = draw(days)
        onset = draw(
            st.one_of(st.none(), st.dates(max_value=report, min_value=dt.date(1990, 1, 1)))
        )
        found.append(
            CaseRecord(
                row=0,
                country=draw(st.sampled_from(["THA", "VNM"])),
                case_id=case_id,
                disease=draw(st.sampled_from(["dengue", "A97.9", "measles"])),
                classification=draw(st.sampled_from(["suspected", "probable", "confirmed"])),
                report_date=report,
                onset_date=onset,
                notification_date=draw(st.one_of(st.none(), days)),
                area=draw(st.one_of(st.none(), st.sampled_from(["TH-10", "VN-HN"]))),
                age_group=draw(st.one_of(st.none(), st.sampled_from(["0-4", "65+", "15-24"]))),
                sex=draw(st.one_of(st.none(), st.sampled_from(["female", "male", "unknown"]))),
                outcome=draw(st.one_of(st.none(), st.sampled_from(["died", "alive"]))),
                hospitalised=draw(maybe),
                travelled=draw(maybe),
                travel_countries=draw(st.one_of(st.none(), st.sampled_from(["KHM LAO", "MMR"]))),
            )
        )
    labs: list[LabRecord] = []
    for n, case in enumerate(found):
        for m in range(draw(st.integers(0, 2))):
            sampled = draw(days)
            labs.append(
                LabRecord(
                    row=0,
                    country=case.country,
                    case_id=case.case_id,
                    sample_id=f"S{n}-{m}",
                    test_type=draw(st.sampled_from(["pcr", "rdt", "serology"])),
                    pathogen=draw(st.sampled_from(["DENV", "MEV"])),
                    result=draw(st.sampled_from(["positive", "negative", "pending"])),
                    sample_date=sampled,
                    specimen=draw(st.one_of(st.none(), st.just("serum"))),
                    subtype=draw(st.one_of(st.none(), st.just("DENV-2"))),
                    result_date=draw(st.one_of(st.none(), st.dates(min_value=sampled))),
                    laboratory=draw(st.one_of(st.none(), st.just('Lab, "north"'))),
                )
            )
    return found, labs


def _without_rows(records: list[CaseRecord] | list[LabRecord]) -> list[tuple[object, ...]]:
    return [tuple(getattr(r, f) for f in r.__slots__ if f != "row") for r in records]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(batches())
def test_a_written_batch_reads_back_the_same(
    records: tuple[list[CaseRecord], list[LabRecord]],
) -> None:
    found, labs = records
    text = write_cases_csv(found, labs)
    batch = read_cases_csv(text.encode(), filename="c.csv")
    assert _without_rows(batch.cases) == _without_rows(found)
    assert sorted(_without_rows(batch.labs)) == sorted(_without_rows(labs))  # type: ignore[type-var]
    assert set(LAB_COLUMNS) <= set(text.splitlines()[0].split(","))
