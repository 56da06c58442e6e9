"""WHO rapid risk assessment matrix: every cell by hand, the five-level rule, validation and
monotonicity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbridge.analytics.eoc.risk import (
    CONSEQUENCES,
    LIKELIHOODS,
    Confidence,
    Consequence,
    Likelihood,
    RiskAssessment,
    RiskLevel,
    risk_level,
    who_level,
)

VL, LO, MO, HI, VH = "very low", "low", "moderate", "high", "very high"

# Rows: likelihood from very unlikely up; columns: minimal, minor, moderate, major, severe.
FIVE_LEVEL = {
    "very_unlikely": (VL, VL, LO, MO, HI),
    "unlikely": (VL, VL, MO, HI, HI),
    "likely": (LO, MO, HI, HI, VH),
    "highly_likely": (LO, MO, HI, VH, VH),
    "almost_certain": (MO, HI, HI, VH, VH),
}
CELLS = [
    (likelihood, consequence, FIVE_LEVEL[likelihood][column])
    for likelihood in FIVE_LEVEL
    for column, consequence in enumerate(["minimal", "minor", "moderate", "major", "severe"])
]


@pytest.mark.parametrize(("likelihood", "consequence", "expected"), CELLS)
def test_every_cell(likelihood: str, consequence: str, expected: str) -> None:
    assert risk_level(likelihood, consequence).label == expected
    # WHO's own matrix has no "very low": the corner reads "low" there, the rest is unchanged.
    assert who_level(likelihood, consequence).label == (LO if expected == VL else expected)


def test_twenty_five_cells_and_all_five_levels_used() -> None:
    assert len(CELLS) == 25
    assert {risk_level(lk, cq) for lk in LIKELIHOODS for cq in CONSEQUENCES} == set(RiskLevel)
    assert RiskLevel.VERY_LOW not in {
        who_level(lk, cq) for lk in LIKELIHOODS for cq in CONSEQUENCES
    }


def test_words_and_enums_both_read() -> None:
    assert risk_level("Highly likely", "Major") is RiskLevel.VERY_HIGH
    assert risk_level(Likelihood.UNLIKELY, Consequence.MINOR) is RiskLevel.VERY_LOW
    assert [level.code for level in RiskLevel] == [
        "very_low",
        "low",
        "moderate",
        "high",
        "very_high",
    ]


@pytest.mark.parametrize(
    ("likelihood", "consequence", "field"),
    [
        ("possible", "minor", "likelihood"),
        ("likely", "catastrophic", "consequence"),
        (3, "minor", "likelihood"),
    ],
)
def test_unknown_levels_name_the_field(likelihood: object, consequence: object, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        risk_level(likelihood, consequence)  # type: ignore[arg-type]


def assessment(**overrides: object) -> RiskAssessment:
    fields: dict[str, object] = {
        "hazard": "Cholera, Vibrio cholerae O1 confirmed in 3 of 5 stool samples",
        "exposure": "About 40 000 people share the contaminated water source",
        "context": "Rainy season; two cholera treatment centres in the district",
        "likelihood": "highly likely",
        "consequence": "moderate",
        "confidence": "moderate",
        "rationale": "Ongoing exposure; case management capacity limited",
    }
    fields.update(overrides)
    return RiskAssessment(**fields)  # type: ignore[arg-type]


def test_assessment_level_and_normalisation() -> None:
    made = assessment(hazard="  Cholera  ")
    assert made.hazard == "Cholera"
    assert made.likelihood is Likelihood.HIGHLY_LIKELY and made.confidence is Confidence.MODERATE
    assert made.level is RiskLevel.HIGH and made.who_level is RiskLevel.HIGH
    assert assessment(likelihood="unlikely", consequence="minimal").level.label == "very low"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hazard", " "),
        ("exposure", ""),
        ("context", None),
        ("rationale", 7),
        ("likelihood", "probable"),
        ("consequence", "huge"),
        ("confidence", "very high"),
    ],
)
def test_assessment_refuses_bad_fields_naming_them(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        assessment(**{field: value})


def test_assessment_is_immutable() -> None:
    made = assessment()
    with pytest.raises(AttributeError):
        made.likelihood = Likelihood.LIKELY  # type: ignore[misc]


likelihoods = st.sampled_from(LIKELIHOODS)
consequences = st.sampled_from(CONSEQUENCES)


@given(likelihoods, likelihoods, consequences, consequences)
def test_raising_likelihood_or_consequence_never_lowers_the_level(
    l1: Likelihood, l2: Likelihood, c1: Consequence, c2: Consequence
) -> None:
    lo_l, hi_l = sorted((l1, l2), key=LIKELIHOODS.index)
    lo_c, hi_c = sorted((c1, c2), key=CONSEQUENCES.index)
    for level in (risk_level, who_level):
        assert level(lo_l, lo_c) <= level(hi_l, lo_c) <= level(hi_l, hi_c)
        assert level(lo_l, lo_c) <= level(lo_l, hi_c) <= level(hi_l, hi_c)


@given(likelihoods, consequences)
def test_five_levels_merge_back_into_who(likelihood: Likelihood, consequence: Consequence) -> None:
    five, four = risk_level(likelihood, consequence), who_level(likelihood, consequence)
    assert max(five, RiskLevel.LOW) == four
