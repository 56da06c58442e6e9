"""Situation reports of an event: plain data in, a self-contained HTML page or a PDF out.

A situation report (sitrep) sums an event up for the people who act on it: what happened, the
epidemic curve by ISO week, cases and deaths by area, the laboratory picture, the risk
assessment, the response actions with their 7-1-7 timeliness (detect within 7 days of
emergence, notify within 1 day of detection, complete the early response within 7 days of
notification), and the resources requested and delivered. It carries aggregates only: no
case-level detail ever reaches it.

The renderer knows nothing of the database, the web or the CLI. It takes a :class:`SitrepData`
and gives back text or bytes:

- :func:`render_html` fills ``templates/reports/sitrep.html`` (Jinja2, every value escaped):
  one HTML document with its CSS inline, the epicurve as inline SVG (no JavaScript, no Plotly)
  followed by the same figures as a table, and print CSS (A4, page numbers). Its words, dates
  and numbers are in the current language (:mod:`healthbridge.web.i18n`: the language of the
  request that asks for the report, English outside a request); the data are shown as given.
- :func:`render_pdf` lays that HTML out with WeasyPrint. Nothing is fetched while it does: the
  URL fetcher refuses every URL but ``data:``, and the page names only locally installed fonts.

How to wire it (the events module, ``healthbridge.eoc``, once it exists):

- The service builds a :class:`SitrepData` from an event it has authorised the actor to read
  (weekly points from the event's weekly counts, area rows, the lab summary from aggregate lab
  results, actions and 7-1-7 metrics, resources), and audits the export
  (``audit.record(action="event.sitrep_export", ...)``).
- ``healthbridge report sitrep EVENT --format html|pdf [--output FILE]``: a command in the
  events' ``commands.py`` calls that service and writes ``render_html(data)`` or
  ``render_pdf(data)``.
- The event page offers a download: a route guarded like the event page answers
  ``Response(render_pdf(data), media_type="application/pdf", headers={"Content-Disposition":
  'attachment; filename="sitrep-<event>.pdf"'})`` (or ``HTMLResponse(render_html(data))``).
  PDF rendering takes one to five seconds (``bench/sitrep.py``: five years of weeks and 100
  areas); do not run it inside a list page.
- Keep the events' free-text fields bounded in their input models (names a few hundred
  characters, texts some thousands): layout time grows with the text, and a word of thousands of
  characters without a space costs seconds in each table cell it fills.
- Fonts come from the machine: DejaVu (``fonts-dejavu-core``, see
  ``scripts/install-system-deps``) covers Latin, Vietnamese included; servers that show Thai,
  Lao, Khmer or Myanmar text need ``fonts-noto-core`` too, and reports in Korean need
  ``fonts-noto-cjk`` (Noto Sans CJK KR), or those characters print as boxes.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from healthbridge.errors import FieldError, Invalid
from healthbridge.marks import N_
from healthbridge.reports.epicurve import epicurve_svg
from healthbridge.web import i18n

#: Said on every report: what it leaves out, and why.
EXCLUSION_NOTE = N_(
    "Case-level detail is excluded: this report holds aggregate counts only, with no names, "
    "identifiers or line lists, so that it can be shared beyond the teams handling cases."
)
#: Lab results in the order the summary shows them; other results follow, alphabetically.
RESULT_ORDER = ("positive", "negative", "indeterminate", "pending")
#: The words of coded values as the report shows them (translated where shown).
LABELS: dict[str, dict[str, str]] = {
    "result": {
        "positive": N_("positive"),
        "negative": N_("negative"),
        "indeterminate": N_("indeterminate"),
        "pending": N_("pending"),
    },
    "milestone": {
        "detection": N_("detection"),
        "notification": N_("notification"),
        "response": N_("response"),
    },
    "timeliness": {"met": N_("met"), "missed": N_("missed"), "pending": N_("pending")},
}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
# Characters that no HTML or PDF text may hold: C0/C1 controls (but tab and newline), lone
# surrogates and the two non-characters U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class TimelinessStatus(enum.StrEnum):
    """Where a 7-1-7 interval stands."""

    MET = "met"
    MISSED = "missed"
    PENDING = "pending"


@dataclass(frozen=True)
class EpicurvePoint:
    """One ISO week of the epidemic curve (``week`` like ``2024-W07``)."""

    week: str
    cases: int
    deaths: int = 0


@dataclass(frozen=True)
class AreaRow:
    """Cases and deaths of one area (ISO 3166-2 code and name) over the reporting period."""

    code: str
    name: str
    cases: int
    deaths: int = 0

    @property
    def fatality(self) -> float | None:
        """Deaths per case (case fatality ratio), ``None`` without cases."""
        return self.deaths / self.cases if self.cases else None


@dataclass(frozen=True)
class LabTestCount:
    """How many tests of one type (``pcr``, ``rdt``, ...) gave one result."""

    test_type: str
    result: str
    count: int


@dataclass(frozen=True)
class LabSummary:
    """The laboratory picture: tests by type and result, positivity, median turnaround.

    ``positivity`` is a fraction (0.25 for 25 %) of the tests with a final result;
    ``median_turnaround_days`` runs from sample collection to result.
    """

    tests: tuple[LabTestCount, ...] = ()
    positivity: float | None = None
    median_turnaround_days: float | None = None

    @classmethod
    def from_results(
        cls,
        results: Iterable[tuple[str, str]],
        turnaround_days: Iterable[float] = (),
    ) -> LabSummary:
        """Summarise ``(test_type, result)`` pairs and the turnaround of each result in days.

        Positivity counts positive among positive and negative results (indeterminate and
        pending ones have no say).
        """
        counts: dict[tuple[str, str], int] = {}
        for test_type, result in results:
            counts[(test_type, result)] = counts.get((test_type, result), 0) + 1
        positive = sum(n for (_, r), n in counts.items() if r == "positive")
        final = positive + sum(n for (_, r), n in counts.items() if r == "negative")
        days = list(turnaround_days)
        return cls(
            tests=tuple(LabTestCount(t, r, n) for (t, r), n in counts.items()),
            positivity=positive / final if final else None,
            median_turnaround_days=statistics.median(days) if days else None,
        )


@dataclass(frozen=True)
class ActionRow:
    """One response action: what, its status, who owns it and when it is due."""

    action: str
    status: str
    owner: str = ""
    due_on: dt.date | None = None


@dataclass(frozen=True)
class TimelinessMetric:
    """One 7-1-7 interval (``detection``, ``notification`` or ``response``).

    ``days`` is the interval's length once it is over, or the days elapsed so far while it runs
    (``None`` when its start is unknown). A met interval took at most ``target_days``; a missed
    one took (or has already run) longer; a pending one is still within its target.
    ``bottleneck`` says what held it up, in the words of the after-action review.
    """

    milestone: str
    target_days: int
    status: TimelinessStatus
    days: int | None = None
    bottleneck: str = ""


@dataclass(frozen=True)
class ResourceRow:
    """A resource asked for (``item``, counted in ``unit``) and how much of it arrived."""

    item: str
    unit: str
    requested: float
    delivered: float = 0
    provider: str = ""

    @property
    def delivered_share(self) -> float | None:
        """The fraction delivered, ``None`` when nothing was requested."""
        return self.delivered / self.requested if self.requested else None


@dataclass(frozen=True)
class AssistanceRow:
    """Help asked of the countries the event is shared with, and the offers made."""

    kind: str
    title: str
    status: str
    needed_by: dt.date | None = None
    #: Who offered, and where each offer stands (e.g. "Viet Nam: accepted").
    offers: str = ""


@dataclass(frozen=True)
class SitrepData:
    """Everything a situation report shows, as plain values (see the module's docstring).

    The free-text fields (``summary``, ``risk_assessment``, names) are shown as written: they
    are escaped, and their line breaks kept. Sequences are shown in the order given, except
    that ``epicurve`` must run in week order, each week once.
    """

    title: str
    country: str
    hazard: str
    status: str
    risk_level: str
    risk_confidence: str
    opened_on: dt.date
    generated_at: dt.datetime
    generated_by: str
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    summary: str = ""
    epicurve: tuple[EpicurvePoint, ...] = ()
    areas: tuple[AreaRow, ...] = ()
    lab: LabSummary = field(default_factory=LabSummary)
    risk_assessment: str = ""
    actions: tuple[ActionRow, ...] = ()
    timeliness: tuple[TimelinessMetric, ...] = ()
    resources: tuple[ResourceRow, ...] = ()
    assistance: tuple[AssistanceRow, ...] = ()
    exclusion_note: str = EXCLUSION_NOTE

    def __post_init__(self) -> None:
        errors = _check(self)
        if errors:
            raise Invalid("The situation report's data are not consistent.", errors=errors)


def _check(data: SitrepData) -> list[FieldError]:
    """Every inconsistency in ``data``, naming the field (and index) at fault."""
    errors: list[FieldError] = []

    def need(ok: bool, name: str, message: str) -> None:
        if not ok:
            errors.append(FieldError(name, message))

    need(bool(printable(data.title).strip()), "title", "A report needs a title.")
    need(data.generated_at.tzinfo is not None, "generated_at", "Give an aware time (UTC).")
    if data.period_start and data.period_end:
        need(
            data.period_start <= data.period_end, "period_end", "The period ends before it starts."
        )
    previous = ""
    for i, point in enumerate(data.epicurve):
        name = f"epicurve[{i}]"
        match = _WEEK.match(point.week)
        need(
            match is not None and 1 <= int(match[2]) <= 53,
            f"{name}.week",
            f"{point.week!r} is not an ISO week such as 2024-W07.",
        )
        need(point.week > previous, f"{name}.week", "Weeks must run in order, each week once.")
        previous = point.week
        need(point.cases >= 0, f"{name}.cases", "Counts cannot be negative.")
        need(point.deaths >= 0, f"{name}.deaths", "Counts cannot be negative.")
    for i, area in enumerate(data.areas):
        need(area.cases >= 0, f"areas[{i}].cases", "Counts cannot be negative.")
        need(area.deaths >= 0, f"areas[{i}].deaths", "Counts cannot be negative.")
    for i, test in enumerate(data.lab.tests):
        need(test.count >= 0, f"lab.tests[{i}].count", "Counts cannot be negative.")
    if data.lab.positivity is not None:
        need(0 <= data.lab.positivity <= 1, "lab.positivity", "Give a fraction from 0 to 1.")
    if data.lab.median_turnaround_days is not None:
        need(
            data.lab.median_turnaround_days >= 0,
            "lab.median_turnaround_days",
            "A turnaround cannot be negative.",
        )
    for i, metric in enumerate(data.timeliness):
        name = f"timeliness[{i}]"
        need(metric.target_days >= 0, f"{name}.target_days", "A target cannot be negative.")
        need(metric.days is None or metric.days >= 0, f"{name}.days", "Days cannot be negative.")
        over = metric.days is not None and metric.days > metric.target_days
        if metric.status is TimelinessStatus.MET:
            need(
                metric.days is not None and not over,
                f"{name}.status",
                "Met needs days within target.",
            )
        elif metric.status is TimelinessStatus.MISSED:
            need(over, f"{name}.status", "Missed needs days beyond the target.")
        else:
            need(not over, f"{name}.status", "Past its target, the interval is missed.")
    for i, row in enumerate(data.resources):
        need(row.requested >= 0, f"resources[{i}].requested", "Quantities cannot be negative.")
        need(row.delivered >= 0, f"resources[{i}].delivered", "Quantities cannot be negative.")
    return errors


# --- rendering -----------------------------------------------------------------------------------


def printable(value: Any) -> Any:
    """Every value a template prints, with characters no document may hold removed.

    Markup (the chart) is ours and passes as is; text loses controls and lone surrogates.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _UNPRINTABLE.sub("", value)


def _number(value: float | None) -> str:
    """``1,234`` or ``12.5`` (thousands separated, at most two decimals, no trailing ``.0``) as
    the current language writes them; an en dash for none."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return i18n.format_number(int(value))
    return format_decimal(value, format="#,##0.##", locale=i18n.current_language())


def _percent(value: float | None) -> str:
    """``23.5%`` of a fraction, as the current language writes it; an en dash for none."""
    return "–" if value is None else i18n.format_share(value, 1)


def _label(kind: str, value: str) -> str:
    """A coded value's word (``LABELS[kind]``) in the current language; other values as given
    (they are data: escaped where shown, never looked up in the catalogue)."""
    known = LABELS[kind].get(value)
    return i18n.gettext(known) if known is not None else value


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("healthbridge", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=printable,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["percent"] = _percent
    env.filters["day"] = i18n.format_day
    # Text given to ``_()`` is not finalized: it goes through this filter first.
    env.filters["printable"] = printable
    env.globals["label"] = _label
    # The same catalogue as the pages, in the language current when the report is rendered.
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    return env


def _lab_table(lab: LabSummary) -> tuple[list[str], list[tuple[str, list[int], int]], list[int]]:
    """Tests by type (rows) and result (columns): ``(results, rows, column totals)``."""
    known = [r for r in RESULT_ORDER if any(t.result == r for t in lab.tests)]
    others = sorted({t.result for t in lab.tests} - set(RESULT_ORDER))
    results = known + others
    cells: dict[str, dict[str, int]] = {}
    for test in lab.tests:
        row = cells.setdefault(test.test_type, {})
        row[test.result] = row.get(test.result, 0) + test.count
    rows = [
        (kind, [row.get(r, 0) for r in results], sum(row.values())) for kind, row in cells.items()
    ]
    totals = [sum(row[1][i] for row in rows) for i in range(len(results))]
    return results, rows, totals


def render_html(data: SitrepData) -> str:
    """The situation report as one self-contained HTML document (nothing to fetch)."""
    results, lab_rows, lab_totals = _lab_table(data.lab)
    total_cases = sum(a.cases for a in data.areas)
    total_deaths = sum(a.deaths for a in data.areas)
    caption = i18n.gettext("Cases and deaths by ISO week: %(title)s") % {"title": data.title}
    generated = data.generated_at.astimezone(dt.UTC)
    context = {
        "data": data,
        "language": i18n.current_language(),
        # The note as given; the standard one in the current language.
        "exclusion_note": (
            i18n.gettext(EXCLUSION_NOTE)
            if data.exclusion_note == EXCLUSION_NOTE
            else data.exclusion_note
        ),
        "epicurve": epicurve_svg(data.epicurve, caption=printable(caption)),
        "curve_cases": sum(p.cases for p in data.epicurve),
        "curve_deaths": sum(p.deaths for p in data.epicurve),
        "area_cases": total_cases,
        "area_deaths": total_deaths,
        "area_fatality": total_deaths / total_cases if total_cases else None,
        "lab_results": results,
        "lab_rows": lab_rows,
        "lab_totals": lab_totals,
        "lab_total": sum(lab_totals),
        "generated_day": generated.date(),
        "generated_time": generated.strftime("%H:%M"),
    }
    return _environment().get_template("reports/sitrep.html").render(context)


# --- PDF -----------------------------------------------------------------------------------------


class OfflineFetchRefused(ValueError):
    """A report asked for a resource by URL; reports are rendered offline and never fetch."""


def offline_fetcher() -> Any:
    """The WeasyPrint URL fetcher of :func:`render_pdf`: ``data:`` URLs only, all else refused.

    A refusal is not fatal: WeasyPrint leaves the resource out and logs a warning. The report's
    template names no URL, and escaped text cannot add one.
    """
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.lower().startswith("data:"):
                raise OfflineFetchRefused(f"Reports are rendered offline: refused {url[:80]!r}.")
            return super().fetch(url, headers)

    return OfflineURLFetcher(allowed_protocols=("data",), fail_on_errors=False)


def render_pdf(data: SitrepData) -> bytes:
    """The situation report as PDF (A4), laid out by WeasyPrint from :func:`render_html`."""
    # Imported here: WeasyPrint loads Pango through cffi, which only PDF exports need.
    from weasyprint import HTML

    pdf = HTML(string=render_html(data), url_fetcher=offline_fetcher()).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
