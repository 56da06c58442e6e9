"""FHIR values turned into ours: dates, age bands, countries, areas and the laboratory vocabulary.

Helpers of :mod:`healthbridge.interop.fhir_cases`, which documents the whole mapping. Each
function returns our value, or raises :class:`ValueProblem` whose message says what is wrong
(the caller names the entry and the field).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence

import pycountry
from fhir.resources.R4B.codeableconcept import CodeableConcept

SNOMED = "http://snomed.info/sct"
V3_METHOD = "http://terminology.hl7.org/CodeSystem/v3-ObservationMethod"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: ``(first age, last age or None, band)``: the age bands a case is given (never the birth date).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 4, "0-4"),
    (5, 14, "5-14"),
    (15, 24, "15-24"),
    (25, 44, "25-44"),
    (45, 64, "45-64"),
    (65, None, "65+"),
)
#: Older than this at onset is taken for a typing mistake in the birth date.
MAX_AGE = 125

#: ``Observation.method`` codes → our test type.
TEST_TYPE_CODES: dict[tuple[str, str], str] = {
    (SNOMED, "258066000"): "pcr",  # Polymerase chain reaction technique
    (SNOMED, "9718006"): "pcr",  # Polymerase chain reaction analysis
    (SNOMED, "1259932009"): "pcr",  # Loop-mediated isothermal amplification technique
    (SNOMED, "1156860005"): "rdt",  # Rapid antigen detection immunoassay technique
    (SNOMED, "703725008"): "culture",  # Culture technique
    (SNOMED, "703447009"): "serology",  # Enzyme immunoassay technique
    (V3_METHOD, "PCR"): "pcr",
}
#: Words of a method's (or a test's) name → our test type; the first that matches wins.
TEST_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    (r"\brapid\b|\brdts?\b|lateral.flow|immunochromatograph", "rdt"),
    (r"sequenc|\bngs\b|\bwgs\b|genom", "sequencing"),
    (r"pcr|\bnaat?\b|nucleic.acid|amplification|\blamp\b", "pcr"),
    (r"cultur", "culture"),
    (
        r"serolog|elisa|\beia\b|immunoassay|antibod|\big[mg]\b|\bab\b|neutrali[sz]"
        r"|haemagglutination|hemagglutination",
        "serology",
    ),
)
_TEST_TYPE_PATTERNS = tuple(
    (re.compile(words, re.IGNORECASE), kind) for words, kind in TEST_TYPE_WORDS
)

#: ``Observation.interpretation`` codes (HL7 v3 ObservationInterpretation) → our result.
INTERPRETATIONS: dict[str, str] = {
    "POS": "positive",
    "DET": "positive",
    "NEG": "negative",
    "ND": "negative",
    "IND": "indeterminate",
    "E": "indeterminate",
}
#: SNOMED CT qualifier values of a result → our result.
RESULT_CODES: dict[str, str] = {
    "10828004": "positive",  # Positive
    "260373001": "positive",  # Detected
    "260385009": "negative",  # Negative
    "260415000": "negative",  # Not detected
    "419984006": "indeterminate",  # Inconclusive
    "82334004": "indeterminate",  # Indeterminate
}
#: A result written in words (case-insensitive) → our result.
RESULT_WORDS: dict[str, str] = {
    "positive": "positive",
    "detected": "positive",
    "reactive": "positive",
    "present": "positive",
    "negative": "negative",
    "not detected": "negative",
    "undetected": "negative",
    "non-reactive": "negative",
    "nonreactive": "negative",
    "absent": "negative",
    "indeterminate": "indeterminate",
    "inconclusive": "indeterminate",
    "equivocal": "indeterminate",
    "pending": "pending",
}
#: What a test measured, cut from the end of its name to leave the pathogen (``Dengue virus``).
_ANALYTE = re.compile(
    r"(\s+(rna|dna|ag|ab|igm|igg|antigens?|antibod(y|ies)|nucleic acid|genes?|toxins?))+$",
    re.IGNORECASE,
)
_SAMPLE_OR_METHOD = re.compile(
    r"\s+(?:in|by)\s+(?:serum|plasma|blood|specimen|urine|csf|nasopharynx|stool)\b", re.IGNORECASE
)
_AREA = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")
_SHOWN = 40


class ValueProblem(ValueError):
    """A value that cannot be mapped: the message says why, the caller names the field."""


def shown(text: str) -> str:
    """User text quoted in a message: printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= _SHOWN else printable[: _SHOWN - 1] + "…"


def full_date(value: object) -> dt.date:
    """The calendar date of a FHIR ``date`` / ``dateTime`` (as written, in its own offset)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        raise ValueProblem(f"'{shown(value)}' is not a full date: give the year, month and day")
    raise ValueProblem("not a date")


def date_bounds(value: object) -> tuple[dt.date, dt.date]:
    """The first and last day a FHIR ``date`` may be: ``1990`` is 1 January to 31 December."""
    if isinstance(value, dt.datetime):
        return value.date(), value.date()
    if isinstance(value, dt.date):
        return value, value
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value)
        if match:
            year = int(match[1])
            if match[2] is None:
                return dt.date(year, 1, 1), dt.date(year, 12, 31)
            month = int(match[2])
            if 1 <= month <= 12 and year >= 1:
                last = calendar.monthrange(year, month)[1]
                return dt.date(year, month, 1), dt.date(year, month, last)
    raise ValueProblem("not a date")


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    """The band of an age in years (0 or more)."""
    for first, last, band in AGE_BANDS:
        if age >= first and (last is None or age <= last):
            return band
    raise ValueProblem(f"{age} is not an age")


def age_group(birth: tuple[dt.date, dt.date], day: dt.date, *, of: str) -> str | None:
    """The age band on ``day`` of someone born between ``birth[0]`` and ``birth[1]``.

    ``None`` when the birth date is too vague to tell (born in 2019, seen in mid-2024: 4 or 5).
    ``of`` names ``day`` in messages (``the onset date``).
    """
    earliest, latest = birth
    if earliest > day:
        raise ValueProblem(f"after {of} ({day.isoformat()})")
    oldest = age_on(earliest, day)
    if oldest > MAX_AGE:
        raise ValueProblem(f"{oldest} years before {of}: not a plausible birth date")
    youngest = age_on(min(latest, day), day)
    older, younger = age_band(oldest), age_band(youngest)
    return older if older == younger else None


def country_alpha3(text: str) -> str:
    """ISO 3166-1 alpha-3 of an alpha-2 or alpha-3 code (``TH`` or ``THA`` → ``THA``)."""
    code = text.strip().upper()
    found = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise ValueProblem(
            f"'{shown(text)}' is not an ISO 3166-1 alpha-2 or alpha-3 country code (TH, THA)"
        )
    return str(found.alpha_3)


def area_code(state: str, country: str) -> str | None:
    """The ISO 3166-2 code in ``Address.state`` (``TH-10``), ``None`` for a name (``Bangkok``).

    ``country`` is the address's alpha-3 code: a code of another country's area is a problem.
    """
    code = state.strip().upper()
    match = _AREA.match(code)
    if match is None:
        return None
    found = pycountry.countries.get(alpha_3=country)
    if found is not None and match[1] != found.alpha_2:
        raise ValueProblem(f"{code} is an area of {match[1]}, not of {country}")
    return code


def concept_texts(concept: CodeableConcept | None) -> list[str]:
    """A concept's text, then the display of each coding (non-empty, stripped)."""
    if concept is None:
        return []
    texts = [concept.text] + [coding.display for coding in concept.coding or []]
    return [text.strip() for text in texts if text and text.strip()]


def concept_codes(concepts: Iterable[CodeableConcept | None]) -> list[tuple[str, str]]:
    """``(system, code)`` of every coding of the concepts (system ``""`` when not given)."""
    return [
        (coding.system or "", coding.code.strip())
        for concept in concepts
        if concept is not None
        for coding in concept.coding or []
        if coding.code
    ]


def test_type(method: CodeableConcept | None, test: CodeableConcept) -> str:
    """Our test type: from the method's codes, its words, else the words of the test's name.

    A LOINC name carries the method after ``by`` (``... by NAA with probe detection``).
    """
    for key in concept_codes([method]):
        if key in TEST_TYPE_CODES:
            return TEST_TYPE_CODES[key]
    for text in [*concept_texts(method), *concept_texts(test)]:
        for pattern, kind in _TEST_TYPE_PATTERNS:
            if pattern.search(text):
                return kind
    raise ValueProblem(
        "the test's method is not known: give Observation.method as PCR, RDT, culture, "
        "sequencing or serology (words or SNOMED CT codes)"
    )


def result_of_interpretation(concepts: Sequence[CodeableConcept]) -> str | None:
    """Our result from ``Observation.interpretation`` (POS, NEG, IND, DET, ND, E), or ``None``."""
    for system, code in concept_codes(concepts):
        if system in ("", V3_INTERPRETATION) and code.upper() in INTERPRETATIONS:
            return INTERPRETATIONS[code.upper()]
    for concept in concepts:
        for text in concept_texts(concept):
            if text.lower() in RESULT_WORDS:
                return RESULT_WORDS[text.lower()]
    return None


def result_of_value(concept: CodeableConcept | None, text: str | None) -> str | None:
    """Our result from a value that says it (``Detected``, SNOMED 260373001), or ``None``."""
    for system, code in concept_codes([concept]):
        if system == SNOMED and code in RESULT_CODES:
            return RESULT_CODES[code]
    for word in [*concept_texts(concept), *([text.strip()] if text else [])]:
        if word.lower() in RESULT_WORDS:
            return RESULT_WORDS[word.lower()]
    return None


def pathogen_name(text: str) -> str:
    """The pathogen in a test's name: LOINC's ``[Presence] in Serum by ...`` and what was
    measured (RNA, antigen, IgM...) cut off: ``Dengue virus RNA [Presence] in Serum`` →
    ``Dengue virus``."""
    name = text.split(" [", 1)[0]
    name = _SAMPLE_OR_METHOD.split(name, maxsplit=1)[0]
    stripped = _ANALYTE.sub("", name).strip()
    return " ".join((stripped or name).split())
