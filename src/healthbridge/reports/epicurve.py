"""The epidemic curve of a situation report as an inline SVG bar chart, built without JavaScript.

A PDF has no script, so the chart is drawn here, in Python, as plain SVG: one bar per ISO week,
its height proportional to the week's cases, with the week's deaths as a darker segment at the
bottom of the bar. Every bar carries its figures (``data-week``, ``data-cases``, ``data-deaths``
and a ``title``); the report also lists the same figures in a table, the chart's accessible
alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from markupsafe import Markup, escape

from healthbridge.web.i18n import format_number, gettext, ngettext

#: Drawing size in SVG user units; the page scales it to the column width.
WIDTH = 720
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 10, 14, 40
#: At most this many week labels under the axis (the table lists every week).
MAX_LABELS = 10
CASE_FILL = "#0b4f8a"
DEATH_FILL = "#a3161c"
INK = "#1a2230"
GRID = "#d5dbe3"


class WeekPoint(Protocol):
    """What the chart needs of a week: its label and its counts."""

    @property
    def week(self) -> str: ...
    @property
    def cases(self) -> int: ...
    @property
    def deaths(self) -> int: ...


def nice_axis(peak: int, *, max_ticks: int = 5) -> tuple[int, int]:
    """``(top, step)`` of a y axis from 0 that holds ``peak``: a step of 1, 2 or 5 x 10^k.

    >>> nice_axis(0)
    (1, 1)
    >>> nice_axis(37)
    (40, 10)
    """
    if peak <= 0:
        return 1, 1
    rough = peak / max_ticks
    magnitude = 10 ** max(0, math.floor(math.log10(rough))) if rough >= 1 else 1
    step = magnitude
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if step * max_ticks >= peak:
            break
    return step * math.ceil(peak / step), step


def _fmt(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _cases(count: int) -> str:
    return ngettext("%(num)s case", "%(num)s cases", count) % {"num": format_number(count)}


def _deaths(count: int) -> str:
    return ngettext("%(num)s death", "%(num)s deaths", count) % {"num": format_number(count)}


def epicurve_svg(points: Sequence[WeekPoint], *, caption: str | None = None) -> Markup:
    """The SVG bar chart of ``points`` (in week order), safe to insert into a page as is.

    Every piece of text is escaped; an empty series gives an empty string (the report says
    that there are no weekly counts instead of drawing an empty frame). Its words and figures
    are in the current language (:mod:`healthbridge.web.i18n`).
    """
    if caption is None:
        caption = gettext("Cases by ISO week")
    if not points:
        return Markup("")
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    base = _TOP + plot_h
    top, step = nice_axis(max(max(p.cases, p.deaths) for p in points))
    slot = plot_w / len(points)
    bar_w = slot * 0.85 if slot >= 4 else slot
    gap = (slot - bar_w) / 2
    total_cases = sum(p.cases for p in points)
    total_deaths = sum(p.deaths for p in points)
    first, last = points[0].week, points[-1].week
    cases_word, deaths_word = escape(gettext("Cases")), escape(gettext("Deaths"))
    desc = ngettext(
        "%(num)s week from %(first)s to %(last)s: %(cases)s and %(deaths)s in all.",
        "%(num)s weeks from %(first)s to %(last)s: %(cases)s and %(deaths)s in all.",
        len(points),
    ) % {
        "num": format_number(len(points)),
        "first": first,
        "last": last,
        "cases": _cases(total_cases),
        "deaths": _deaths(total_deaths),
    }

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="epicurve" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="epicurve-title epicurve-desc">',
        f'<title id="epicurve-title">{escape(caption)}</title>',
        f'<desc id="epicurve-desc">{escape(desc)}</desc>',
    ]
    # Horizontal grid lines and the y axis's figures.
    for value in range(0, top + 1, step):
        y = base - value / top * plot_h
        out.append(
            f'<line class="grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{_fmt(y)}" '
            f'y2="{_fmt(y)}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text class="tick" x="{_LEFT - 6}" y="{_fmt(y + 3.5)}" text-anchor="end" '
            f'font-size="10" fill="{INK}">{format_number(value)}</text>'
        )
    out.append(
        f'<text class="axis-title" x="12" y="{_fmt(_TOP + plot_h / 2)}" font-size="10" '
        f'fill="{INK}" text-anchor="middle" '
        f'transform="rotate(-90 12 {_fmt(_TOP + plot_h / 2)})">{cases_word}</text>'
    )
    label_every = max(1, math.ceil(len(points) / MAX_LABELS))
    for index, point in enumerate(points):
        x = _LEFT + index * slot + gap
        height = point.cases / top * plot_h
        tip = gettext("%(week)s: %(cases)s, %(deaths)s") % {
            "week": point.week,
            "cases": _cases(point.cases),
            "deaths": _deaths(point.deaths),
        }
        out.append(
            f'<g class="week" data-week="{escape(point.week)}" data-cases="{point.cases}" '
            f'data-deaths="{point.deaths}"><title>{escape(tip)}</title>'
            f'<rect class="bar cases" x="{_fmt(x)}" y="{_fmt(base - height)}" '
            f'width="{_fmt(bar_w)}" height="{_fmt(height)}" fill="{CASE_FILL}"/>'
        )
        if point.deaths:
            dead = point.deaths / top * plot_h
            out.append(
                f'<rect class="bar-deaths" x="{_fmt(x)}" y="{_fmt(base - dead)}" '
                f'width="{_fmt(bar_w)}" height="{_fmt(dead)}" fill="{DEATH_FILL}"/>'
            )
        out.append("</g>")
        if index % label_every == 0:
            centre = x + bar_w / 2
            out.append(
                f'<text class="week-label" x="{_fmt(centre)}" y="{base + 16}" font-size="10" '
                f'text-anchor="middle" fill="{INK}">{escape(point.week)}</text>'
            )
    out.append(
        f'<line class="axis" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{base}" y2="{base}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    # Legend.
    legend_y = HEIGHT - 8
    out.append(
        f'<rect x="{_LEFT}" y="{legend_y - 9}" width="10" height="10" fill="{CASE_FILL}"/>'
        f'<text x="{_LEFT + 14}" y="{legend_y}" font-size="10" fill="{INK}">'
        f"{cases_word}</text>"
        f'<rect x="{_LEFT + 60}" y="{legend_y - 9}" width="10" height="10" fill="{DEATH_FILL}"/>'
        f'<text x="{_LEFT + 74}" y="{legend_y}" font-size="10" fill="{INK}">'
        f"{deaths_word}</text>"
    )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every interpolated text is escaped above
