"""Situation reports: every section and figure in the HTML, the SVG epicurve, the PDF's text,
no network while rendering, and free text that can never break the page."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import logging
import re
import socket
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from pypdf import PdfReader

from healthbridge.errors import Invalid
from healthbridge.reports.sitrep import (
    EXCLUSION_NOTE,
    ActionRow,
    AreaRow,
    EpicurvePoint,
    LabSummary,
    LabTestCount,
    ResourceRow,
    SitrepData,
    TimelinessMetric,
    TimelinessStatus,
    offline_fetcher,
    printable,
    render_html,
    render_pdf,
)

SECTIONS = (
    "Summary",
    "Epidemic curve",
    "Cases and deaths by area",
    "Laboratory summary",
    "Risk assessment",
    "Actions and 7-1-7 timeliness",
    "Resources requested and delivered",
)
CURVE = (
    ("2026-W40", 3, 0),
    ("2026-W41", 12, 1),
    ("2026-W42", 30, 2),
    ("2026-W43", 1234, 5),
    ("2026-W44", 7, 0),
)


def make(**changes: object) -> SitrepData:
    values: dict[str, object] = {
        "title": "Dengue outbreak, Chiang Mai",
        "country": "Thailand",
        "hazard": "Dengue fever",
        "status": "active",
        "risk_level": "high",
        "risk_confidence": "moderate",
        "opened_on": dt.date(2026, 10, 1),
        "generated_at": dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC),
        "generated_by": "Duangjai Srisuk (EOC officer)",
        "period_start": dt.date(2026, 9, 28),
        "period_end": dt.date(2026, 11, 1),
        "summary": "Cases rose sharply in week 43.\nVector control has started.",
        "epicurve": tuple(EpicurvePoint(w, c, d) for w, c, d in CURVE),
        "areas": (
            AreaRow("TH-50", "Chiang Mai", 1180, 7),
            AreaRow("TH-57", "Chiang Rai", 106, 1),
        ),
        "lab": LabSummary(
            tests=(
                LabTestCount("pcr", "positive", 41),
                LabTestCount("pcr", "negative", 59),
                LabTestCount("rdt", "positive", 17),
                LabTestCount("rdt", "pending", 6),
            ),
            positivity=0.3867,
            median_turnaround_days=2.5,
        ),
        "risk_assessment": "National risk high: transmission is sustained in two provinces.",
        "actions": (
            ActionRow("Deploy rapid response team", "done", "Provincial health office"),
            ActionRow("Larval source reduction", "in progress", "", dt.date(2026, 11, 30)),
        ),
        "timeliness": (
            TimelinessMetric("detection", 7, TimelinessStatus.MET, 4),
            TimelinessMetric("notification", 1, TimelinessStatus.MISSED, 3, "Holiday weekend"),
            TimelinessMetric("response", 7, TimelinessStatus.PENDING, 2),
        ),
        "resources": (ResourceRow("Insecticide", "litre", 800, 600, "ASEAN stockpile"),),
    }
    values.update(changes)
    return SitrepData(**values)  # type: ignore[arg-type]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


class TagCollector(HTMLParser):
    """Start tags (with their attributes' names) and the text of each element, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(name for name, _ in attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    collector.close()
    return collector


# --- HTML ----------------------------------------------------------------------------------------


def test_html_has_every_section_and_figure() -> None:
    html = render_html(make())
    text = squash(" ".join(parse(html).text))
    for heading in SECTIONS:
        assert f">{heading}</h2>" in html
    assert html.count("<h1>") == 1
    for expected in (
        "Dengue outbreak, Chiang Mai",
        "Thailand",
        "Dengue fever",
        "high (confidence: moderate)",
        "Sep 28, 2026 to Nov 1, 2026",  # dates as the language writes them
        "Nov 26, 2026, 10:05 UTC by Duangjai Srisuk (EOC officer)",
        "Cases: 1,286",  # the curve's total
        "Deaths: 8",
        "TH-50 Chiang Mai 1,180 7 0.6%",
        "TH-57 Chiang Rai 106 1 0.9%",
        "All areas 1,286 8 0.6%",
        "Tests: 123",
        "Positivity: 38.7%",
        "Median turnaround: 2.5 days",
        "pcr 41 59 0 100",  # positive, negative, pending, total
        "rdt 17 0 6 23",
        "All tests 58 59 6 123",
        "transmission is sustained in two provinces",
        "Deploy rapid response team done Provincial health office –",
        "Larval source reduction in progress – Nov 30, 2026",
        "detection 7 4 met –",
        "notification 1 3 missed Holiday weekend",
        "response 7 2 pending",
        "Insecticide litre 800 600 75.0% ASEAN stockpile",
        EXCLUSION_NOTE,
    ):
        assert expected in text, expected
    for week, cases, deaths in CURVE:
        assert f"{week} {cases:,} {deaths:,}" in text


def test_html_keeps_line_breaks_of_free_text() -> None:
    html = render_html(make())
    assert "Cases rose sharply in week 43.\nVector control has started." in html
    assert "white-space: pre-line" in html


def test_html_is_self_contained() -> None:
    html = render_html(make())
    assert "<script" not in html
    assert "<link" not in html
    assert not re.search(r"(src|href)\s*=", html)
    assert "url(" not in html
    assert "size: A4" in html
    assert "counter(page)" in html and "counter(pages)" in html


def test_empty_sections_say_so() -> None:
    html = render_html(
        make(
            summary="  ",
            epicurve=(),
            areas=(),
            lab=LabSummary(),
            risk_assessment="",
            actions=(),
            timeliness=(),
            resources=(),
        )
    )
    for message in (
        "No summary written yet.",
        "No weekly counts yet.",
        "No cases reported by area yet.",
        "No lab results yet.",
        "No risk assessment written yet.",
        "No actions recorded yet.",
        "No 7-1-7 timeliness measured yet.",
        "No resources requested yet.",
    ):
        assert message in html
    assert "<svg" not in html
    for heading in SECTIONS:
        assert f">{heading}</h2>" in html


def test_lab_summary_from_results() -> None:
    lab = LabSummary.from_results(
        [("pcr", "positive")] * 3 + [("pcr", "negative")] + [("rdt", "indeterminate")],
        [1, 4, 2],
    )
    assert set(lab.tests) == {
        LabTestCount("pcr", "positive", 3),
        LabTestCount("pcr", "negative", 1),
        LabTestCount("rdt", "indeterminate", 1),
    }
    assert lab.positivity == 0.75  # indeterminate results have no say
    assert lab.median_turnaround_days == 2
    assert LabSummary.from_results([("pcr", "pending")]).positivity is None


# --- the epicurve --------------------------------------------------------------------------------


def bars(html: str) -> list[tuple[str, int, float]]:
    """``(week, data-cases, height)`` of every case bar, in drawing order."""
    found = re.findall(
        r'<g class="week" data-week="([^"]+)" data-cases="(\d+)"[^>]*>.*?'
        r'<rect class="bar cases"[^>]*height="([\d.]+)"',
        html,
    )
    return [(week, int(cases), float(height)) for week, cases, height in found]


def test_epicurve_has_one_bar_per_week_in_order() -> None:
    html = render_html(make())
    drawn = bars(html)
    assert html.count('class="bar cases"') == len(CURVE)
    assert [week for week, _, _ in drawn] == [week for week, _, _ in CURVE]
    assert [cases for _, cases, _ in drawn] == [cases for _, cases, _ in CURVE]
    heights = [height for _, _, height in drawn]
    # Heights are proportional to the cases: same order, same ratios.
    assert sorted(range(len(CURVE)), key=lambda i: heights[i]) == sorted(
        range(len(CURVE)), key=lambda i: CURVE[i][1]
    )
    assert heights[3] / heights[1] == pytest.approx(1234 / 12, rel=0.01)
    # Deaths are drawn only for weeks that have some.
    assert html.count('class="bar-deaths"') == sum(1 for _, _, d in CURVE if d)
    assert 'role="img"' in html and "<desc" in html


def test_epicurve_scales_to_long_series() -> None:
    points = tuple(
        EpicurvePoint(f"{2021 + i // 52}-W{i % 52 + 1:02d}", (i * 37) % 101, i % 3)
        for i in range(260)
    )
    html = render_html(make(epicurve=points))
    assert html.count('class="bar cases"') == 260
    assert 0 < html.count('class="week-label"') <= 10
    assert [c for _, c, _ in bars(html)] == [p.cases for p in points]


def test_epicurve_of_zero_cases_draws_flat_bars() -> None:
    html = render_html(make(epicurve=(EpicurvePoint("2026-W01", 0), EpicurvePoint("2026-W02", 0))))
    assert [h for _, _, h in bars(html)] == [0, 0]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"generated_at": dt.datetime(2026, 11, 26, 10, 0)}, "generated_at"),
        ({"period_start": dt.date(2026, 12, 1)}, "period_end"),
        ({"epicurve": (EpicurvePoint("2026-07", 1),)}, "epicurve[0].week"),
        ({"epicurve": (EpicurvePoint("2026-W54", 1),)}, "epicurve[0].week"),
        (
            {"epicurve": (EpicurvePoint("2026-W02", 1), EpicurvePoint("2026-W01", 1))},
            "epicurve[1].week",
        ),
        ({"epicurve": (EpicurvePoint("2026-W02", -1),)}, "epicurve[0].cases"),
        ({"areas": (AreaRow("TH-50", "Chiang Mai", 3, -1),)}, "areas[0].deaths"),
        ({"lab": LabSummary(positivity=1.5)}, "lab.positivity"),
        (
            {"timeliness": (TimelinessMetric("notification", 1, TimelinessStatus.MET, 3),)},
            "timeliness[0].status",
        ),
        (
            {"timeliness": (TimelinessMetric("detection", 7, TimelinessStatus.PENDING, 9),)},
            "timeliness[0].status",
        ),
        (
            {"timeliness": (TimelinessMetric("detection", 7, TimelinessStatus.MISSED, None),)},
            "timeliness[0].status",
        ),
        ({"resources": (ResourceRow("Masks", "box", -5),)}, "resources[0].requested"),
    ],
)
def test_inconsistent_data_is_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        make(**changes)
    assert field in [error.field for error in caught.value.errors]


# --- PDF -----------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Sockets refuse to connect; the test fails if anything tried (WeasyPrint swallows errors)."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("a report tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], "a report tried to reach the network"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return squash(" ".join(page.extract_text() for page in reader.pages))


def test_pdf_holds_the_title_sections_weeks_and_figures(no_network: list[object]) -> None:
    pdf = render_pdf(make(title="Dengue outbreak, Chiang Mai (Việt Nam border check)"))
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Dengue outbreak, Chiang Mai (Việt Nam border check)" in text
    for heading in SECTIONS:
        assert heading in text, heading
    for week, cases, deaths in CURVE:
        assert f"{week} {cases:,} {deaths}" in text, week
    for expected in ("1,286", "Chiang Rai", "38.7%", "Holiday weekend", "ASEAN stockpile"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(pdf))
    assert "Page 1 of" in reader.pages[0].extract_text()
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)


def test_pdf_of_an_empty_event(no_network: list[object]) -> None:
    pdf = render_pdf(make(epicurve=(), areas=(), lab=LabSummary(), actions=(), resources=()))
    assert "No lab results yet." in pdf_text(pdf)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/logo.png",
        "https://fonts.example.org/font.woff2",
        "file:///etc/passwd",
        "ftp://example.org/x.css",
    ],
)
def test_the_fetcher_refuses_everything_but_data_urls(url: str, no_network: list[object]) -> None:
    fetcher = offline_fetcher()
    with pytest.raises(ValueError, match="offline"):
        fetcher(url)
    response = fetcher("data:text/plain;charset=utf-8,hello")
    assert response.read() == b"hello"


def test_a_remote_resource_in_the_page_is_left_out_without_network(
    no_network: list[object], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Not reachable from a report's data (text is escaped); here forced into the template.
    import healthbridge.reports.sitrep as sitrep

    page = render_html(make())
    remote = page.replace("</main>", '<img src="http://example.org/x.png" alt="x"></main>').replace(
        "<style>", '<style>@import url("https://example.org/a.css");'
    )
    monkeypatch.setattr(sitrep, "render_html", lambda data: remote)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        assert render_pdf(make()).startswith(b"%PDF-")
    refused = [r.getMessage() for r in caplog.records if "rendered offline" in r.getMessage()]
    assert any("example.org/x.png" in m for m in refused)
    assert any("example.org/a.css" in m for m in refused)


# --- free text never breaks the page (hypothesis) -------------------------------------------------

FREE_TEXT = st.text(max_size=80)
MARKUP_LIKE = st.sampled_from(
    ["<script>alert(1)</script>", "</table><h1>x", '"><img src=x onerror=1>', "{{ 7*7 }}", "&amp;"]
)
TEXT = st.one_of(FREE_TEXT, MARKUP_LIKE, st.tuples(FREE_TEXT, MARKUP_LIKE).map("".join))


def with_text(text: str) -> SitrepData:
    return make(
        title=text if printable(text).strip() else "x",
        country=text,
        hazard=text,
        status=text,
        summary=text,
        risk_assessment=text,
        generated_by=text,
        areas=(AreaRow(text, text, 5, 1),),
        lab=LabSummary(tests=(LabTestCount(text, text, 2),), positivity=0.5),
        actions=(ActionRow(text, text, text),),
        timeliness=(TimelinessMetric(text, 7, TimelinessStatus.MET, 1, text),),
        resources=(ResourceRow(text, text, 3, 1, text),),
    )


BASELINE_TAGS = parse(render_html(with_text("x"))).tags


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_free_text_is_escaped_and_never_changes_the_markup(text: str) -> None:
    html = render_html(with_text(text))
    assert parse(html).tags == BASELINE_TAGS
    shown = printable(text)
    if shown.strip():
        assert str(escape(shown)) in html
    assert "<script" not in html


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
def test_pdf_renders_whatever_the_free_text(text: str, no_network: list[object]) -> None:
    pdf = render_pdf(with_text(text))
    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1


def test_control_characters_are_dropped() -> None:
    assert printable("a\x00b\x07c\ud800d\ufffe\te\nf") == "abcd\te\nf"
    html = render_html(with_text("bad\x00\x1bname"))
    assert "badname" in html and "\x00" not in html and "\x1b" not in html


# --- the bench does not rot ----------------------------------------------------------------------


def test_bench_builds_a_valid_report() -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "sitrep.py"
    spec = importlib.util.spec_from_file_location("bench_sitrep", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.synthetic(years=1, areas=3)
    assert len(data.epicurve) == 52 and len(data.areas) == 3
    assert render_html(data).count('class="bar cases"') == 52


def test_a_very_long_word_wraps_in_fixed_columns(no_network: list[object]) -> None:
    word = "x" * 2000
    html = render_html(make(areas=(AreaRow("TH-50", word, 1, 0),), summary=word))
    assert "table-layout: fixed" in html
    pdf = render_pdf(make(areas=(AreaRow("TH-50", word, 1, 0),), summary=word))
    assert "x" * 40 in pdf_text(pdf)
