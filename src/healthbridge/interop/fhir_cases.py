"""FHIR R4 case reports and lab results: a Bundle or NDJSON file read into a :class:`CaseBatch`.

The file is either one JSON **Bundle** (``type`` collection, transaction, batch or searchset; the
resources in ``entry[].resource``) or **NDJSON** (one resource per line, as FHIR bulk data
exports them). Each resource is parsed with the FHIR R4B models of ``fhir.resources`` (R4B
changes nothing in the five resources read here), so a resource that is not valid FHIR is an
error naming its fields. References resolve within the file only: ``Patient/p1`` (also with
``/_history/2``) names the resource of that type and id or the entry whose ``fullUrl`` ends in
it; an absolute reference (``urn:uuid:...``, ``https://...``) must be an entry's ``fullUrl``.
Contained resources are not read; two resources of one name are an error.

Mapping (our field ← FHIR):

**Condition** = one case report.

- ``case_id`` ← ``Condition.identifier[0].value``, else the Condition's ``id``.
- ``disease`` ← a ``Condition.code`` coding of our system ``https://healthbridge.asean/fhir/disease``
  (our code, ``dengue``), else of ICD-10 ``http://hl7.org/fhir/sid/icd-10`` (``A97.9``); the
  store resolves either.
- ``classification`` ← ``Condition.verificationStatus`` (system
  ``http://terminology.hl7.org/CodeSystem/condition-ver-status``): ``confirmed`` → confirmed,
  ``provisional`` and ``differential`` → probable, ``unconfirmed`` → suspected. ``refuted`` and
  ``entered-in-error`` are errors: the file should not send what is not a case (skipping them
  silently would leave a case stored earlier standing). Required.
- ``report_date`` ← ``Condition.recordedDate`` (required); ``onset_date`` ←
  ``onsetDateTime`` or ``onsetPeriod.start``, not after the report. Dates must be full dates (a
  date-time counts by its date as written).
- ``notification_date`` ← extension ``https://healthbridge.asean/fhir/StructureDefinition/notification-date``
  (``valueDate`` or ``valueDateTime``) on the Condition; none without it.
- ``hospitalised`` ← extension ``.../StructureDefinition/hospitalised`` (``valueBoolean``);
  ``travelled`` ← extension ``.../StructureDefinition/travelled`` (``valueBoolean``);
  ``travel_countries`` ← each extension ``.../StructureDefinition/travel-country`` (``valueCode``,
  ISO alpha-2 or alpha-3), which also implies ``travelled``. All on the Condition (Encounter is
  not read); none without them.
- ``outcome`` ← died when the Patient has ``deceasedBoolean`` true or a ``deceasedDateTime``;
  else recovered when ``Condition.clinicalStatus`` is ``resolved``; else alive when
  ``deceasedBoolean`` is false; else none.
- The Patient is ``Condition.subject`` (it must be in the file).

**Patient** (never stored itself: it gives the case these values).

- ``sex`` ← ``gender`` (female, male, other, unknown).
- ``age_group`` ← the age band (0-4, 5-14, 15-24, 25-44, 45-64, 65+) on the onset date, else
  on the report date, computed from ``birthDate``. The birth date itself is never kept. A birth
  date of a year (``2019``) or a month gives the band when every day of it gives the same one,
  else none.
- ``country`` ← ``address[0].country``, ISO 3166-1 alpha-2 or alpha-3 (required); ``area`` ←
  ``address[0].state`` when it is an ISO 3166-2 code (``TH-10``); a name there is not used.

**Observation** = one laboratory result, when a ``category`` is ``laboratory``, it names a
``specimen`` or a DiagnosticReport lists it (any other Observation is ignored).

- ``pathogen`` ← the ``valueCodeableConcept`` when it names an organism (a culture's finding),
  else the test's name (``code.text``, else a coding's display) without what was measured:
  ``Dengue virus RNA [Presence] in Serum by NAA`` → ``Dengue virus``.
- ``result`` ← ``interpretation`` (POS/DET → positive, NEG/ND → negative, IND/E →
  indeterminate), else a ``valueCodeableConcept`` or ``valueString`` saying it (positive,
  detected, negative, not detected, indeterminate, inconclusive...; SNOMED CT 10828004,
  260373001, 260385009, 260415000, 419984006, 82334004); an organism found → positive; no result
  yet with ``status`` registered or preliminary → pending. Interpretation and value disagreeing
  is an error; so are status ``cancelled`` and ``entered-in-error``.
- ``test_type`` ← ``method``, by code or by words, else the words of the test's name:

  ====================  ========================================================================
  test type             method codes (SNOMED CT / v3) and words
  ====================  ========================================================================
  rdt                   1156860005; rapid, RDT, lateral flow, immunochromatographic
  sequencing            sequencing, NGS, WGS, genome
  pcr                   258066000, 9718006, 1259932009 (LAMP), v3 ``PCR``; PCR, NAA(T),
                        nucleic acid, amplification, LAMP
  culture               703725008; culture
  serology              703447009; serology, ELISA, EIA, immunoassay, antibody, IgM, IgG, Ab,
                        neutralisation, haemagglutination
  ====================  ========================================================================

  (the first row whose words match wins: a rapid immunoassay is an RDT).
- ``subtype`` ← a ``component`` whose code says subtype, serotype, genotype, lineage or clade
  (its value's text, or ``valueString``).
- ``sample_id``, ``specimen``, ``sample_date`` ← the ``specimen`` Specimen (below); without a
  specimen reference, the one Specimen of its DiagnosticReport. The sample date falls back on
  ``effectiveDateTime`` / ``effectivePeriod.start`` (in FHIR, when the sample was taken).
- ``result_date`` ← ``issued`` (its date), else the DiagnosticReport's ``issued``. ``effective[x]``
  is not used for it: FHIR defines it as the time the sample was taken.
- ``laboratory`` ← ``performer[0].display``, else the DiagnosticReport's.
- The case: ``focus`` → a Condition of the file; or ``focus`` naming a case stored before by
  ``identifier.value`` (the country then comes from the subject Patient); else the one Condition
  of the subject Patient in the file (none or several is an error: name it with ``focus``).

**Specimen**: ``sample_id`` ← ``accessionIdentifier.value``, else ``identifier[0].value``,
else its ``id``; ``specimen`` ← ``type.text``, else a coding's display or code; ``sample_date``
← ``collection.collectedDateTime`` or ``collection.collectedPeriod.start``.

**DiagnosticReport** groups results: each Observation in ``result[]`` takes the report's
laboratory (``performer[0].display``), ``issued`` date and single specimen when it lacks them.

Other resource types (Encounter, Organization, Practitioner, ...) are ignored; a
``resourceType`` that is no FHIR resource type is an error.

Errors are :class:`Invalid` with one :class:`FieldError` per problem, up to ``max_errors``,
sorted by row, naming the FHIR field (``Condition.recordedDate``) and the row: the entry's
position in the Bundle (1-based) or the NDJSON line (blank lines counted). A Patient's or a
Specimen's problem is named once, at its own entry. Bytes that are not UTF-8 JSON, JSON nested
deeper than :data:`MAX_DEPTH`, files over ``max_bytes`` and JSON that is not a Bundle of a read
type are refused as a whole. Nothing of a file with errors is imported.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.specimen import Specimen
from pydantic import ValidationError

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.case_records import CaseBatch
from healthbridge.interop.fhir_labs import Records
from healthbridge.interop.fhir_records import Entry, Problems, TooManyProblems
from healthbridge.interop.fhir_values import shown

MAX_ERRORS = 50
#: Larger files are refused before they are parsed.
MAX_BYTES = 100 * 1024 * 1024
#: Deeper JSON is refused: real resources nest a dozen levels.
MAX_DEPTH = 64
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
#: The resources read; any other type is ignored.
MODELS: dict[str, type[Resource]] = {
    "Patient": Patient,
    "Condition": Condition,
    "Observation": Observation,
    "Specimen": Specimen,
    "DiagnosticReport": DiagnosticReport,
}


def read_fhir(
    data: BinaryIO,
    *,
    filename: str,
    max_errors: int = MAX_ERRORS,
    max_bytes: int = MAX_BYTES,
) -> CaseBatch:
    """Read a FHIR R4 Bundle or NDJSON file of case reports and lab results.

    See the module's docstring for the mapping. Raises :class:`Invalid` naming ``filename``,
    with one :class:`FieldError` (entry or line, FHIR field) per problem, up to ``max_errors``.
    """
    raw = data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise Invalid(
            f"{filename} is larger than {max_bytes:,} bytes: split it; nothing was imported",
            errors=[FieldError("file", f"more than {max_bytes:,} bytes")],
        )
    text = _decode(raw, filename)
    ndjson = _is_ndjson(text)
    batch = CaseBatch(
        filename=filename,
        format="fhir",
        sha256=hashlib.sha256(raw).hexdigest(),
        row_label="line" if ndjson else "entry",
    )
    problems = Problems(limit=max(1, max_errors))
    try:
        entries = list(_ndjson(text, problems) if ndjson else _bundle(text, filename, problems))
        records = Records(entries, problems, label=batch.row_label)
        batch.cases, batch.labs = records.build()
    except TooManyProblems:
        pass
    if problems.errors:
        errors = sorted(problems.errors[:max_errors], key=lambda error: error.row or 0)
        more = " (the first shown)" if len(errors) >= max_errors else ""
        where = "line" if ndjson else "entry"
        raise Invalid(
            f"{filename}: {len(errors)} problem(s) in the file{more}, each named by its {where} "
            "and FHIR field; nothing was imported",
            errors=errors,
        )
    return batch


def _decode(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise Invalid(
            f"{filename} is not UTF-8 text (line {line}): FHIR JSON is UTF-8; nothing was imported",
            errors=[FieldError("file", f"byte 0x{raw[exc.start]:02x} on line {line} is not UTF-8")],
        ) from None


def _is_ndjson(text: str) -> bool:
    """NDJSON when the first non-blank line is a whole JSON value by itself, and more lines
    follow it or it is not a Bundle; a Bundle otherwise (pretty-printed, or on one line)."""
    # Lines end at line feeds only: JSON strings may hold U+2028 and other line separators.
    lines = (line for line in _lines(text) if line.strip())
    first = next(lines, None)
    if first is None:
        return False
    try:
        value = json.loads(first)
    except (ValueError, RecursionError):
        return False
    is_bundle = isinstance(value, dict) and value.get("resourceType") == "Bundle"
    return not is_bundle or next(lines, None) is not None


def _lines(text: str) -> Iterator[str]:
    """The text's lines (ended by line feeds), one by one without copying the whole text."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def _parse_json(text: str) -> tuple[Any, str]:
    """``(value, "")``, or ``(None, why not)``."""
    try:
        value = json.loads(text)
    except RecursionError:
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"
    if _depth_over(value, MAX_DEPTH):
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    return value, ""


def _depth_over(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _bundle(text: str, filename: str, problems: Problems) -> Iterator[Entry]:
    if not text.strip():
        raise Invalid(
            f"{filename} is empty: expected a FHIR Bundle or NDJSON resources",
            errors=[FieldError("file", "empty")],
        )
    bundle, why = _parse_json(text)
    if why:
        raise Invalid(f"{filename}: {why}; nothing was imported", errors=[FieldError("file", why)])
    kind = bundle.get("resourceType") if isinstance(bundle, dict) else None
    if kind != "Bundle":
        found = f"resourceType '{shown(kind)}'" if isinstance(kind, str) else "no resourceType"
        raise Invalid(
            f"{filename}: expected a FHIR Bundle (or NDJSON, one resource a line), found {found}",
            errors=[FieldError("Bundle.resourceType", f"{found}: expected Bundle")],
        )
    assert isinstance(bundle, dict)
    bundle_type = bundle.get("type")
    if bundle_type not in BUNDLE_TYPES:
        got = f"'{shown(bundle_type)}'" if isinstance(bundle_type, str) else "missing"
        raise Invalid(
            f"{filename}: Bundle.type is {got}: expected one of {', '.join(BUNDLE_TYPES)}",
            errors=[FieldError("Bundle.type", f"{got}: expected one of {', '.join(BUNDLE_TYPES)}")],
        )
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise Invalid(
            f"{filename}: Bundle.entry is not a list",
            errors=[FieldError("Bundle.entry", "not a list")],
        )
    for index, item in enumerate(entries, start=1):
        # The parsed JSON is let go entry by entry: the models hold what is needed.
        entries[index - 1] = None
        if not isinstance(item, dict):
            problems.add(index, "Bundle.entry", "not a JSON object")
            continue
        resource = item.get("resource")
        full_url = item.get("fullUrl")
        if full_url is not None and not isinstance(full_url, str):
            problems.add(index, "Bundle.entry.fullUrl", "not a string")
            continue
        if resource is None:
            method = (
                item.get("request", {}).get("method")
                if isinstance(item.get("request"), dict)
                else None
            )
            why = (
                f"a {shown(method)} request: only resources are imported, nothing is deleted"
                if isinstance(method, str)
                else "missing"
            )
            problems.add(index, "Bundle.entry.resource", why)
            continue
        entry = _entry(index, resource, problems, full_url)
        if entry is not None:
            yield entry


def _ndjson(text: str, problems: Problems) -> Iterator[Entry]:
    for number, line in enumerate(_lines(text), start=1):
        if not line.strip():
            continue
        value, why = _parse_json(line)
        if why:
            problems.add(number, "line", why)
            continue
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            problems.add(number, "resourceType", "a Bundle in NDJSON: give one resource a line")
            continue
        entry = _entry(number, value, problems, None)
        if entry is not None:
            yield entry


def _entry(row: int, resource: Any, problems: Problems, full_url: str | None) -> Entry | None:
    """The resource parsed with its FHIR model; ``None`` (problems noted) or ignored."""
    if not isinstance(resource, dict):
        problems.add(row, "resource", "not a JSON object (a FHIR resource)")
        return None
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        problems.add(row, "resourceType", "missing: every FHIR resource names its type")
        return None
    model = MODELS.get(kind)
    if model is None:
        if not _is_resource_type(kind):
            problems.add(row, "resourceType", f"'{shown(kind)}' is not a FHIR R4 resource type")
        return None
    raw_id = resource.get("id")
    subject = resource.get("subject")
    raw_subject = subject.get("reference") if isinstance(subject, dict) else None
    entry = Entry(
        row,
        kind,
        None,
        full_url,
        raw_id=raw_id if isinstance(raw_id, str) else None,
        raw_subject=raw_subject if isinstance(raw_subject, str) else None,
    )
    try:
        entry.resource = model.model_validate(resource)
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False)[:10]:
            problems.add(row, _path(kind, error["loc"]), _message(error["msg"]))
    except (ValueError, TypeError, AttributeError, LookupError, RecursionError) as exc:
        problems.add(row, kind, f"not a valid FHIR {kind}: {_message(str(exc))}")
    return entry


def _is_resource_type(kind: str) -> bool:
    if not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", kind):
        return False
    try:
        return issubclass(get_fhir_model_class(kind), Resource)
    except ValueError:
        return False


def _path(kind: str, loc: tuple[int | str, ...]) -> str:
    path = kind
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("root", "__root__"):
            path += f".{part}"
    return path


def _message(text: str) -> str:
    message = " ".join(text.split())
    message = message.removeprefix("Value error, ")
    if message.startswith("Invalid JSON"):
        # fhir.resources reads a string given for an element as JSON text.
        message = "expected a JSON object (a FHIR element), not a string"
    message = re.sub(r"<class '([\w.]+)'>", r"\1", message)
    return message if len(message) <= 300 else message[:299] + "…"
