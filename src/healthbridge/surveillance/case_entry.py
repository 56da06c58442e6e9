"""One case report sent as JSON (``POST /api/v1/cases``): through the same store as a file.

The case becomes a one-record batch of format ``api``: the same checks (reference data, scope,
dates), the same idempotence (sending the same case again changes nothing; changed values
update it), the same rollup and the same audit entry as an imported file. Problems name the
JSON field (``area``, ``lab_results[1].result_date``) instead of a row.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from healthbridge.errors import FieldError, HealthBridgeError, Invalid
from healthbridge.interop.case_codes import age_band, travel_codes
from healthbridge.interop.case_records import CaseBatch, CaseRecord, LabRecord
from healthbridge.policy import Principal
from healthbridge.surveillance import cases
from healthbridge.surveillance.case_schemas import CaseReportCreate
from healthbridge.surveillance.models import CaseReport


def create_case(
    *, session: Session, actor: Principal, case_in: CaseReportCreate
) -> tuple[CaseReport, cases.CaseImportReport]:
    """Store one case and its lab results (created or updated); the stored case and what the
    store did."""
    errors: list[FieldError] = []
    age = None
    if case_in.age_group:
        age = age_band(case_in.age_group)
        if age is None:
            errors.append(FieldError("age_group", "an age band such as 0-4 or 65+"))
    travel, unknown = travel_codes(" ".join(case_in.travel_countries))
    if unknown:
        errors.append(FieldError("travel_countries", f"'{unknown}' is not an ISO alpha-3 code"))
    if case_in.onset_date and case_in.onset_date > case_in.report_date:
        errors.append(FieldError("onset_date", "after the report date"))
    for n, lab in enumerate(case_in.lab_results):
        if lab.result_date is not None and lab.result_date < lab.sample_date:
            errors.append(FieldError(f"lab_results[{n}].result_date", "before the sample date"))
    if errors:
        raise Invalid("invalid case report", errors=errors)
    country = case_in.country.upper()
    record = CaseRecord(
        row=1,
        country=country,
        case_id=case_in.case_id,
        disease=case_in.disease.strip(),
        classification=case_in.classification,
        report_date=case_in.report_date,
        onset_date=case_in.onset_date,
        notification_date=case_in.notification_date,
        area=case_in.area.strip().upper() if case_in.area else None,
        age_group=age,
        sex=case_in.sex,
        outcome=case_in.outcome,
        hospitalised=case_in.hospitalised,
        travelled=case_in.travelled,
        travel_countries=travel,
    )
    labs = [
        LabRecord(
            row=n + 2,
            country=country,
            case_id=case_in.case_id,
            sample_id=lab.sample_id,
            test_type=lab.test_type,
            pathogen=lab.pathogen,
            result=lab.result,
            sample_date=lab.sample_date,
            specimen=lab.specimen,
            subtype=lab.subtype,
            result_date=lab.result_date,
            laboratory=lab.laboratory,
        )
        for n, lab in enumerate(case_in.lab_results)
    ]
    body = case_in.model_dump_json().encode()
    batch = CaseBatch(
        filename="the case report",
        format="api",
        sha256=hashlib.sha256(body).hexdigest(),
        cases=[record],
        labs=labs,
        row_label="record",
    )
    try:
        report = cases.import_case_batch(session=session, actor=actor, batch=batch)
    except HealthBridgeError as refused:
        refused.errors = [_by_field(e) for e in refused.errors]
        raise
    stored = session.scalars(
        select(CaseReport)
        .where(CaseReport.country_code == country, CaseReport.case_id == case_in.case_id)
        .options(selectinload(CaseReport.lab_results))
    ).one()
    return stored, report


def _by_field(error: FieldError) -> FieldError:
    """Record 1 is the case, records 2.. its lab results: name the JSON field instead."""
    if error.row is None:
        return error
    if error.row == 1:
        return FieldError(error.field, error.message)
    return FieldError(f"lab_results[{error.row - 2}].{error.field}", error.message)
