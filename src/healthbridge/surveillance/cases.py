"""Case reports and their lab results: the import (CSV or FHIR, through one store).

Case reports are personal data: they stay with their country. Reporting them needs
``CASE_REPORT`` for every country a file holds (a country's reporters send their own country's
cases; a regional administrator may load any country's file); reading them back is
:mod:`healthbridge.surveillance.case_queries`.

An import is atomic and idempotent. Every record is checked first: the country is served, the
area belongs to it, the disease is our code or an ICD-10 code naming one, no date lies in the
future, each lab result names a case (of the file, or stored before), and the importer may
report for every country. Only then is anything written, in the caller's transaction (the
border commits once): new cases and lab results inserted, changed ones updated, in large
batches on the driver's connection. A record whose ``content_hash`` (a digest of its reported
values) is the stored one is ``unchanged``, so the same file imported twice stores its records
once. The weekly counts rolled up from the cases (:mod:`healthbridge.surveillance.rollup`) are
then refreshed for the weeks the import touched. One :class:`CaseImportBatch` row and one audit
entry record the import.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Forbidden, Invalid
from healthbridge.geography import service as geography
from healthbridge.interop import cases_csv
from healthbridge.interop.case_records import CaseBatch, CaseRecord, LabRecord
from healthbridge.interop.weekly_csv import DiseaseCodes
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance import case_store, rollup, signals
from healthbridge.surveillance.models import (
    CASE_CLASSIFICATIONS,
    CASE_SOURCE_FORMATS,
    LAB_RESULTS,
    OUTCOMES,
    SEXES,
    TEST_TYPES,
    CaseImportBatch,
    Disease,
)

#: File formats an import reads.
IMPORT_FORMATS = ("csv", "fhir")
MAX_ERRORS = 50
MAX_FILENAME_LENGTH = 200

#: ``progress(stage, done, total)``: ``("read", bytes read, None)`` while the file is read,
#: then ``("store", records stored, records to store)``.
ImportProgress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class CaseImportReport:
    """What an import did with a file's records."""

    filename: str
    format: str
    batch_id: int
    #: Rows (CSV) or entries (FHIR) that gave a case or a lab result.
    rows: int
    cases_created: int = 0
    cases_updated: int = 0
    cases_unchanged: int = 0
    labs_created: int = 0
    labs_updated: int = 0
    labs_unchanged: int = 0
    countries: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    first_week: str | None = None
    last_week: str | None = None
    #: The (country, disease) series whose case rollup changed, with the weeks that changed.
    rollup_keys: list[rollup.RollupSeries] = field(default_factory=list)
    #: The earlier import of the very same file (its first), when there was one.
    same_file_as: int | None = None
    #: Signals the detection run on the rolled-up series raised (new ones) and refreshed.
    signals_created: int = 0
    signals_updated: int = 0


def import_case_file(
    *,
    session: Session,
    actor: Principal,
    data: bytes | BinaryIO,
    filename: str | None,
    format: str = "csv",
    progress: ImportProgress | None = None,
    today: dt.date | None = None,
) -> CaseImportReport:
    """Read a case-reports file (``csv``: :mod:`healthbridge.interop.cases_csv`; ``fhir``: a
    FHIR R4 Bundle or NDJSON, :mod:`healthbridge.interop.fhir_cases`) and store it with
    :func:`import_case_batch`."""
    authorize(actor, Action.CASE_REPORT)
    name = clean_filename(filename)
    kind = (format or "").strip().lower()
    if kind not in IMPORT_FORMATS:
        raise Invalid(
            f"unknown import format '{format}'",
            errors=[FieldError("format", f"one of: {', '.join(IMPORT_FORMATS)}")],
        )
    read = (lambda done: progress("read", done, None)) if progress else None
    if kind == "fhir":
        # Imported when needed: the FHIR models (fhir.resources) take a while to load.
        from healthbridge.interop import fhir_cases

        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        batch = fhir_cases.read_fhir(stream, filename=name)
    else:
        batch = cases_csv.read_cases_csv(data, filename=name, progress=read)
    return import_case_batch(
        session=session, actor=actor, batch=batch, progress=progress, today=today
    )


def clean_filename(filename: str | None) -> str:
    """The file's base name, printable and at most :data:`MAX_FILENAME_LENGTH` characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:MAX_FILENAME_LENGTH] or "upload"


def import_case_batch(
    *,
    session: Session,
    actor: Principal,
    batch: CaseBatch,
    progress: ImportProgress | None = None,
    today: dt.date | None = None,
) -> CaseImportReport:
    """Store a batch of case reports and lab results (see the module's docstring).

    A bad record is :class:`Invalid` naming the file, the row and the field (up to 50); a
    record of a country outside the actor's scope is :class:`Forbidden` naming its row. Either
    way nothing is written. Dates after ``today`` (default: today in UTC) are refused.
    """
    authorize(actor, Action.CASE_REPORT)
    now = utcnow()
    filename = clean_filename(batch.filename)
    checked = _check(session, actor, batch, filename, latest=(today or now.date()))
    record = CaseImportBatch(
        filename=filename,
        format=batch.format,
        sha256=batch.sha256,
        countries=",".join(checked.countries)[:200],
        rows=checked.rows,
        imported_by=actor.actor_label[:320],
        imported_at=now,
    )
    earlier = session.scalar(
        select(CaseImportBatch.id)
        .where(CaseImportBatch.sha256 == batch.sha256)
        .order_by(CaseImportBatch.id)
        .limit(1)
    )
    session.add(record)
    session.flush()
    stored = case_store.store(
        session,
        cases=batch.cases,
        labs=batch.labs,
        diseases=checked.diseases,
        existing=checked.existing,
        source_format=batch.format,
        batch_id=record.id,
        now=now,
        progress=progress,
    )
    record.created, record.updated, record.unchanged = stored.cases
    changed = rollup.refresh(session, stored.rollup_keys, now=now)
    # Detection runs on the rolled-up series in the import's transaction, as after an import of
    # weekly counts: the signals land (or not) with the cases that raised them.
    series = [signals.SeriesKey(*key) for key in rollup.series_keys(session, changed)]
    detection = (
        signals.detect_after_import(session=session, actor=actor, keys=series) if series else None
    )
    weeks = sorted(checked.weeks)
    report = CaseImportReport(
        filename=filename,
        format=batch.format,
        batch_id=record.id,
        rows=checked.rows,
        cases_created=stored.cases[0],
        cases_updated=stored.cases[1],
        cases_unchanged=stored.cases[2],
        labs_created=stored.labs[0],
        labs_updated=stored.labs[1],
        labs_unchanged=stored.labs[2],
        countries=checked.countries,
        diseases=sorted(set(checked.diseases.values())),
        first_week=weeks[0] if weeks else None,
        last_week=weeks[-1] if weeks else None,
        rollup_keys=changed,
        same_file_as=earlier,
        signals_created=detection.created if detection else 0,
        signals_updated=detection.updated if detection else 0,
    )
    audit.record(
        session=session,
        actor=actor,
        action="case_reports.import",
        object_type="case_import_batch",
        object_id=record.id,
        country=report.countries[0] if len(report.countries) == 1 else None,
        # Counts only: the log is read regionally, case identifiers are personal.
        detail={
            "filename": filename,
            "format": batch.format,
            "sha256": batch.sha256,
            "rows": report.rows,
            "cases": list(stored.cases),
            "labs": list(stored.labs),
            "countries": report.countries,
            "diseases": report.diseases,
            "first_week": report.first_week,
            "last_week": report.last_week,
            "rollup_series": len(changed),
            "same_file_as": earlier,
            "signals_created": report.signals_created,
            "signals_updated": report.signals_updated,
        },
    )
    return report


# --- checks --------------------------------------------------------------------------------------


@dataclass
class _Checked:
    rows: int
    countries: list[str]
    #: Disease text as the file gave it → our code.
    diseases: dict[str, str]
    weeks: set[str]
    existing: case_store.StoredCases


#: Where a FHIR file carries each checked value: errors of a FHIR batch name the FHIR path (the
#: mapping is :mod:`healthbridge.interop.fhir_cases`'s), not our column.
FHIR_FIELDS: dict[str, str] = {
    "country": "Patient.address.country",
    "area": "Patient.address.state",
    "disease": "Condition.code",
    "case_id": "Condition.identifier",
    "case": "Condition",
    "classification": "Condition.verificationStatus",
    "onset_date": "Condition.onset[x]",
    "report_date": "Condition.recordedDate",
    "notification_date": "Condition.extension(notification-date)",
    "sex": "Patient.gender",
    "outcome": "Patient.deceased[x]",
    "sample_id": "Specimen.accessionIdentifier",
    "sample_date": "Specimen.collection.collectedDateTime",
    "test_type": "Observation.method",
    "result": "Observation.interpretation",
    "result_date": "Observation.issued",
    "lab": "Observation",
}


class _Errors:
    def __init__(self, filename: str, fields: dict[str, str] | None = None) -> None:
        self.filename = filename
        self.fields = fields or {}
        self.items: list[FieldError] = []

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(FieldError(self.fields.get(column, column), message, row=row))

    def raise_any(self) -> None:
        if self.items:
            more = " (the first shown)" if len(self.items) >= MAX_ERRORS else ""
            raise Invalid(
                f"{self.filename}: {len(self.items)} problem(s) in the file{more}; "
                "nothing was imported",
                errors=self.items,
            )


def _check(
    session: Session, actor: Principal, batch: CaseBatch, filename: str, *, latest: dt.date
) -> _Checked:
    """Every record against the reference data and the actor's scope; nothing is written."""
    if batch.format not in CASE_SOURCE_FORMATS:
        raise Invalid(
            f"unknown batch format '{batch.format}'",
            errors=[FieldError("format", f"one of: {', '.join(CASE_SOURCE_FORMATS)}")],
        )
    errors = _Errors(filename, FHIR_FIELDS if batch.format == "fhir" else None)
    # The CSV reader refuses NUL bytes itself; other readers' text is checked here (the bulk
    # writes bypass the engine's NUL guard).
    lax = batch.format != "csv"
    countries = frozenset(geography.country_codes(session=session))
    areas = _subdivision_countries(session, actor)
    codes = _disease_codes(session)
    diseases: dict[str, str] = {}
    bad_diseases: dict[str, str] = {}
    first_rows: dict[str, int] = {}
    seen: dict[tuple[str, str], int] = {}
    days: set[dt.date] = set()
    for case in batch.cases:
        # The common case is tested inline, the messages are built only for a bad record.
        row = case.row
        country = case.country
        if country in countries:
            first_rows.setdefault(country, row)
        else:
            errors.add(row, "country", f"'{country}' is not the alpha-3 code of a served country")
        area = case.area
        if area is not None and areas.get(area) != country:
            owner = areas.get(area)
            if owner is None:
                errors.add(
                    row,
                    "area",
                    f"'{area}' is not the ISO 3166-2 code of a first-level subdivision "
                    "(e.g. TH-10)",
                )
            elif country in countries:
                errors.add(row, "area", f"{area} is in {owner}, not in {country}")
        text = case.disease
        if text not in diseases:
            if text in bad_diseases:
                errors.add(row, "disease", bad_diseases[text])
            else:
                code, why = codes.resolve(text)
                if code is None:
                    bad_diseases[text] = why
                    errors.add(row, "disease", why)
                else:
                    diseases[text] = code
        previous = seen.setdefault((country, case.case_id), row)
        if previous != row:
            errors.add(row, "case_id", f"{batch.row_label} {previous} already gives this case")
        onset = case.onset_date
        if (
            case.classification not in _CLASSIFICATIONS
            or case.sex not in _SEXES
            or case.outcome not in _OUTCOMES
            or case.report_date > latest
            or (onset is not None and onset > latest)
            or (case.notification_date is not None and case.notification_date > latest)
            or not 0 < len(case.case_id) <= 64
        ):
            _check_case_values(case, errors, latest)
        if lax and _has_nul(case):
            errors.add(row, "case", "text must not contain the NUL character")
        days.add(onset or case.report_date)
    weeks = {case_store.week_of_day(day)[0] for day in days}
    case_keys = seen
    lab_countries = {lab.country for lab in batch.labs}
    existing = case_store.load_cases(session, sorted(set(first_rows) | lab_countries))
    seen_labs: dict[tuple[str, str, str, str], int] = {}
    for lab in batch.labs:
        row = lab.row
        if lab.country not in countries:
            errors.add(
                row, "country", f"'{lab.country}' is not the alpha-3 code of a served country"
            )
            continue
        first_rows.setdefault(lab.country, row)
        key = (lab.country, lab.case_id)
        if key not in case_keys and key not in existing:
            errors.add(
                row,
                "case_id",
                f"no case {lab.case_id} of {lab.country} in the file or stored before",
            )
        previous = seen_labs.setdefault(
            (lab.country, lab.sample_id, lab.test_type, lab.pathogen), row
        )
        if previous != row:
            errors.add(
                row,
                "sample_id",
                f"{batch.row_label} {previous} already gives this test of the sample",
            )
        result_date = lab.result_date
        if (
            lab.test_type not in _TEST_TYPES
            or lab.result not in _LAB_RESULTS
            or lab.sample_date > latest
            or (result_date is not None and (result_date > latest or result_date < lab.sample_date))
            or not 0 < len(lab.sample_id) <= 64
        ):
            _check_lab_values(lab, errors, latest)
        if lax and _has_nul(lab):
            errors.add(row, "lab", "text must not contain the NUL character")
    _authorize_countries(actor, first_rows, filename, batch.row_label)
    errors.raise_any()
    rows = len({c.row for c in batch.cases} | {lab.row for lab in batch.labs})
    return _Checked(
        rows=rows,
        countries=sorted(first_rows),
        diseases=diseases,
        weeks=weeks,
        existing=existing,
    )


_CLASSIFICATIONS = frozenset(CASE_CLASSIFICATIONS)
#: ``None`` (not given) included: the inline checks test membership only.
_SEXES = frozenset((*SEXES, None))
_OUTCOMES = frozenset((*OUTCOMES, None))
_TEST_TYPES = frozenset(TEST_TYPES)
_LAB_RESULTS = frozenset(LAB_RESULTS)


def _check_case_values(case: CaseRecord, errors: _Errors, latest: dt.date) -> None:
    """What the database's constraints would refuse, named (a reader may be lax)."""
    row = case.row
    if case.classification not in _CLASSIFICATIONS:
        errors.add(row, "classification", f"one of {', '.join(CASE_CLASSIFICATIONS)}")
    if case.sex not in _SEXES:
        errors.add(row, "sex", f"one of {', '.join(SEXES)}")
    if case.outcome not in _OUTCOMES:
        errors.add(row, "outcome", f"one of {', '.join(OUTCOMES)}")
    for name, day in (
        ("report_date", case.report_date),
        ("onset_date", case.onset_date),
        ("notification_date", case.notification_date),
    ):
        if day is not None and day > latest:
            errors.add(row, name, f"{day} is in the future")
    if not case.case_id or len(case.case_id) > 64:
        errors.add(row, "case_id", "1 to 64 characters")


def _check_lab_values(lab: LabRecord, errors: _Errors, latest: dt.date) -> None:
    row = lab.row
    if lab.test_type not in _TEST_TYPES:
        errors.add(row, "test_type", f"one of {', '.join(TEST_TYPES)}")
    if lab.result not in _LAB_RESULTS:
        errors.add(row, "result", f"one of {', '.join(LAB_RESULTS)}")
    if lab.sample_date > latest:
        errors.add(row, "sample_date", f"{lab.sample_date} is in the future")
    if lab.result_date is not None:
        if lab.result_date > latest:
            errors.add(row, "result_date", f"{lab.result_date} is in the future")
        elif lab.result_date < lab.sample_date:
            errors.add(row, "result_date", f"{lab.result_date} is before the sample date")
    if not lab.sample_id or len(lab.sample_id) > 64:
        errors.add(row, "sample_id", "1 to 64 characters")


def _has_nul(record: CaseRecord | LabRecord) -> bool:
    return any(
        isinstance(value, str) and "\x00" in value
        for value in (getattr(record, name) for name in record.__slots__)
    )


def _authorize_countries(
    actor: Principal, first_rows: dict[str, int], filename: str, label: str
) -> None:
    """Every record's country must be within the actor's scope, or nothing is imported."""
    for country, row in sorted(first_rows.items(), key=lambda item: item[1]):
        try:
            authorize(
                actor,
                Action.CASE_REPORT,
                country=country,
                object_type="case_import_batch",
                object_id=filename,
            )
        except Forbidden as refused:
            raise Forbidden(
                f"{filename} {label} {row}: {refused.detail}; nothing was imported",
                errors=[
                    FieldError(
                        "country",
                        f"{country} is outside your scope ({actor.country or 'region'}): "
                        "you may report only your own country's cases",
                        row=row,
                    )
                ],
                context=refused.context,
            ) from None


def _disease_codes(session: Session) -> DiseaseCodes:
    return DiseaseCodes.from_records(
        (code, icd10, codes)
        for code, icd10, codes in session.execute(
            select(Disease.code, Disease.icd10, Disease.icd10_codes)
        )
    )


def _subdivision_countries(session: Session, actor: Principal) -> dict[str, str]:
    """ISO 3166-2 code → alpha-3 code of every first-level subdivision."""
    found: dict[str, str] = {}
    while True:
        rows, total = geography.list_subdivisions(
            session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT, offset=len(found))
        )
        found.update((s.code, s.country_code) for s in rows)
        if not rows or len(found) >= total:
            return found
