"""Laboratory results of a FHIR file: Observations with their Specimens, reports and cases.

Part of the FHIR reader; :mod:`healthbridge.interop.fhir_cases` reads the file and documents the
mapping.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.specimen import Specimen

from healthbridge.interop.case_records import CaseRecord, LabRecord
from healthbridge.interop.fhir_records import CaseReader, Entry, Problems
from healthbridge.interop.fhir_values import (
    ValueProblem,
    concept_codes,
    concept_texts,
    pathogen_name,
    result_of_interpretation,
    result_of_value,
    shown,
    test_type,
)

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
_SUBTYPE = re.compile(r"subtype|serotype|genotype|lineage|clade", re.IGNORECASE)


@dataclass(frozen=True)
class _Sample:
    """What a Specimen gives its results."""

    row: int
    sample_id: str
    specimen: str | None
    collected: dt.date | None


class Records(CaseReader):
    """Every case and laboratory result of the file."""

    def __init__(self, entries: list[Entry], problems: Problems, *, label: str) -> None:
        super().__init__(entries, problems, label=label)
        #: Specimen row → what it gives, ``None`` when it has errors.
        self.samples: dict[int, _Sample | None] = {}

    def build(self) -> tuple[list[CaseRecord], list[LabRecord]]:
        """Every case and lab result of the file (problems noted on the way)."""
        self._index()
        valid = [entry for entry in self.entries if entry.resource is not None]
        for entry in self.entries:
            # Invalid Conditions count too: their Patient's results are not "without a case".
            if entry.kind == "Condition" and entry.raw_subject:
                patient = self._named(entry.raw_subject)
                if patient is not None:
                    self.conditions_of.setdefault(patient.row, []).append(entry)
            elif entry.kind == "DiagnosticReport" and entry.resource is not None:
                self._report(entry)
        cases = [
            case for entry in valid if entry.kind == "Condition" if (case := self._case(entry))
        ]
        labs = [lab for entry in valid if entry.kind == "Observation" if (lab := self._lab(entry))]
        return cases, labs

    def _report(self, entry: Entry) -> None:
        report: DiagnosticReport = entry.resource
        for index, reference in enumerate(report.result or []):
            path = f"DiagnosticReport.result[{index}]"
            result = self._target(entry, reference, path, "Observation")
            if result is not None:
                self.report_of.setdefault(result.row, entry)

    # --- laboratory results -------------------------------------------------------------------

    def _is_lab(self, entry: Entry) -> bool:
        observation: Observation = entry.resource
        categories = concept_codes(observation.category or [])
        return (
            any(
                system in ("", CATEGORY_SYSTEM) and code == "laboratory"
                for system, code in categories
            )
            or observation.specimen is not None
            or entry.row in self.report_of
        )

    def _lab(self, entry: Entry) -> LabRecord | None:
        if not self._is_lab(entry):
            return None
        observation: Observation = entry.resource
        row, before = entry.row, len(self.problems.errors)
        if observation.status in ("cancelled", "entered-in-error"):
            self.problems.add(
                row,
                "Observation.status",
                f"'{observation.status}': leave the result out of the file",
            )
            return None
        report = self.report_of.get(row)
        case = self._case_of(entry, report)
        sample = self._sample_of(entry, report)
        kind = None
        try:
            kind = test_type(observation.method, observation.code)
        except ValueProblem as exc:
            self.problems.add(row, "Observation.method", str(exc))
        result, pathogen = self._result(entry)
        subtype = self._subtype(entry)
        issued = observation.issued or (report.resource.issued if report else None)
        result_date = self._date(row, "Observation.issued", issued)
        performers = [
            (where.row, f"{where.kind}.performer[0].display", performer.display)
            for where in (entry, report)
            if where is not None
            for performer in (where.resource.performer or [])[:1]
            if performer.display
        ]
        at, path, given = performers[0] if performers else (row, "", None)
        laboratory = self._text(at, path, given, "laboratory")
        if len(self.problems.errors) > before or not (
            case and sample and kind and result and pathogen
        ):
            return None
        sample_id, specimen, sample_date = sample
        if result_date is not None and result_date < sample_date:
            self.problems.add(
                row,
                "Observation.issued",
                f"{result_date.isoformat()} is before the sample was taken "
                f"({sample_date.isoformat()})",
            )
            return None
        key = (case[0], sample_id, kind, pathogen)
        first = self.test_rows.setdefault(key, row)
        if first != row:
            self.problems.add(
                row,
                "Observation.code",
                f"{self.label} {first} already gives the {kind} test for {shown(pathogen)} "
                f"of sample {shown(sample_id)}",
            )
            return None
        return LabRecord(
            row=row,
            country=case[0],
            case_id=case[1],
            sample_id=sample_id,
            test_type=kind,
            pathogen=pathogen,
            result=result,
            sample_date=sample_date,
            specimen=specimen,
            subtype=subtype,
            result_date=result_date,
            laboratory=laboratory,
        )

    def _case_of(self, entry: Entry, report: Entry | None) -> tuple[str, str] | None:
        """``(country, case_id)`` of the case the result is of, ``None`` (noted) if unclear."""
        observation: Observation = entry.resource
        focus = observation.focus[0] if observation.focus else None
        if focus is not None and focus.reference:
            condition = self._target(entry, focus, "Observation.focus[0]", "Condition")
            return self.case_keys.get(condition.row) if condition is not None else None
        subject_reference = observation.subject or (report.resource.subject if report else None)
        patient = self._target(entry, subject_reference, "Observation.subject", "Patient")
        if patient is None:
            return None
        if focus is not None and focus.identifier is not None and focus.identifier.value:
            person = self._person(patient)
            case_id = self._text(
                entry.row,
                "Observation.focus[0].identifier.value",
                focus.identifier.value,
                "case_id",
            )
            return (person.country, case_id) if person is not None and case_id else None
        conditions = self.conditions_of.get(patient.row, [])
        reference = shown(subject_reference.reference or "") if subject_reference else ""
        if len(conditions) == 1:
            return self.case_keys.get(conditions[0].row)
        if not conditions:
            self.problems.add(
                entry.row,
                "Observation.focus",
                f"no Condition of {reference} in the file: name the case with focus (a reference "
                "to its Condition, or the case's identifier)",
            )
        else:
            rows = ", ".join(str(condition.row) for condition in conditions)
            self.problems.add(
                entry.row,
                "Observation.focus",
                f"{reference} has several Conditions in the file ({rows}): "
                "name the case with focus",
            )
        return None

    def _specimen(self, entry: Entry) -> _Sample | None:
        if entry.row in self.samples:
            return self.samples[entry.row]
        specimen: Specimen = entry.resource
        row, before = entry.row, len(self.problems.errors)
        given: str | None
        if specimen.accessionIdentifier is not None and specimen.accessionIdentifier.value:
            given, path = specimen.accessionIdentifier.value, "Specimen.accessionIdentifier.value"
        elif specimen.identifier and specimen.identifier[0].value:
            given, path = specimen.identifier[0].value, "Specimen.identifier[0].value"
        else:
            given, path = specimen.id, "Specimen.id"
        sample_id = self._text(row, path, given, "sample_id")
        if sample_id is None and len(self.problems.errors) == before:
            self.problems.add(
                row, "Specimen.accessionIdentifier", "missing: the sample's identifier"
            )
        texts = concept_texts(specimen.type) or [
            code for _s, code in concept_codes([specimen.type])
        ]
        kind = self._text(row, "Specimen.type", texts[0] if texts else None, "specimen")
        collection = specimen.collection
        collected = None
        if collection is not None and collection.collectedDateTime is not None:
            path = "Specimen.collection.collectedDateTime"
            collected = self._date(row, path, collection.collectedDateTime)
        elif collection is not None and collection.collectedPeriod is not None:
            path = "Specimen.collection.collectedPeriod.start"
            collected = self._date(row, path, collection.collectedPeriod.start)
        sample = None
        if sample_id is not None and len(self.problems.errors) == before:
            sample = _Sample(row, sample_id, kind, collected)
        self.samples[row] = sample
        return sample

    def _sample_of(
        self, entry: Entry, report: Entry | None
    ) -> tuple[str, str | None, dt.date] | None:
        observation: Observation = entry.resource
        if observation.specimen is not None:
            found = self._target(entry, observation.specimen, "Observation.specimen", "Specimen")
        elif report is not None and len(report.resource.specimen or []) == 1:
            found = self._target(
                report, report.resource.specimen[0], "DiagnosticReport.specimen[0]", "Specimen"
            )
        else:
            self.problems.add(
                entry.row, "Observation.specimen", "missing: the Specimen (sample) tested"
            )
            return None
        sample = self._specimen(found) if found is not None else None
        if sample is None:
            return None
        taken = sample.collected
        if taken is None:
            value: object
            if observation.effectiveDateTime is not None:
                path, value = "Observation.effectiveDateTime", observation.effectiveDateTime
            else:
                period = observation.effectivePeriod
                path, value = "Observation.effectivePeriod.start", period.start if period else None
            taken = self._date(entry.row, path, value)
        if taken is None:
            self.problems.add(
                sample.row,
                "Specimen.collection.collectedDateTime",
                "missing: when the sample was taken (or the Observation's effectiveDateTime)",
            )
            return None
        return sample.sample_id, sample.specimen, taken

    def _result(self, entry: Entry) -> tuple[str | None, str | None]:
        observation: Observation = entry.resource
        row = entry.row
        said = result_of_interpretation(observation.interpretation or [])
        value = observation.valueCodeableConcept
        shown_value = result_of_value(value, observation.valueString)
        organism = None
        if value is not None and shown_value is None:
            texts = concept_texts(value)
            organism = texts[0] if texts else None
        if said and shown_value and said != shown_value:
            self.problems.add(
                row,
                "Observation.interpretation",
                f"says {said} but the value says {shown_value}",
            )
            return None, None
        result = said or shown_value or ("positive" if organism else None)
        if result is None and observation.status in ("registered", "preliminary"):
            result = "pending"
        if result is None:
            self.problems.add(
                row,
                "Observation.interpretation",
                "no result: give interpretation (POS, NEG, IND) or a valueCodeableConcept "
                "(detected, not detected, ...)",
            )
        names = (
            [organism]
            if organism
            else [pathogen_name(text) for text in concept_texts(observation.code)]
        )
        path = "Observation.valueCodeableConcept" if organism else "Observation.code"
        pathogen = self._text(row, path, names[0] if names else None, "pathogen")
        if pathogen is None and not names:
            self.problems.add(row, "Observation.code", "no text or display naming the pathogen")
        return result, pathogen

    def _subtype(self, entry: Entry) -> str | None:
        observation: Observation = entry.resource
        for index, component in enumerate(observation.component or []):
            if any(_SUBTYPE.search(text) for text in concept_texts(component.code)):
                texts = concept_texts(component.valueCodeableConcept)
                given = texts[0] if texts else component.valueString
                path = f"Observation.component[{index}].value[x]"
                return self._text(entry.row, path, given, "subtype")
        return None
