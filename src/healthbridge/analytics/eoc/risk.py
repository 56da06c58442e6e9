"""The WHO rapid risk assessment (RRA) of an acute public health event: likelihood × consequence.

WHO, *Rapid risk assessment of acute public health events*, 2012 (WHO/HSE/GAR/ARO/2012.1):
a hazard, an exposure and a context assessment lead to a likelihood (almost certain, highly
likely, likely, unlikely, very unlikely) and a consequence (minimal, minor, moderate, major,
severe); the risk matrix of the manual combines them into low, moderate, high or very high risk,
and the assessors state their confidence in the assessment (low, moderate, high).

The issue asks for a five-level scale (very low, low, moderate, high, very high), the labels of
ECDC's *Operational guidance on rapid risk assessment methodology* (2011; *Operational tool*,
2019). The five levels are obtained from the four WHO levels by one rule, ours:

* every cell keeps its WHO level, except
* the WHO "low" cells whose likelihood is *very unlikely* or *unlikely* and whose consequence is
  *minimal* or *minor* (the four cells of the bottom-left corner) become "very low".

The corner is closed downwards and every cell in it is WHO "low", so the five-level matrix is
monotone whenever the WHO matrix is; merging "very low" back into "low" gives WHO's matrix
exactly (:func:`who_level`).

**Uncertain:** the cells of :data:`WHO_MATRIX` could not be checked against the figure of the
2012 manual when this was written (no copy of the figure was at hand). They must be compared with
it before the levels are relied on; ``docs/methods-eoc.md`` says so too. Changing a cell means
changing this table and the hand-checked cells in ``tests/analytics/eoc/test_risk.py``; the
property tests (monotone, five levels merge back into four) keep holding for any monotone table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final, TypeVar


class Likelihood(StrEnum):
    """How likely the event is to spread or affect people (WHO 2012, ordered lowest first)."""

    VERY_UNLIKELY = "very_unlikely"
    UNLIKELY = "unlikely"
    LIKELY = "likely"
    HIGHLY_LIKELY = "highly_likely"
    ALMOST_CERTAIN = "almost_certain"


class Consequence(StrEnum):
    """How severe the consequences would be (WHO 2012, ordered lowest first)."""

    MINIMAL = "minimal"
    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"
    SEVERE = "severe"


class Confidence(StrEnum):
    """The assessors' confidence in the assessment, from the quality of the information."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class RiskLevel(IntEnum):
    """The overall level of risk on the five-level scale; comparisons follow the order."""

    VERY_LOW = 0
    LOW = 1
    MODERATE = 2
    HIGH = 3
    VERY_HIGH = 4

    @property
    def label(self) -> str:
        """The level as words: ``"very low"`` ... ``"very high"``."""
        return self.name.lower().replace("_", " ")

    @property
    def code(self) -> str:
        """The level as stored by the events: ``"very_low"`` ... ``"very_high"``."""
        return self.name.lower()


LIKELIHOODS: Final = tuple(Likelihood)
CONSEQUENCES: Final = tuple(Consequence)

_L, _M, _H, _V = RiskLevel.LOW, RiskLevel.MODERATE, RiskLevel.HIGH, RiskLevel.VERY_HIGH

#: WHO 2012 risk matrix, four levels: one row per likelihood (lowest first), one column per
#: consequence (minimal, minor, moderate, major, severe).
WHO_MATRIX: Final[dict[Likelihood, tuple[RiskLevel, ...]]] = {
    Likelihood.VERY_UNLIKELY: (_L, _L, _L, _M, _H),
    Likelihood.UNLIKELY: (_L, _L, _M, _H, _H),
    Likelihood.LIKELY: (_L, _M, _H, _H, _V),
    Likelihood.HIGHLY_LIKELY: (_L, _M, _H, _V, _V),
    Likelihood.ALMOST_CERTAIN: (_M, _H, _H, _V, _V),
}

#: The cells that the five-level scale lowers from WHO "low" to "very low".
VERY_LOW_CORNER: Final = frozenset(
    (likelihood, consequence)
    for likelihood in (Likelihood.VERY_UNLIKELY, Likelihood.UNLIKELY)
    for consequence in (Consequence.MINIMAL, Consequence.MINOR)
)


_E = TypeVar("_E", bound=StrEnum)


def _parse(kind: type[_E], value: object, field: str) -> _E:
    """``value`` as a member of ``kind``; ValueError naming ``field`` when it is not one."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip().lower().replace(" ", "_"))
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in kind)
    raise ValueError(f"{field}: {value!r} is not one of {allowed}")


def who_level(likelihood: Likelihood | str, consequence: Consequence | str) -> RiskLevel:
    """The cell of WHO's four-level matrix: low, moderate, high or very high (never very low)."""
    row = WHO_MATRIX[_parse(Likelihood, likelihood, "likelihood")]
    return row[CONSEQUENCES.index(_parse(Consequence, consequence, "consequence"))]


def risk_level(likelihood: Likelihood | str, consequence: Consequence | str) -> RiskLevel:
    """The overall risk on the five-level scale: WHO's cell, or very low in the corner.

    Raises
    ------
    ValueError
        When ``likelihood`` or ``consequence`` is not a level of its scale, naming the field.
    """
    likelihood = _parse(Likelihood, likelihood, "likelihood")
    consequence = _parse(Consequence, consequence, "consequence")
    if (likelihood, consequence) in VERY_LOW_CORNER:
        return RiskLevel.VERY_LOW
    return who_level(likelihood, consequence)


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: a non-empty text is required")
    return value.strip()


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """One version of a rapid risk assessment; the overall level comes from the matrix.

    Texts are stripped and must not be blank; likelihood, consequence and confidence accept their
    enum or its value (``"highly likely"`` and ``"highly_likely"`` both read). Anything else
    raises ValueError naming the field. A new version is a new object: nothing is changed in place.
    """

    hazard: str
    exposure: str
    context: str
    likelihood: Likelihood
    consequence: Consequence
    confidence: Confidence
    rationale: str

    def __post_init__(self) -> None:
        for field in ("hazard", "exposure", "context", "rationale"):
            object.__setattr__(self, field, _text(getattr(self, field), field))
        object.__setattr__(self, "likelihood", _parse(Likelihood, self.likelihood, "likelihood"))
        object.__setattr__(
            self, "consequence", _parse(Consequence, self.consequence, "consequence")
        )
        object.__setattr__(self, "confidence", _parse(Confidence, self.confidence, "confidence"))

    @property
    def level(self) -> RiskLevel:
        """The overall risk, five levels (:func:`risk_level`)."""
        return risk_level(self.likelihood, self.consequence)

    @property
    def who_level(self) -> RiskLevel:
        """The overall risk on WHO's four-level matrix (:func:`who_level`)."""
        return who_level(self.likelihood, self.consequence)
