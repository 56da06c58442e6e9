"""Plotly figures of the UHC pages, built here and drawn in the browser with Plotly.newPlot.

Every figure has a table alternative on its page; the figures carry no template (the JSON
stays small) and use the platform's colours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import plotly.graph_objects as go

from healthbridge.cooperation.uhc.comparison import CountryValue, RegionalComparison, Trend
from healthbridge.marks import N_

BRAND = "#0b4f8a"
EARLIER = "#8fb3d9"
MEDIAN = "#8a3b00"
INK = "#1a2230"
GRID = "#d5dbe3"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 13, "color": INK}


def format_value(value: float | None) -> str:
    """A value as the pages show it: at most one decimal, no trailing ``.0``."""
    if value is None:
        return "—"
    return f"{value:,.1f}".removesuffix(".0")


def _interval(items: Sequence[Any]) -> dict[str, Any] | None:
    """Error bars from the items' ``low``/``high``, or ``None`` when no item has bounds."""
    if not any(i.low is not None and i.high is not None for i in items):
        return None
    return {
        "type": "data",
        "symmetric": False,
        "array": [(i.high - i.value) if i.high is not None else 0 for i in items],
        "arrayminus": [(i.value - i.low) if i.low is not None else 0 for i in items],
        "color": INK,
        "thickness": 1,
        "width": 3,
    }


def _bars(items: list[CountryValue], name: str, colour: str, *, with_year: bool) -> go.Bar:
    hover = "%{y}: %{x}" + (" (%{customdata})" if with_year else "") + "<extra></extra>"
    return go.Bar(
        name=name,
        orientation="h",
        x=[c.value for c in items],
        y=[c.country_name for c in items],
        customdata=[c.year for c in items],
        text=[format_value(c.value) + (f" ({c.year})" if with_year else "") for c in items],
        textposition="outside",
        cliponaxis=False,
        marker={"color": colour},
        error_x=_interval(items),
        hovertemplate=hover,
    )


def _same(text: str) -> str:
    return text


def comparison_figure(
    comparison: RegionalComparison, translate: Callable[[str], str] = _same
) -> go.Figure:
    """Horizontal bars of every served country, best on top, for the comparison's year
    (its words passed through ``translate``: a page gives the request's language's)."""
    indicator = comparison.indicator
    same_year = [c for c in comparison.countries if c.has_value and c.year == comparison.year]
    earlier = comparison.earlier_years
    figure = go.Figure()
    if same_year:
        figure.add_trace(_bars(same_year, str(comparison.year), BRAND, with_year=False))
    if earlier:
        figure.add_trace(
            _bars(earlier, translate(N_("Latest earlier year")), EARLIER, with_year=True)
        )
    order = [c.country_name for c in comparison.countries]
    figure.update_layout(
        barmode="overlay",
        height=120 + 30 * len(order),
        margin={"l": 10, "r": 70, "t": 40, "b": 50},
        font=FONT,
        paper_bgcolor="white",
        plot_bgcolor="white",
        showlegend=bool(same_year and earlier),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={
            "title": {"text": indicator.unit},
            "rangemode": "tozero",
            "gridcolor": GRID,
            "zeroline": True,
            "zerolinecolor": INK,
        },
        yaxis={
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
            "automargin": True,
        },
        annotations=[
            {
                "x": 0,
                "y": c.country_name,
                "xref": "x",
                "yref": "y",
                "text": translate(N_("no data")),
                "showarrow": False,
                "xanchor": "left",
                "font": {"color": "#4a5568", "size": 12},
            }
            for c in comparison.without_value
        ],
    )
    if not same_year and not earlier:
        figure.update_yaxes(type="category")
    return figure


def trend_figure(
    trend: Trend, country_name: str, translate: Callable[[str], str] = _same
) -> go.Figure:
    """A line of the country's values by year, and the region's median dashed beside it (its
    words passed through ``translate``)."""
    indicator = trend.indicator
    years = [o.year for o in trend.observations]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            name=country_name,
            x=years,
            y=[o.value for o in trend.observations],
            mode="lines+markers",
            line={"color": BRAND, "width": 3},
            marker={"size": 8},
            error_y=_interval(trend.observations),
            hovertemplate="%{x}: %{y}<extra>" + country_name + "</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            name=translate(N_("Median of reporting countries")),
            x=years,
            y=[trend.regional_median[y] for y in years],
            connectgaps=False,
            mode="lines+markers",
            line={"color": MEDIAN, "width": 2, "dash": "dash"},
            marker={"size": 6, "symbol": "diamond"},
            hovertemplate="%{x}: %{y}<extra>" + translate(N_("median")) + "</extra>",
        )
    )
    figure.update_layout(
        height=320,
        margin={"l": 10, "r": 20, "t": 30, "b": 40},
        font=FONT,
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        xaxis={"tickformat": "d", "dtick": 1, "gridcolor": GRID},
        yaxis={
            "title": {"text": indicator.unit},
            "rangemode": "tozero",
            "gridcolor": GRID,
            "automargin": True,
        },
    )
    return figure


def figure_json(figure: go.Figure) -> str:
    """The figure as JSON for ``Plotly.newPlot`` (the page puts it in a data attribute)."""
    text: str = figure.to_json()
    return text
