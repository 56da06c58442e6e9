"""Pages: the region compared on one UHC indicator, and one country's trends."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from healthbridge.cooperation.uhc import charts, comparison, service
from healthbridge.deps import Allow, SessionDep
from healthbridge.errors import Invalid
from healthbridge.geography import service as geography
from healthbridge.language import localized
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web import i18n
from healthbridge.web.i18n import gettext
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]


def format_value(value: float | None) -> str:
    """A value as the pages show it, in the request's language: at most one decimal, none when
    it is zero."""
    if value is None:
        return "—"
    rounded = round(value, 1)
    return i18n.format_number(rounded, 0 if rounded == int(rounded) else 1)


@router.get("/uhc", response_class=HTMLResponse)
def uhc_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> Response:
    indicators = service.all_indicators(session=session, actor=actor)
    code = indicator or (indicators[0].code if indicators else "")
    notice = None
    try:
        compared = comparison.regional_comparison(
            session=session, actor=actor, indicator_code=code, year=year
        )
    except Invalid:
        if year is None:
            raise
        # A year kept from another indicator (the form without JavaScript): show the latest.
        compared = comparison.regional_comparison(session=session, actor=actor, indicator_code=code)
        notice = gettext("No values in %(year)s: showing the latest year instead.") % {"year": year}
    context = {
        "indicators": indicators,
        "comparison": compared,
        "figure": charts.figure_json(charts.comparison_figure(compared, gettext)),
        "notice": notice,
        "format_value": format_value,
    }
    template = "uhc/_comparison.html" if is_htmx(request) else "uhc/index.html"
    return render(request, template, context)


@router.get("/uhc/{country}", response_class=HTMLResponse)
def uhc_country_page(
    request: Request, session: SessionDep, actor: Reader, country: str
) -> Response:
    found = geography.get_country(session=session, actor=actor, code=country)
    trends = comparison.country_trends(session=session, actor=actor, country=found.code)
    countries, _total = geography.list_countries(
        session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
    )
    sections = [
        {
            "trend": trend,
            "figure": charts.figure_json(
                charts.trend_figure(trend, localized(found.names, found.name_en), gettext)
            )
            if trend.observations
            else None,
        }
        for trend in trends
    ]
    return render(
        request,
        "uhc/country.html",
        {
            "country": found,
            "countries": countries,
            "sections": sections,
            "format_value": format_value,
        },
    )
