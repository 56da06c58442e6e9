"""Pages of the projects part: the portfolio, and each project with its results."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.cooperation.projects import codelists, figures, reads, service
from healthbridge.deps import Allow, SessionDep
from healthbridge.geography import service as geography
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web import i18n
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]


def text_in(texts: dict[str, str], language: str = "en") -> str:
    """The text to show: English, else the default language, else any."""
    for lang in ("en", language):
        if lang in texts:
            return texts[lang]
    return next(iter(texts.values()), "")


def money(value: Decimal) -> str:
    """A sum of money with the language's separators and no cents when there are none."""
    return i18n.format_number(float(value), 0 if value == value.to_integral_value() else 2)


def number(value: Decimal) -> str:
    """A share or a progress in the language's digits, without trailing zeros: ``80``, ``33.33``."""
    digits = len(figures.plain_number(value).partition(".")[2])
    return i18n.format_number(float(value), digits)


def bar_width(progress: Decimal | None) -> int:
    """The filled share of a progress bar: 0 to 100."""
    if progress is None:
        return 0
    return int(max(Decimal(0), min(Decimal(100), progress)))


HELPERS: dict[str, Any] = {
    "text_in": text_in,
    "money": money,
    "number": number,
    "bar_width": bar_width,
    "statuses": codelists.ACTIVITY_STATUS,
    "budget_types": codelists.BUDGET_TYPE,
    "budget_statuses": codelists.BUDGET_STATUS,
    "org_types": codelists.ORGANISATION_TYPE,
}


def _choice(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@router.get("/projects", response_class=HTMLResponse)
def portfolio_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    sector: Annotated[str | None, Query(max_length=5)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    status: Annotated[str | None, Query(max_length=1)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    sector, country, q = _choice(sector), _choice(country), _choice(q)
    status_code = int(status) if status and status.isdigit() else None
    rows, total = service.list_projects(
        session=session,
        actor=actor,
        page=PageRequest(limit=MAX_LIMIT),
        status=status_code if status_code in codelists.ACTIVITY_STATUS else None,
        sector=sector,
        country=country,
        q=q,
    )
    reference = service.reference_data(session=session, actor=actor)
    names = geography.country_names(session=session, actor=actor)
    context = {
        **HELPERS,
        "projects": [reads.summary_of(p, reference) for p in rows],
        "total": total,
        "filters": {
            "sector": sector or "",
            "country": (country or "").upper(),
            "status": status or "",
            "q": q or "",
        },
        "purpose_codes": list(codelists.purpose_codes().values()),
        "countries": [
            {"code": code, "name": name}
            for code, name in names.items()
            if code in reference.countries
        ],
        "country_names": names,
    }
    template = "projects/_portfolio_table.html" if is_htmx(request) else "projects/portfolio.html"
    return render(request, template, context)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, session: SessionDep, actor: Reader, project_id: int) -> Response:
    project = service.get_project(session=session, actor=actor, project_id=project_id)
    reference = service.reference_data(session=session, actor=actor)
    read = reads.read_of(project, reference)
    return render(
        request,
        "projects/project.html",
        {
            **HELPERS,
            "project": read,
            "title": text_in(read.title, read.default_language),
            "organisations": {code: facts.name for code, facts in reference.organisations.items()},
            "country_names": geography.country_names(session=session, actor=actor),
        },
    )
