"""Pages: a country's case reports (a filtered list, one case with its lab results), the lab
turnaround table, and the upload of a case-reports file."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep, audit_refusal
from healthbridge.errors import FieldError, Forbidden, Invalid
from healthbridge.geography import service as geography
from healthbridge.interop.cases_csv import COLUMNS
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import case_queries, cases, service
from healthbridge.surveillance.models import CASE_CLASSIFICATIONS
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
CaseReader = Annotated[Principal, Depends(Allow(Action.CASE_READ))]
CaseReporter = Annotated[Principal, Depends(Allow(Action.CASE_REPORT))]
Choice = Annotated[str | None, Query(max_length=40)]
PAGE = "/surveillance/cases"
#: The coded values of case reports and lab results as shown: field → code → label.
LABELS: dict[str, dict[str, str]] = {
    "classification": {
        "suspected": N_("suspected"),
        "probable": N_("probable"),
        "confirmed": N_("confirmed"),
    },
    "sex": {
        "female": N_("female"),
        "male": N_("male"),
        "other": N_("other"),
        "unknown": N_("unknown"),
    },
    "outcome": {
        "alive": N_("alive"),
        "recovered": N_("recovered"),
        "died": N_("died"),
        "unknown": N_("unknown"),
    },
    "result": {
        "positive": N_("positive"),
        "negative": N_("negative"),
        "indeterminate": N_("indeterminate"),
        "pending": N_("pending"),
    },
}


@router.get(PAGE, response_class=HTMLResponse)
def cases_page(
    request: Request,
    session: SessionDep,
    actor: CaseReader,
    page: PageDep,
    disease: Choice = None,
    classification: Choice = None,
    area: Choice = None,
    from_week: Choice = None,
    to_week: Choice = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    filters = {
        "disease": disease or "",
        "classification": classification or "",
        "area": area or "",
        "from_week": from_week or "",
        "to_week": to_week or "",
        "q": q or "",
    }
    where = case_queries.check_case_filter(
        session=session,
        country=country,
        disease=disease,
        classification=classification,
        area=area,
        from_week=from_week,
        to_week=to_week,
        q=q,
    )
    context = _list_context(session, actor, where, page)
    context["filters"] = filters
    kept = {key: value for key, value in filters.items() if value}
    context["query"] = lambda **changes: urlencode({**kept, **changes})
    if is_htmx(request):
        return render(request, "surveillance/_cases_table.html", context)
    context.update(_page_context(session, actor, where))
    return render(request, "surveillance/cases.html", context)


@router.get(PAGE + "/{case_report_id}", response_class=HTMLResponse)
def case_page(
    request: Request, session: SessionDep, actor: CaseReader, case_report_id: int
) -> Response:
    case = case_queries.get_case(session=session, actor=actor, case_report_id=case_report_id)
    disease = service.get_disease(session=session, actor=actor, code=case.disease_code)
    return render(
        request, "surveillance/case.html", {"case": case, "disease": disease, "labels": LABELS}
    )


@router.post(PAGE + "/import", response_class=HTMLResponse)
def import_from_form(
    request: Request,
    session: SessionDep,
    actor: CaseReporter,
    file: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form(max_length=10)] = "csv",
) -> Response:
    if file is None or not file.filename:
        return _after_import(
            request,
            session,
            actor,
            errors=[FieldError("file", gettext("choose a file"))],
            status=422,
        )
    try:
        report = cases.import_case_file(
            session=session, actor=actor, data=file.file, filename=file.filename, format=format
        )
    except (Invalid, Forbidden) as refused:
        session.rollback()
        if refused.context is not None:
            # The refusal is answered here, not raised: audit it as the border would.
            audit_refusal(request, refused)
        errors = refused.errors or [FieldError("file", refused.detail)]
        return _after_import(
            request, session, actor, detail=refused.detail, errors=errors, status=refused.status
        )
    return _after_import(request, session, actor, report=report)


def _after_import(
    request: Request,
    session: Session,
    actor: Principal,
    *,
    report: cases.CaseImportReport | None = None,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    if not is_allowed(actor, Action.CASE_READ, country=actor.country):
        # A reporter who may not read cases back (a regional administrator) sees the report.
        context: dict[str, Any] = {
            "cases": [],
            "total": 0,
            "shown": 0,
            "page": None,
            "readable": False,
            "labels": LABELS,
        }
    else:
        where = case_queries.CaseFilter()
        context = _list_context(session, actor, where, PageRequest())
        context.update(_page_context(session, actor, where))
        context["readable"] = True
    context.setdefault("diseases", [])
    context.setdefault("areas", [])
    context.setdefault("turnaround", [])
    context.update(
        {
            "filters": {},
            "import_report": report,
            "import_detail": detail,
            "import_errors": errors or [],
            "can_report": True,
            "columns": COLUMNS,
            "classifications": CASE_CLASSIFICATIONS,
        }
    )
    return render(request, "surveillance/cases.html", context, status_code=status)


def _list_context(
    session: Session, actor: Principal, where: case_queries.CaseFilter, page: PageRequest
) -> dict[str, Any]:
    rows, total, exact = case_queries.list_cases(
        session=session, actor=actor, page=page, where=where
    )
    return {
        "cases": rows,
        "total": total,
        "total_exact": exact,
        "shown": len(rows),
        "page": page,
        "readable": True,
        "query": lambda **changes: urlencode(changes),
        "labels": LABELS,
    }


def _page_context(
    session: Session, actor: Principal, where: case_queries.CaseFilter
) -> dict[str, Any]:
    everything = PageRequest(limit=MAX_LIMIT)
    diseases, _n = service.list_diseases(session=session, actor=actor, page=everything)
    areas = (
        geography.list_subdivisions(
            session=session, actor=actor, country=actor.country, page=everything
        )[0]
        if actor.country
        else []
    )
    return {
        "diseases": diseases,
        "areas": areas,
        "classifications": CASE_CLASSIFICATIONS,
        "turnaround": case_queries.turnaround(
            session=session,
            actor=actor,
            where=case_queries.CaseFilter(country=where.country, disease=where.disease),
        ),
        "can_report": is_allowed(actor, Action.CASE_REPORT),
        "columns": COLUMNS,
        "import_report": None,
        "import_detail": None,
        "import_errors": [],
    }
