"""Every page the app lists passes axe-core's WCAG 2.1 A and AA rules, for a regional user and a
country user, on the demo's records.

The page routes come from ``healthbridge.api.iter_routes()`` (GET, outside the API prefix), so a
new page is checked as soon as it is routed; the path parameters are filled with real ids from
the demo (``flows.load_demo``). Only routes that are not HTML pages are skipped, each with its
reason in ``NOT_PAGES``. axe-core is vendored in ``tests/e2e/vendor/`` and injected by the test
alone. A page fails on any violation of impact serious or critical; the failure lists each one
(rule, impact, target, page, user).

Keyboard: the skip link moves the focus to the main content, and Tab reaches the skip link, the
main navigation and then the first field of a form page, in that order.

Rendering does not depend on the database engine, so these run on SQLite only (the module
narrows the ``backend`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import TIMEOUT_MS

from healthbridge import flows
from healthbridge.api import API_PREFIX, iter_routes
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.cooperation.projects.models import Project
from healthbridge.cooperation.training.models import Programme
from healthbridge.db import unit_of_work
from healthbridge.eoc.investigation_models import FieldInvestigation
from healthbridge.eoc.models import PublishedAlert
from healthbridge.policy import Principal
from healthbridge.resources.models import AllocationPlan, Lot, ResourceRequest
from healthbridge.surveillance.models import CaseReport, Signal

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
REGIONAL_USER = "admin@healthbridge.demo"  # regional administrator: every regional page
COUNTRY_USER = "epi.tha@healthbridge.demo"  # Thailand's epidemiologist: case-level pages

#: Page routes that are not HTML pages, and why they are not checked.
NOT_PAGES = {
    "/healthz": "a JSON health check",
    "/static/vendor/plotly.min.js": "a JavaScript file",
    "/favicon.ico": "an icon",
    "/alerts/feed.atom": "an Atom feed (XML)",
    "/alerts/{identifier}.xml": "a CAP alert (XML)",
    "/meetings/{meeting_id}/commitments": "an htmx fragment of the meeting page, checked there",
    "/situation/panels/{name}": "an htmx fragment of the situation room, checked there",
    "/language/{code}": "the language switch: a redirect back to the page it was used on",
}
#: ``sitrep.{format}`` also serves PDF and Markdown; only its HTML form is a page.
FORMATS = {"/eoc/events/{event_id}/sitrep.{format}": "html"}

AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: tags, resultTypes: ['violations']});
  return results.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
}"""
#: htmx sections that load after the page: wait until none is in flight.
HTMX_SETTLED = "() => !document.querySelector('.htmx-request')"
LOADS_LATER = '[hx-trigger="load"]'


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Accessibility is a property of the markup, not of the database: SQLite only."""
    return str(request.param)


@dataclass(frozen=True)
class Violation:
    user: str
    page: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page} ({self.user}): {self.rule} [{self.impact}] {self.help}\n" + "\n".join(
            f"    - {target}" for target in self.targets[:8]
        )


def _demo_ids(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, str]:
    """Load the demo; the value of every path parameter, from its real records."""

    def first(session: Session, column: Any, *where: Any) -> str:
        value = session.scalars(select(column).where(*where).order_by(column).limit(1)).first()
        assert value is not None, f"the demo has no {column}"
        return str(value)

    with unit_of_work(session_factory) as session:
        flows.load_demo(session=session, actor=operator)
        investigation = session.scalars(
            select(FieldInvestigation).order_by(FieldInvestigation.id).limit(1)
        ).one()
        return {
            "code": "THA",
            "country": "THA",
            "signal_id": first(session, Signal.id),
            "case_report_id": first(session, CaseReport.id, CaseReport.country_code == "THA"),
            "event_id": str(investigation.event_id),
            "investigation_id": str(investigation.id),
            "identifier": first(session, PublishedAlert.identifier),
            "lot_id": first(session, Lot.id),
            "plan_id": first(session, AllocationPlan.id),
            "request_id": first(session, ResourceRequest.id),
            "meeting_id": first(session, Meeting.id),
            "commitment_id": first(session, Commitment.id),
            "project_id": first(session, Project.id),
            "training_code": first(session, Programme.code),
        }


def page_paths(ids: dict[str, str]) -> list[str]:
    """Every HTML page route of the app, with its parameters filled from ``ids``."""
    paths = []
    for path, route in iter_routes():
        if "GET" not in route.methods or path.startswith(API_PREFIX) or path in NOT_PAGES:
            continue
        values = dict(ids, format=FORMATS.get(path, ""))
        if path.startswith("/training/"):
            values["code"] = ids["training_code"]
        paths.append(path.format_map(values))
    return paths


@pytest.fixture
def demo_ids(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, str]:
    return _demo_ids(session_factory, operator)


@pytest.fixture
def signed_in(browser: Browser, live_server: str, demo_ids: dict[str, str]) -> Iterator[Any]:
    """``signed_in(email)``: a page in a new context, signed in as that demo user."""
    contexts: list[BrowserContext] = []

    def open_as(email: str) -> Page:
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server, email, password=flows.DEMO_PASSWORD)
        return page

    yield open_as
    for context in contexts:
        context.close()


def audit(page: Page, path: str, user: str) -> tuple[int, list[Violation]]:
    """Open ``path`` and run axe on it: the HTTP status and the failing violations."""
    response = page.goto(path)
    assert response is not None, path
    if page.locator(LOADS_LATER).count():
        page.wait_for_load_state("networkidle")  # the sections htmx fetches once the page loads
    page.wait_for_function(HTMX_SETTLED)
    found = page.evaluate(AXE_RUN, WCAG_TAGS)
    return response.status, [
        Violation(user, path, v["rule"], v["impact"], v["help"], tuple(v["targets"]))
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]


def test_every_page_has_no_serious_accessibility_violation(
    signed_in: Any, demo_ids: dict[str, str]
) -> None:
    paths = page_paths(demo_ids)
    assert len(paths) > 40 and not [path for path in paths if "{" in path]
    assert f"/eoc/events/{demo_ids['event_id']}/sitrep.html" in paths
    violations: list[Violation] = []
    statuses: dict[str, list[int]] = {path: [] for path in paths}
    for user in (REGIONAL_USER, COUNTRY_USER):
        page = signed_in(user)
        for path in paths:
            status, found = audit(page, path, user)
            statuses[path].append(status)
            violations.extend(found)
    server_errors = {path: codes for path, codes in statuses.items() if max(codes) >= 500}
    assert not server_errors, f"pages failed with a server error: {server_errors}"
    never_shown = sorted(path for path, codes in statuses.items() if 200 not in codes)
    assert not never_shown, f"pages neither user could open (check the demo ids): {never_shown}"
    assert not violations, (
        f"{len(violations)} serious or critical accessibility violations:\n"
        + "\n".join(str(v) for v in violations)
    )


def test_the_sign_in_page_has_no_serious_accessibility_violation(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(base_url=live_server)
    context.add_init_script(path=str(AXE))
    try:
        page = context.new_page()
        status, violations = audit(page, "/login", "anonymous")
        assert status == 200
        assert not violations, "\n".join(str(v) for v in violations)
    finally:
        context.close()


def test_the_skip_link_and_tab_order_lead_to_the_navigation_and_the_form(
    signed_in: Any, live_server: str
) -> None:
    page = signed_in(REGIONAL_USER)
    page.goto("/meetings/new")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused

    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/meetings/new#main")
    expect(page.locator("main")).to_be_focused()
    # From the main content, Tab stays in it (past the breadcrumb) and reaches the form's first
    # field, without passing through the header or the navigation again.
    first_field = page.locator("main form input:not([type=hidden]), main form select").first
    for _ in range(5):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('main')")
        if page.evaluate("(el) => el === document.activeElement", first_field.element_handle()):
            break
    expect(first_field).to_be_focused()

    # Without the skip link: the header, then the main navigation, then the form.
    page.goto("/meetings/new")
    order: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
              const el = document.activeElement;
              if (el.classList.contains('skip-link')) return 'skip link';
              if (el.closest('nav.mainnav')) return 'nav';
              if (el.closest('main form')) return 'form';
              if (el.closest('header')) return 'header';
              if (el.closest('main')) return 'main';
              return el.tagName.toLowerCase();
            }"""
        )
        if not order or order[-1] != where:
            order.append(where)
        if where == "form":
            break
    # The skip link, the header (brand, account), the navigation, the breadcrumb, the form.
    assert order == ["skip link", "header", "nav", "main", "form"], order
    focus_ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none", "the focused field shows no focus outline"


def test_the_language_switch_to_korean_and_indonesian(signed_in: Any, live_server: str) -> None:
    """The switch translates the layout, sets ``lang``, is remembered, and stays accessible."""
    page = signed_in(REGIONAL_USER)
    for code, sign_out in (("ko", "로그아웃"), ("id", "Keluar")):
        page.goto("/eoc")
        page.locator(f'[data-testid="language-switch"] a[lang="{code}"]').click()
        expect(page).to_have_url(f"{live_server}/eoc")
        assert page.get_attribute("html", "lang") == code
        expect(page.locator("header")).to_contain_text(sign_out)
        page.goto("/resources")  # remembered on the next page
        assert page.get_attribute("html", "lang") == code
        status, violations = audit(page, "/eoc", REGIONAL_USER)
        assert status == 200 and not violations, "\n".join(str(v) for v in violations)
    page.locator('[data-testid="language-switch"] a[lang="en"]').click()
    assert page.get_attribute("html", "lang") == "en"
