"""What every case-report reader (CSV, FHIR) hands to the store: parsed records, checked in shape.

A reader turns a file into a :class:`CaseBatch`: values parsed (dates are dates, enumerations are
our codes, flags are booleans) and each record tagged with where it came from, so that an error
found later (an unknown area, a country the importer may not report for) still names the file,
the row and the field. Whether codes exist in the reference data (country, area, disease) and
whether the importer may report for the country is the store's check, not the reader's: readers
are pure and need no database.

A lab result names its case by ``(country, case_id)``: in one batch, or a case stored before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: ``csv``, ``fhir``: how the batch was sent (stored as each case's ``source_format``).
BatchFormat = str


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One case report as a file gave it."""

    #: Where in the file: the CSV row (header is row 1) or the FHIR entry / NDJSON line number.
    row: int
    country: str
    case_id: str
    #: Our disease code or an ICD-10 code, as the file gave it (the store resolves it).
    disease: str
    classification: str
    report_date: dt.date
    onset_date: dt.date | None = None
    notification_date: dt.date | None = None
    area: str | None = None
    age_group: str | None = None
    sex: str | None = None
    outcome: str | None = None
    hospitalised: bool | None = None
    travelled: bool | None = None
    #: ISO alpha-3 codes, space-separated, sorted.
    travel_countries: str | None = None


@dataclass(frozen=True, slots=True)
class LabRecord:
    """One laboratory test of a sample of a case."""

    row: int
    country: str
    case_id: str
    sample_id: str
    test_type: str
    pathogen: str
    result: str
    sample_date: dt.date
    specimen: str | None = None
    subtype: str | None = None
    result_date: dt.date | None = None
    laboratory: str | None = None


@dataclass
class CaseBatch:
    """One file's records, ready for the store."""

    filename: str
    format: BatchFormat
    #: SHA-256 of the file's bytes, hex.
    sha256: str
    cases: list[CaseRecord] = field(default_factory=list)
    labs: list[LabRecord] = field(default_factory=list)
    #: How the reader names a row in messages: ``row`` for CSV, ``entry`` / ``line`` for FHIR.
    row_label: str = "row"
