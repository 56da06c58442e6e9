"""Pages: the notifiable diseases, and the weekly counts (an epicurve with its table, and the
CSV and DHIS2 uploads for those who report)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, SessionDep, audit_refusal
from healthbridge.errors import FieldError, Forbidden, Invalid
from healthbridge.geography import service as geography
from healthbridge.interop.weekly_csv import COLUMNS
from healthbridge.language import localized
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import service, weekly, weekly_import
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]
AggregateReader = Annotated[Principal, Depends(Allow(Action.SURVEILLANCE_AGGREGATE_READ))]
Reporter = Annotated[Principal, Depends(Allow(Action.SURVEILLANCE_REPORT))]
Choice = Annotated[str | None, Query(max_length=40)]

BAR_COLOUR = "#0b4f8a"
INK = "#1a2230"
GRID = "#d5dbe3"
LEVEL_TEXT = {
    weekly.LEVEL_NATIONAL: N_("national total"),
    weekly.LEVEL_SUM_OF_AREAS: N_("sum of the reporting areas (no national total reported)"),
}


@router.get("/diseases", response_class=HTMLResponse)
def diseases_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    rows, total = service.list_diseases(
        session=session, actor=actor, q=q, page=PageRequest(limit=MAX_LIMIT)
    )
    template = "reference/_diseases_table.html" if is_htmx(request) else "reference/diseases.html"
    return render(request, template, {"diseases": rows, "total": total, "q": q or ""})


@router.get("/surveillance/weekly", response_class=HTMLResponse)
def weekly_page(
    request: Request,
    session: SessionDep,
    actor: AggregateReader,
    country: Choice = None,
    disease: Choice = None,
    area: Choice = None,
) -> Response:
    context = _weekly_context(session, actor, country=country, disease=disease, area=area)
    if is_htmx(request):
        return render(request, "surveillance/_weekly_series.html", context)
    return render(request, "surveillance/weekly.html", context)


@router.post("/surveillance/weekly/import", response_class=HTMLResponse)
def weekly_import_from_form(
    request: Request,
    session: SessionDep,
    actor: Reporter,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if file is None or not file.filename:
        return _after_import(
            request,
            session,
            actor,
            errors=[FieldError("file", gettext("choose a CSV file"))],
            status=422,
        )
    return _import(
        request,
        session,
        actor,
        lambda: weekly_import.import_weekly_csv(
            session=session, actor=actor, data=file.file, filename=file.filename
        ),
    )


@router.post("/surveillance/weekly/import/dhis2", response_class=HTMLResponse)
def weekly_dhis2_import_from_form(
    request: Request,
    session: SessionDep,
    actor: Reporter,
    file: Annotated[UploadFile | None, File()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if file is None or not file.filename or mapping is None or not mapping.filename:
        missing = [
            FieldError(name, message)
            for name, upload, message in (
                ("file", file, gettext("choose the DHIS2 dataValueSets JSON file")),
                ("mapping", mapping, gettext("choose the mapping JSON file")),
            )
            if upload is None or not upload.filename
        ]
        return _after_import(request, session, actor, errors=missing, status=422)
    return _import(
        request,
        session,
        actor,
        lambda: weekly_import.import_dhis2(
            session=session,
            actor=actor,
            data=file.file,
            filename=file.filename,
            mapping=mapping.file,
            mapping_filename=mapping.filename,
        ),
    )


def _import(
    request: Request,
    session: Session,
    actor: Principal,
    run: Callable[[], weekly_import.WeeklyImportReport],
) -> Response:
    """The page after an import: what it did, or why nothing was imported."""
    try:
        report = run()
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
    report: weekly_import.WeeklyImportReport | None = None,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    shown = (report.countries[:1], report.diseases[:1]) if report else ([], [])
    context = _weekly_context(
        session,
        actor,
        country=shown[0][0] if shown[0] else None,
        disease=shown[1][0] if shown[1] else None,
        area=None,
    )
    context.update(
        {"import_report": report, "import_detail": detail, "import_errors": errors or []}
    )
    return render(request, "surveillance/weekly.html", context, status_code=status)


def _weekly_context(
    session: Session,
    actor: Principal,
    *,
    country: str | None,
    disease: str | None,
    area: str | None,
) -> dict[str, Any]:
    """The filters, the chosen series (by default: the most reported disease of the actor's
    country, or of the country with most counts) and its figure."""
    reported = weekly.reported_series(session=session, actor=actor)
    everything = PageRequest(limit=MAX_LIMIT)
    countries, _n = geography.list_countries(session=session, actor=actor, page=everything)
    disease_rows, _n = service.list_diseases(session=session, actor=actor, page=everything)
    country = (country or "").strip().upper() or _default_country(reported, actor)
    disease = (disease or "").strip() or next(
        (r.disease for r in reported if r.country == country), None
    )
    notice = None
    series = None
    if country and disease:
        try:
            series = weekly.weekly_series(
                session=session, actor=actor, country=country, disease=disease, area=area or None
            )
        except Invalid as bad:
            if not area or any(e.field != "area" for e in bad.errors):
                raise
            # An area kept from another country (the filter form without JavaScript).
            notice = gettext(
                "%(area)s is not an area of %(country)s: showing the whole country instead."
            ) % {"area": area, "country": country}
            series = weekly.weekly_series(
                session=session, actor=actor, country=country, disease=disease
            )
    areas: list[dict[str, str]] = []
    if series is not None:
        names = {
            s.code: s.name
            for s in geography.list_subdivisions(
                session=session, actor=actor, country=series.country, page=everything
            )[0]
        }
        codes = weekly.reported_areas(
            session=session, actor=actor, country=series.country, disease=series.disease
        )
        if series.area and series.area not in codes:
            codes.append(series.area)
        areas = [{"code": c, "name": names.get(c, c)} for c in sorted(codes)]
    country_names = {c.code: localized(c.names, c.name_en) for c in countries}
    disease_names = {d.code: localized(d.names, d.name_en) for d in disease_rows}
    return {
        "countries": countries,
        "diseases": disease_rows,
        "areas": areas,
        "reported": reported,
        "country_names": country_names,
        "disease_names": disease_names,
        "series": series,
        "title": _series_title(series, country_names, disease_names, areas),
        "figure": json.dumps(_figure(series)) if series and series.weeks else None,
        "notice": notice,
        "can_report": is_allowed(actor, Action.SURVEILLANCE_REPORT),
        "columns": COLUMNS,
        "import_report": None,
        "import_detail": None,
        "import_errors": [],
    }


def _default_country(reported: list[weekly.ReportedSeries], actor: Principal) -> str | None:
    if actor.country and any(r.country == actor.country for r in reported):
        return actor.country
    return reported[0].country if reported else actor.country


def _series_title(
    series: weekly.WeeklySeries | None,
    countries: dict[str, str],
    diseases: dict[str, str],
    areas: list[dict[str, str]],
) -> str:
    if series is None:
        return ""
    disease = diseases.get(series.disease, series.disease)
    country = countries.get(series.country, series.country)
    if series.area:
        area = next((a["name"] for a in areas if a["code"] == series.area), series.area)
        return gettext("%(disease)s, %(area)s (%(code)s), %(country)s") % {
            "disease": disease,
            "area": area,
            "code": series.area,
            "country": country,
        }
    level = LEVEL_TEXT.get(series.level)
    return gettext("%(disease)s, %(country)s, %(level)s") % {
        "disease": disease,
        "country": country,
        "level": gettext(level) if level else series.level,
    }


def _figure(series: weekly.WeeklySeries) -> dict[str, Any]:
    """An epicurve: a bar of cases for each week (weeks without a count have no bar)."""
    return {
        "data": [
            {
                "type": "bar",
                "name": gettext("Cases"),
                "x": [d.isoformat() for d in series.week_starts],
                "y": series.cases,
                "customdata": series.weeks,
                "hovertemplate": gettext("%{customdata}: %{y} cases") + "<extra></extra>",
                "marker": {"color": BAR_COLOUR},
            }
        ],
        "layout": {
            "height": 360,
            "bargap": 0.05,
            "margin": {"l": 50, "r": 10, "t": 10, "b": 50},
            "font": {"family": "system-ui, sans-serif", "size": 13, "color": INK},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": {
                "title": {"text": gettext("Week starting")},
                "type": "date",
                "gridcolor": GRID,
            },
            "yaxis": {
                "title": {"text": gettext("Cases")},
                "rangemode": "tozero",
                "gridcolor": GRID,
            },
            "showlegend": False,
        },
    }
