"""Pages: the triage queue of signals, and a signal's epicurve (counts, the method's threshold
and expected count, the alarms) with its table and the triage buttons."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep
from healthbridge.errors import Invalid
from healthbridge.geography import service as geography
from healthbridge.interop.isoweek import parse_week
from healthbridge.language import localized
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import service, signal_queue
from healthbridge.surveillance.models import SIGNAL_STATUSES, Signal
from healthbridge.surveillance.signals import DETECTION_METHODS
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.SIGNAL_READ))]
Triager = Annotated[Principal, Depends(Allow(Action.SIGNAL_TRIAGE))]
Choice = Annotated[str, Query(max_length=40)]

#: The triage buttons: status → label.
ACTIONS = {"monitor": N_("Monitor"), "verify": N_("Verify"), "discarded": N_("Discard")}
#: A signal's status as shown: status → label.
STATUS_LABELS = {
    "new": N_("New"),
    "monitor": N_("Monitor"),
    "verify": N_("Verify"),
    "discarded": N_("Discarded"),
}
BAR_COLOUR = "#0b4f8a"
THRESHOLD_COLOUR = "#a3161c"
EXPECTED_COLOUR = "#5b6472"
INK = "#1a2230"
GRID = "#d5dbe3"


def _names(session: Session, actor: Principal) -> dict[str, Any]:
    everything = PageRequest(limit=MAX_LIMIT)
    countries, _n = geography.list_countries(session=session, actor=actor, page=everything)
    diseases, _n = service.list_diseases(session=session, actor=actor, page=everything)
    return {
        "country_names": {c.code: localized(c.names, c.name_en) for c in countries},
        "disease_names": {d.code: localized(d.names, d.name_en) for d in diseases},
        "countries": countries,
        "diseases": diseases,
        "statuses": SIGNAL_STATUSES,
        "methods": DETECTION_METHODS,
        "actions": ACTIONS,
        "status_labels": STATUS_LABELS,
    }


def _can_triage(actor: Principal) -> Any:
    return lambda signal: is_allowed(actor, Action.SIGNAL_TRIAGE, country=signal.country_code)


@router.get("/surveillance/signals", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Choice = "",
    country: Choice = "",
    disease: Choice = "",
    method: Choice = "",
) -> Response:
    where = signal_queue.check_filter(
        status=status, country=country, disease=disease, method=method
    )
    rows, total = signal_queue.list_signals(session=session, actor=actor, page=page, where=where)
    filters = {"status": status, "country": country, "disease": disease, "method": method}
    context = {
        **_names(session, actor),
        "signals": rows,
        "total": total,
        "page": page,
        "filters": filters,
        "query": lambda **changes: urlencode({**filters, **changes}),
        "can_triage": _can_triage(actor),
        "view": "row",
    }
    template = (
        "surveillance/_signals_table.html" if is_htmx(request) else "surveillance/signals.html"
    )
    return render(request, template, context)


@router.get("/surveillance/signals/{signal_id}", response_class=HTMLResponse)
def signal_page(request: Request, session: SessionDep, actor: Reader, signal_id: int) -> Response:
    signal = signal_queue.get_signal(session=session, actor=actor, signal_id=signal_id)
    return render(request, "surveillance/signal.html", _detail(session, actor, signal))


@router.post("/surveillance/signals/{signal_id}/triage", response_class=HTMLResponse)
def triage_from_form(
    request: Request,
    session: SessionDep,
    actor: Triager,
    signal_id: int,
    status: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=signal_queue.MAX_NOTE_LENGTH)] = "",
    view: Annotated[str, Form(max_length=10)] = "detail",
) -> Response:
    errors = []
    try:
        signal = signal_queue.triage_signal(
            session=session, actor=actor, signal_id=signal_id, status=status, note=note
        )
    except Invalid as refused:
        session.rollback()
        errors = refused.errors
        signal = signal_queue.get_signal(session=session, actor=actor, signal_id=signal_id)
    if view == "row" and is_htmx(request):
        context = {
            **_names(session, actor),
            "s": signal,
            "can_triage": _can_triage(actor),
            "view": "row",
            "errors": errors,
        }
        return render(request, "surveillance/_signal_row.html", context)
    if is_htmx(request) or errors:
        context = _detail(session, actor, signal, saved=not errors, errors=errors)
        return render(
            request,
            "surveillance/signal.html",
            context,
            status_code=200 if is_htmx(request) or not errors else 422,
        )
    return RedirectResponse(f"/surveillance/signals/{signal_id}", status_code=303)


def _detail(session: Session, actor: Principal, signal: Signal, **extra: Any) -> dict[str, Any]:
    week = parse_week(signal.week)
    series = signal_queue.signal_series(
        session=session,
        actor=actor,
        country=signal.country_code,
        area=signal.area_code,
        disease=signal.disease_code,
        method=signal.method,
        source=signal.source,
    )
    if series.weeks and signal.week not in series.weeks:
        # An old signal: show the two years around it instead of the latest two.
        series = signal_queue.signal_series(
            session=session,
            actor=actor,
            country=signal.country_code,
            area=signal.area_code,
            disease=signal.disease_code,
            method=signal.method,
            source=signal.source,
            from_week=str(week.plus(-78)),
            to_week=str(week.plus(25)),
        )
    names = _names(session, actor)
    title = _title(signal, names)
    return {
        **names,
        "s": signal,
        "series": series,
        "title": title,
        "figure": json.dumps(_figure(series, signal)) if series.weeks else None,
        "can_triage": _can_triage(actor),
        "view": "detail",
        "saved": False,
        "errors": [],
        **extra,
    }


def _title(signal: Signal, names: dict[str, Any]) -> str:
    disease = names["disease_names"].get(signal.disease_code, signal.disease_code)
    country = names["country_names"].get(signal.country_code, signal.country_code)
    if signal.area_code:
        return gettext("%(disease)s in %(area)s, %(country)s, %(week)s") % {
            "disease": disease,
            "area": signal.area_code,
            "country": country,
            "week": signal.week,
        }
    return gettext("%(disease)s in %(country)s (national), %(week)s") % {
        "disease": disease,
        "country": country,
        "week": signal.week,
    }


def _figure(series: signal_queue.SignalSeries, signal: Signal) -> dict[str, Any]:
    """Bars of the weekly counts, the method's threshold and expected count, the alarms."""
    x = [d.isoformat() for d in series.week_starts]
    alarms = [i for i, a in enumerate(series.alarm) if a]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": gettext("Cases"),
            "x": x,
            "y": series.cases,
            "customdata": series.weeks,
            "hovertemplate": gettext("%{customdata}: %{y} cases") + "<extra></extra>",
            "marker": {"color": BAR_COLOUR},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": gettext("Threshold (%(method)s)") % {"method": series.method},
            "x": x,
            "y": series.upperbound,
            "line": {"color": THRESHOLD_COLOUR, "width": 2, "dash": "dash", "shape": "hv"},
            "hovertemplate": gettext("threshold %{y:.1f}") + "<extra></extra>",
        },
    ]
    if any(e is not None for e in series.expected):
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": gettext("Expected"),
                "x": x,
                "y": series.expected,
                "line": {"color": EXPECTED_COLOUR, "width": 1.5, "shape": "hv"},
                "hovertemplate": gettext("expected %{y:.1f}") + "<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": gettext("Alarm"),
            "x": [x[i] for i in alarms],
            "y": [series.cases[i] for i in alarms],
            "customdata": [series.weeks[i] for i in alarms],
            "marker": {"color": THRESHOLD_COLOUR, "size": 10, "symbol": "triangle-down"},
            "hovertemplate": gettext("%{customdata}: alarm (%{y} cases)") + "<extra></extra>",
        }
    )
    layout = {
        "height": 380,
        "bargap": 0.05,
        "margin": {"l": 50, "r": 10, "t": 10, "b": 50},
        "font": {"family": "system-ui, sans-serif", "size": 13, "color": INK},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {"title": {"text": gettext("Week starting")}, "type": "date", "gridcolor": GRID},
        "yaxis": {"title": {"text": gettext("Cases")}, "rangemode": "tozero", "gridcolor": GRID},
        "legend": {"orientation": "h", "y": -0.2},
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": signal.week_start.isoformat(),
                "x1": signal.week_start.isoformat(),
                "y0": 0,
                "y1": 1,
                "line": {"color": INK, "width": 1, "dash": "dot"},
            }
        ],
    }
    return {"data": data, "layout": layout}


__all__ = ["router"]
