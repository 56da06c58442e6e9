"""Parsed FHIR resources turned into case and lab records: references resolved, values mapped.

Part of the FHIR reader; :mod:`healthbridge.interop.fhir_cases` reads the file and documents the
mapping this module carries out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.reference import Reference

from healthbridge.errors import FieldError
from healthbridge.interop.case_records import CaseRecord
from healthbridge.interop.fhir_values import (
    ValueProblem,
    age_group,
    area_code,
    concept_codes,
    country_alpha3,
    date_bounds,
    full_date,
    shown,
)

EXTENSION = "https://healthbridge.asean/fhir/StructureDefinition/"
EXT_NOTIFICATION_DATE = EXTENSION + "notification-date"
EXT_HOSPITALISED = EXTENSION + "hospitalised"
EXT_TRAVELLED = EXTENSION + "travelled"
EXT_TRAVEL_COUNTRY = EXTENSION + "travel-country"
DISEASE_SYSTEM = "https://healthbridge.asean/fhir/disease"
ICD10_SYSTEM = "http://hl7.org/fhir/sid/icd-10"
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"

#: ``Condition.verificationStatus`` → our classification.
CLASSIFICATIONS = {
    "confirmed": "confirmed",
    "provisional": "probable",
    "differential": "probable",
    "unconfirmed": "suspected",
}
#: Verification statuses saying the Condition is not a case.
WITHDRAWN = ("refuted", "entered-in-error")
GENDERS = ("female", "male", "other", "unknown")
IDENTIFIERS = ("case_id", "sample_id")
#: Column widths of the store.
MAX_LENGTHS = {
    "case_id": 64,
    "sample_id": 64,
    "specimen": 60,
    "pathogen": 80,
    "subtype": 60,
    "laboratory": 160,
}
_REFERENCE_TAIL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})$")
_HISTORY = re.compile(r"/_history/[A-Za-z0-9\-.]{1,64}$")


class TooManyProblems(Exception):
    """Enough errors collected: the reader stops."""


@dataclass
class Entry:
    """One resource of the file with where it was; ``resource`` is ``None`` when it was not
    valid FHIR (its errors are noted: references to it are not reported again)."""

    row: int
    kind: str
    resource: Any
    full_url: str | None = None
    #: The ``id`` as the file gave it (for an invalid resource too).
    raw_id: str | None = None
    #: ``subject.reference`` as the file gave it (for an invalid resource too).
    raw_subject: str | None = None


@dataclass
class Problems:
    """Errors collected so far; raises :class:`TooManyProblems` once there are ``limit``."""

    limit: int
    errors: list[FieldError] = field(default_factory=list)

    def add(self, row: int | None, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message, row=row))
        if len(self.errors) >= self.limit:
            raise TooManyProblems


@dataclass(frozen=True)
class _Person:
    """What a Patient gives its cases."""

    row: int
    country: str
    area: str | None
    sex: str | None
    #: True: died; False: alive; None: not said.
    deceased: bool | None
    birth: tuple[dt.date, dt.date] | None


@dataclass
class _CaseExtras:
    """What our extensions on a Condition give its case."""

    notification_date: dt.date | None = None
    hospitalised: bool | None = None
    travelled: bool | None = None
    countries: set[str] = field(default_factory=set)


class CaseReader:
    """The file's resources, indexed by every name a reference may give them; reads the cases.

    :class:`healthbridge.interop.fhir_labs.Records` adds the laboratory results.
    """

    def __init__(self, entries: list[Entry], problems: Problems, *, label: str) -> None:
        self.entries = entries
        #: How rows are named: ``entry`` or ``line``.
        self.label = label
        self.problems = problems
        self.by_key: dict[str, Entry] = {}
        self.people: dict[int, _Person | None] = {}
        #: Patient row → its Conditions.
        self.conditions_of: dict[int, list[Entry]] = {}
        #: Condition row → ``(country, case_id)``, ``None`` when the case has errors.
        self.case_keys: dict[int, tuple[str, str] | None] = {}
        #: Observation row → the DiagnosticReport listing it.
        self.report_of: dict[int, Entry] = {}
        self.case_rows: dict[tuple[str, str], int] = {}
        self.test_rows: dict[tuple[str, str, str, str], int] = {}

    # --- references ------------------------------------------------------------------------------

    def _index(self) -> None:
        for entry in self.entries:
            keys: dict[str, str] = {}
            if entry.raw_id:
                keys[f"{entry.kind}/{entry.raw_id}"] = f"{entry.kind}.id"
            if entry.full_url:
                keys.setdefault(entry.full_url, "Bundle.entry.fullUrl")
                match = _REFERENCE_TAIL.search(entry.full_url)
                if match and match[1] == entry.kind:
                    keys.setdefault(f"{match[1]}/{match[2]}", "Bundle.entry.fullUrl")
            for key, path in keys.items():
                first = self.by_key.setdefault(key, entry)
                if first is not entry:
                    self.problems.add(
                        entry.row,
                        path,
                        f"{shown(key)} is also {self.label} {first.row}: names are unique",
                    )
                    break

    def _resolve(self, reference: Reference | None) -> Entry | None:
        """The entry a reference names: a ``fullUrl`` exactly, else (relative) ``Type/id``.

        A version (``/_history/2``) is not checked: the file holds one version of each.
        """
        if reference is None or not reference.reference:
            return None
        return self._named(reference.reference)

    def _named(self, reference: str) -> Entry | None:
        text = _HISTORY.sub("", reference)
        found = self.by_key.get(text)
        if found is None and "://" not in text:
            match = _REFERENCE_TAIL.search(text)
            if match:
                found = self.by_key.get(f"{match[1]}/{match[2]}")
        return found

    def _target(
        self, entry: Entry, reference: Reference | None, path: str, kind: str
    ) -> Entry | None:
        """The ``kind`` resource ``reference`` names; ``None`` (noted) when it is not there."""
        if reference is None or not reference.reference:
            self.problems.add(entry.row, path, f"missing: the {kind} (a reference to it)")
            return None
        text = reference.reference
        found = self._resolve(reference)
        if found is None:
            why = (
                "a contained resource: put it in the file as a resource of its own"
                if text.startswith("#")
                else "is not in the file"
            )
            self.problems.add(entry.row, f"{path}.reference", f"'{shown(text)}' {why}")
            return None
        if found.kind != kind:
            self.problems.add(
                entry.row, f"{path}.reference", f"'{shown(text)}' is a {found.kind}, not a {kind}"
            )
            return None
        return found if found.resource is not None else None

    # --- helpers -------------------------------------------------------------------------------

    def _date(
        self, row: int, path: str, value: object, *, required: bool = False
    ) -> dt.date | None:
        if value is None:
            if required:
                self.problems.add(row, path, "missing")
            return None
        try:
            return full_date(value)
        except ValueProblem as exc:
            self.problems.add(row, path, str(exc))
            return None

    def _text(self, row: int, path: str, value: str | None, column: str) -> str | None:
        """A stripped text value within its column's width, ``None`` (noted when bad) if not."""
        if value is None or not value.strip():
            return None
        # Identifiers are kept as given (but for the ends); names have their spaces collapsed.
        text = value.strip() if column in IDENTIFIERS else " ".join(value.split())
        if not text.isprintable():
            self.problems.add(row, path, f"'{shown(text)}' has control characters")
            return None
        limit = MAX_LENGTHS[column]
        if len(text) > limit:
            self.problems.add(row, path, f"'{shown(text)}' is longer than {limit} characters")
            return None
        return text

    # --- patients and cases ---------------------------------------------------------------------

    def _person(self, entry: Entry) -> _Person | None:
        if entry.row in self.people:
            return self.people[entry.row]
        patient: Patient = entry.resource
        row, before = entry.row, len(self.problems.errors)
        country = area = sex = None
        address = patient.address[0] if patient.address else None
        if address is None or not address.country:
            self.problems.add(
                row, "Patient.address[0].country", "missing: the case's country (TH or THA)"
            )
        else:
            try:
                country = country_alpha3(address.country)
                area = area_code(address.state, country) if address.state else None
            except ValueProblem as exc:
                path = "country" if country is None else "state"
                self.problems.add(row, f"Patient.address[0].{path}", str(exc))
        if patient.gender is not None:
            if patient.gender in GENDERS:
                sex = patient.gender
            else:
                self.problems.add(
                    row,
                    "Patient.gender",
                    f"'{shown(patient.gender)}' is not female, male, other or unknown",
                )
        deceased = None
        if patient.deceasedBoolean or patient.deceasedDateTime is not None:
            deceased = True
        elif patient.deceasedBoolean is False:
            deceased = False
        birth = None
        if patient.birthDate is not None:
            try:
                birth = date_bounds(patient.birthDate)
            except ValueProblem as exc:
                self.problems.add(row, "Patient.birthDate", str(exc))
        person = None
        if country is not None and len(self.problems.errors) == before:
            person = _Person(row, country, area, sex, deceased, birth)
        self.people[row] = person
        return person

    def _case(self, entry: Entry) -> CaseRecord | None:
        condition: Condition = entry.resource
        row, before = entry.row, len(self.problems.errors)
        self.case_keys[row] = None
        case_id = self._case_id(entry)
        disease = self._disease(entry)
        classification = self._classification(entry)
        report_date = self._date(
            row, "Condition.recordedDate", condition.recordedDate, required=True
        )
        if condition.onsetDateTime is not None:
            onset = self._date(row, "Condition.onsetDateTime", condition.onsetDateTime)
        else:
            start = condition.onsetPeriod.start if condition.onsetPeriod else None
            onset = self._date(row, "Condition.onsetPeriod.start", start)
        if onset and report_date and onset > report_date:
            self.problems.add(
                row,
                "Condition.onsetDateTime",
                f"{onset.isoformat()} is after the report date {report_date.isoformat()}",
            )
        extras = self._extras(entry)
        subject = self._target(entry, condition.subject, "Condition.subject", "Patient")
        person = self._person(subject) if subject is not None else None
        if person is None or len(self.problems.errors) > before:
            return None
        assert case_id and disease and classification and report_date
        age = None
        if person.birth is not None:
            day, of = (onset, "the onset date") if onset else (report_date, "the report date")
            try:
                age = age_group(person.birth, day, of=of)
            except ValueProblem as exc:
                self.problems.add(person.row, "Patient.birthDate", str(exc))
                return None
        key = (person.country, case_id)
        first = self.case_rows.setdefault(key, row)
        if first != row:
            self.problems.add(
                row,
                "Condition.identifier",
                f"case {shown(case_id)} of {person.country} is also {self.label} {first}",
            )
            return None
        self.case_keys[row] = key
        return CaseRecord(
            row=row,
            country=person.country,
            case_id=case_id,
            disease=disease,
            classification=classification,
            report_date=report_date,
            onset_date=onset,
            notification_date=extras.notification_date,
            area=person.area,
            age_group=age,
            sex=person.sex,
            outcome=self._outcome(condition, person),
            hospitalised=extras.hospitalised,
            travelled=extras.travelled,
            travel_countries=" ".join(sorted(extras.countries)) or None,
        )

    def _case_id(self, entry: Entry) -> str | None:
        condition: Condition = entry.resource
        given = condition.identifier[0].value if condition.identifier else None
        path = "Condition.identifier[0].value" if given else "Condition.id"
        text = (given or condition.id or "").strip()
        if not text:
            self.problems.add(
                entry.row,
                "Condition.identifier",
                "missing: give the case's identifier (identifier[0].value) or the Condition an id",
            )
            return None
        return self._text(entry.row, path, text, "case_id")

    def _disease(self, entry: Entry) -> str | None:
        condition: Condition = entry.resource
        codes = concept_codes([condition.code])
        for system, transform in ((DISEASE_SYSTEM, str.lower), (ICD10_SYSTEM, str.upper)):
            found = [code for coding_system, code in codes if coding_system == system]
            if found:
                return transform(found[0])
        self.problems.add(
            entry.row,
            "Condition.code",
            f"no coding of our diseases (system {DISEASE_SYSTEM}, code dengue) or of ICD-10 "
            f"(system {ICD10_SYSTEM}, code A97.9)",
        )
        return None

    def _classification(self, entry: Entry) -> str | None:
        condition: Condition = entry.resource
        path = "Condition.verificationStatus"
        codes = [
            code
            for system, code in concept_codes([condition.verificationStatus])
            if system in ("", VERIFICATION_SYSTEM)
        ]
        if not codes:
            given = (
                "no coding of " + VERIFICATION_SYSTEM if condition.verificationStatus else "missing"
            )
            self.problems.add(
                entry.row, path, f"{given}: confirmed, provisional, differential or unconfirmed"
            )
            return None
        code = codes[0]
        if code in CLASSIFICATIONS:
            return CLASSIFICATIONS[code]
        if code in WITHDRAWN:
            self.problems.add(
                entry.row, path, f"'{code}': the Condition is not a case; leave it out of the file"
            )
        else:
            self.problems.add(
                entry.row,
                path,
                f"'{shown(code)}' is not confirmed, provisional, differential or unconfirmed",
            )
        return None

    def _extras(self, entry: Entry) -> _CaseExtras:
        condition: Condition = entry.resource
        extras = _CaseExtras()
        add = self.problems.add
        for index, extension in enumerate(condition.extension or []):
            path = f"Condition.extension[{index}]"
            if extension.url == EXT_NOTIFICATION_DATE:
                value = extension.valueDate or extension.valueDateTime
                extras.notification_date = self._date(
                    entry.row, f"{path}.valueDate", value, required=True
                )
            elif extension.url in (EXT_HOSPITALISED, EXT_TRAVELLED):
                if extension.valueBoolean is None:
                    add(entry.row, f"{path}.valueBoolean", "missing: true or false")
                elif extension.url == EXT_HOSPITALISED:
                    extras.hospitalised = extension.valueBoolean
                else:
                    extras.travelled = extension.valueBoolean
            elif extension.url == EXT_TRAVEL_COUNTRY:
                if not extension.valueCode:
                    add(entry.row, f"{path}.valueCode", "missing: the country (TH or THA)")
                    continue
                try:
                    extras.countries.add(country_alpha3(extension.valueCode))
                except ValueProblem as exc:
                    add(entry.row, f"{path}.valueCode", str(exc))
        if extras.countries:
            if extras.travelled is False:
                add(entry.row, "Condition.extension", "travelled is false but countries are given")
            extras.travelled = True
        return extras

    def _outcome(self, condition: Condition, person: _Person) -> str | None:
        if person.deceased:
            return "died"
        clinical = [
            code
            for system, code in concept_codes([condition.clinicalStatus])
            if system in ("", CLINICAL_SYSTEM)
        ]
        if "resolved" in clinical:
            return "recovered"
        return "alive" if person.deceased is False else None
