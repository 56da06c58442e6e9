"""API: case reports and lab results (personal data, each country's own), their import, and lab
turnaround statistics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import case_entry, case_export, case_queries, cases
from healthbridge.surveillance.case_schemas import (
    CaseImportReportRead,
    CaseReceipt,
    CaseReportCreate,
    CaseReportDetail,
    CaseReportPage,
    LabResultPage,
    LabResultWithCase,
    TurnaroundRead,
)

CASES = "case reports"
router = APIRouter()
CaseReader = Annotated[Principal, Depends(Allow(Action.CASE_READ))]
CaseReporter = Annotated[Principal, Depends(Allow(Action.CASE_REPORT))]
Country = Annotated[
    str | None, Query(max_length=3, description="ISO 3166-1 alpha-3; only your own country")
]
DiseaseCode = Annotated[
    str | None, Query(max_length=40, description="Disease code (dengue) or ICD-10 (A97.9)")
]
Area = Annotated[str | None, Query(max_length=10, description="ISO 3166-2, e.g. TH-10")]
Week = Annotated[str | None, Query(max_length=10, description="ISO week, e.g. 2024-W07")]
Day = Annotated[dt.date | None, Query(description="ISO 8601 date")]
Text = Annotated[str | None, Query(max_length=100)]
Choice = Annotated[str | None, Query(max_length=20)]


def _case_list_filter(
    session: SessionDep,
    country: Country = None,
    disease: DiseaseCode = None,
    classification: Choice = None,
    area: Area = None,
    from_week: Week = None,
    to_week: Week = None,
    from_date: Day = None,
    to_date: Day = None,
    q: Text = None,
) -> case_queries.CaseFilter:
    """The filters of a case list or export, checked (422 naming every bad one)."""
    return case_queries.check_case_filter(
        session=session,
        country=country,
        disease=disease,
        classification=classification,
        area=area,
        from_week=from_week,
        to_week=to_week,
        from_date=from_date,
        to_date=to_date,
        q=q,
    )


CaseListFilter = Annotated[case_queries.CaseFilter, Depends(_case_list_filter)]


@router.get(
    "/cases",
    response_model=CaseReportPage,
    summary="List case reports",
    description=(
        "Case reports of your own country (personal data: every read is audited; asking for "
        "another country's is refused). Filters: disease (code or ICD-10), classification, "
        "area, ISO weeks `from_week`/`to_week`, report dates `from_date`/`to_date`, `q` on "
        "the case id. `sort`: report_date (default `-report_date`), week, case_id, disease, "
        "area, updated_at, id."
    ),
    tags=[CASES],
)
def list_cases(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CaseReader,
    where: CaseListFilter,
    page: PageDep,
) -> CaseReportPage:
    rows, total, exact = case_queries.list_cases(
        session=session, actor=actor, page=page, where=where
    )
    add_link_header(request, response, page, total)
    return CaseReportPage.model_validate(
        {
            "items": rows,
            "total": total,
            "limit": page.limit,
            "offset": page.offset,
            "total_exact": exact,
        }
    )


@router.get(
    "/cases/export",
    response_class=StreamingResponse,
    summary="Export case reports as CSV (streamed)",
    description=(
        "The case reports a list with the same filters would give, all of them, as CSV in the "
        "import's format (columns country, case_id, disease, classification, onset_date, "
        "report_date, notification_date, area, age_group, sex, outcome, hospitalised, "
        "travelled, travel_countries), ordered by id, streamed as it is read: any size, "
        "constant memory. Importing it again changes nothing. Of your own country only; the "
        "export is audited with its filters."
    ),
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    tags=[CASES],
)
def export_cases(
    request: Request,
    session: SessionDep,
    actor: CaseReader,
    where: CaseListFilter,
) -> StreamingResponse:
    query = case_export.prepare_export(session=session, actor=actor, where=where)
    name = f"cases-{where.country or actor.country or 'export'}.csv".lower()
    return StreamingResponse(
        case_export.stream_csv(request.app.state.session_factory, query),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/cases/{case_report_id}",
    response_model=CaseReportDetail,
    summary="One case report with its lab results",
    tags=[CASES],
)
def get_case(session: SessionDep, actor: CaseReader, case_report_id: int) -> CaseReportDetail:
    case = case_queries.get_case(session=session, actor=actor, case_report_id=case_report_id)
    return CaseReportDetail.model_validate(case)


@router.post(
    "/cases",
    response_model=CaseReportDetail | CaseReceipt,
    summary="Send one case report (with its lab results) as JSON",
    description=(
        "The case goes through the same store as an imported file (format `api`): sending a "
        "case with the same `country` and `case_id` again updates it (or changes nothing), "
        "and its weekly rollup follows. Answers the stored case with its lab results to "
        "those who may read the country's cases, and a receipt without personal data (which "
        "case, and whether it was created, updated or unchanged) to those who may only "
        "report them (the regional administrator): 201 when it was created, 200 otherwise. "
        "Problems answer 422 naming the JSON field (`lab_results[0].result_date`); another "
        "country's case is refused (403)."
    ),
    tags=[CASES],
)
def create_case(
    response: Response, session: SessionDep, actor: CaseReporter, case_in: CaseReportCreate
) -> CaseReportDetail | CaseReceipt:
    case, report = case_entry.create_case(session=session, actor=actor, case_in=case_in)
    if report.cases_created:
        response.status_code = 201
    if is_allowed(actor, Action.CASE_READ, country=case.country_code):
        return CaseReportDetail.model_validate(case)
    # Reporting a case is not reading it: a stored case's data (its earlier lab results too)
    # is not handed to a role the policy keeps from reading it.
    outcome = (
        "created" if report.cases_created else "updated" if report.cases_updated else "unchanged"
    )
    return CaseReceipt(
        id=case.id, country_code=case.country_code, case_id=case.case_id, outcome=outcome
    )


@router.post(
    "/cases/import",
    response_model=CaseImportReportRead,
    summary="Import case reports and lab results (CSV or FHIR)",
    description=(
        "Upload a file (multipart field `file`) with `format` `csv` (the case-reports CSV, "
        "see docs/import-formats.md) or `fhir` (a FHIR R4 Bundle or NDJSON). The whole file "
        "lands or nothing does; importing it again changes nothing; changed cases are updated "
        "and their weekly rollup refreshed. Bad rows answer 422 with "
        "`errors: [{row, field, message}]`; a reporter may import only their own country's "
        "cases (403 naming the row)."
    ),
    tags=[CASES],
)
def import_cases(
    session: SessionDep,
    actor: CaseReporter,
    file: Annotated[UploadFile, File(description="The case-reports file")],
    format: Annotated[str, Form(max_length=10, description="csv or fhir")] = "csv",
) -> CaseImportReportRead:
    report = cases.import_case_file(
        session=session, actor=actor, data=file.file, filename=file.filename, format=format
    )
    return CaseImportReportRead.model_validate(report)


@router.get(
    "/lab-results",
    response_model=LabResultPage,
    summary="List lab results",
    description=(
        "Lab results of your own country's cases (audited). Filters: pathogen and laboratory "
        "(text contained), test_type, result, sample dates `from_date`/`to_date`, and the "
        "case's disease, area, classification and `q` on its case id. `sort`: sample_date "
        "(default `-sample_date`), result_date, turnaround_days, sample_id, id."
    ),
    tags=[CASES],
)
def list_lab_results(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CaseReader,
    page: PageDep,
    country: Country = None,
    disease: DiseaseCode = None,
    classification: Choice = None,
    area: Area = None,
    pathogen: Text = None,
    test_type: Choice = None,
    result: Choice = None,
    laboratory: Text = None,
    from_date: Day = None,
    to_date: Day = None,
    q: Text = None,
) -> LabResultPage:
    where = case_queries.check_case_filter(
        session=session,
        country=country,
        disease=disease,
        classification=classification,
        area=area,
        pathogen=pathogen,
        test_type=test_type,
        result=result,
        laboratory=laboratory,
        from_date=from_date,
        to_date=to_date,
        q=q,
    )
    rows, total = case_queries.list_lab_results(
        session=session, actor=actor, page=page, where=where
    )
    add_link_header(request, response, page, total)
    return LabResultPage(
        items=[LabResultWithCase.of(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/lab-results/turnaround",
    response_model=list[TurnaroundRead],
    summary="Lab turnaround times (sample to result)",
    description=(
        "Per country, laboratory and test type: how many results have both dates, and the "
        "median, 90th percentile, mean, minimum and maximum days from sample to result. Takes "
        "the filters of the lab-result list."
    ),
    tags=[CASES],
)
def lab_turnaround(
    session: SessionDep,
    actor: CaseReader,
    country: Country = None,
    disease: DiseaseCode = None,
    pathogen: Text = None,
    test_type: Choice = None,
    result: Choice = None,
    laboratory: Text = None,
    from_date: Day = None,
    to_date: Day = None,
) -> list[TurnaroundRead]:
    where = case_queries.check_case_filter(
        session=session,
        country=country,
        disease=disease,
        pathogen=pathogen,
        test_type=test_type,
        result=result,
        laboratory=laboratory,
        from_date=from_date,
        to_date=to_date,
    )
    rows = case_queries.turnaround(session=session, actor=actor, where=where)
    return [TurnaroundRead.model_validate(r) for r in rows]
