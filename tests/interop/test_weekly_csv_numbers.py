"""The weekly-counts CSV reader refuses numbers too long for Python's int() without crashing."""

from __future__ import annotations

import pytest

from healthbridge.errors import Invalid
from healthbridge.interop import weekly_csv

REFERENCES = weekly_csv.WeeklyReferences(
    countries=frozenset({"THA"}),
    areas={"TH-10": "THA"},
    diseases=weekly_csv.DiseaseCodes(codes=frozenset({"dengue"}), icd10={}),
)


@pytest.mark.parametrize("cases", ["9" * 5000, "1000000001", "0" * 5000 + "1000000001"])
def test_a_count_past_the_maximum_is_a_row_error(cases: str) -> None:
    data = f"country,disease,week,cases\nTHA,dengue,2024-W07,{cases}\n".encode()
    with pytest.raises(Invalid) as refused:
        weekly_csv.read_weekly_csv(data, references=REFERENCES, filename="w.csv")
    (error,) = refused.value.errors
    assert (error.row, error.field) == (2, "cases")
    assert "more than 1,000,000,000" in error.message


def test_leading_zeros_are_read_as_the_number() -> None:
    data = b"country,disease,week,cases\nTHA,dengue,2024-W07,0007\n"
    parsed = weekly_csv.read_weekly_csv(data, references=REFERENCES, filename="w.csv")
    assert [row.cases for row in parsed.counts] == [7]
