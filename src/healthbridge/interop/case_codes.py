"""The codes a case report's cells may hold, with the synonyms the readers accept, and the
small parsers of age bands and travel destinations (shared by the CSV reader and the JSON
entry of one case)."""

from __future__ import annotations

import pycountry

MAX_AGE = 150

CLASSIFICATIONS = {
    "suspected": "suspected",
    "suspect": "suspected",
    "probable": "probable",
    "confirmed": "confirmed",
}
SEXES = {
    "female": "female",
    "f": "female",
    "male": "male",
    "m": "male",
    "other": "other",
    "o": "other",
    "unknown": "unknown",
    "u": "unknown",
}
OUTCOMES = {
    "alive": "alive",
    "recovered": "recovered",
    "died": "died",
    "dead": "died",
    "deceased": "died",
    "unknown": "unknown",
}
TEST_TYPES = {
    "pcr": "pcr",
    "rt-pcr": "pcr",
    "rtpcr": "pcr",
    "qpcr": "pcr",
    "rdt": "rdt",
    "culture": "culture",
    "sequencing": "sequencing",
    "wgs": "sequencing",
    "serology": "serology",
    "elisa": "serology",
}
RESULTS = {
    "positive": "positive",
    "pos": "positive",
    "negative": "negative",
    "neg": "negative",
    "indeterminate": "indeterminate",
    "inconclusive": "indeterminate",
    "equivocal": "indeterminate",
    "pending": "pending",
}
FLAGS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}
ALPHA3 = frozenset(c.alpha_3 for c in pycountry.countries)
ENUM_HELP = {
    "classification": "suspected, probable or confirmed",
    "sex": "female, male, other or unknown (F, M, U)",
    "outcome": "alive, recovered, died or unknown",
    "test_type": "pcr, rdt, culture, sequencing or serology",
    "result": "positive, negative, indeterminate or pending",
}


def travel_codes(text: str) -> tuple[str | None, str | None]:
    """``(codes sorted and space-separated or None, None)`` of alpha-3 codes separated by
    spaces, commas or semicolons, or ``(None, the first unknown code)``."""
    codes = sorted({c.upper() for c in text.replace(",", " ").replace(";", " ").split()})
    unknown = next((c for c in codes if c not in ALPHA3), None)
    if unknown is not None:
        return None, unknown
    return " ".join(codes) or None, None


def age_band(text: str) -> str | None:
    """``0-4``, ``65+`` (spaces dropped), or ``None`` when ``text`` is not an age band."""
    band = text.replace(" ", "")
    if band.endswith("+"):
        low = band[:-1]
        ok = low.isascii() and low.isdigit() and int(low) <= MAX_AGE
        return f"{int(low)}+" if ok else None
    low, dash, high = band.partition("-")
    if not dash or not (low + high).isascii() or not low.isdigit() or not high.isdigit():
        return None
    if int(low) > int(high) or int(high) > MAX_AGE:
        return None
    return f"{int(low)}-{int(high)}"
