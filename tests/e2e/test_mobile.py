"""The platform on a phone (390 × 844 px): the signal triage queue, an event page and the
commitment tracker fit the screen without the page scrolling sideways (wide tables scroll inside
themselves), the main navigation stays usable, and each page's main action can be done there.

Run on the demo's records (``flows.load_demo``) as the demo's regional administrator. Layout does
not depend on the database engine, so these run on SQLite only (the module narrows the
``backend`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import TIMEOUT_MS, PageLog
from tests.e2e.test_accessibility import (
    AXE,
    AXE_RUN,
    FAILING_IMPACTS,
    HTMX_SETTLED,
    LOADS_LATER,
    WCAG_TAGS,
)

from healthbridge import flows
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.db import unit_of_work
from healthbridge.eoc.models import Event
from healthbridge.policy import Principal

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844
USER = "admin@healthbridge.demo"
#: How far the page scrolls sideways, beyond the viewport (0 when it fits).
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
#: Elements wider than the viewport that are not inside a sideways-scrolling box.
WIDE_ELEMENTS = """(width) => {
  const scrolls = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el))
    .slice(0, 10)
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (typeof el.className === 'string' && el.className
        ? '.' + el.className.split(' ').join('.') : ''));
}"""


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Layout is a property of the markup and the CSS, not of the database: SQLite only."""
    return str(request.param)


@pytest.fixture
def phone(
    browser: Browser,
    live_server: str,
    session_factory: sessionmaker[Session],
    operator: Principal,
    page_log: PageLog,
) -> Iterator[Page]:
    """The demo, and a page 390 px wide, signed in as the regional administrator."""
    with unit_of_work(session_factory) as session:
        flows.load_demo(session=session, actor=operator)
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(AXE))
    context.on("request", page_log.on_request)
    page = context.new_page()
    page.on("console", page_log.on_console)
    page.on("pageerror", page_log.on_page_error)
    sign_in(page, live_server, USER, password=flows.DEMO_PASSWORD)
    try:
        yield page
    finally:
        context.close()


def assert_fits(page: Page) -> None:
    """The page does not scroll sideways at 390 px, and nothing sticks out of it."""
    page.wait_for_load_state("load")
    if page.locator(LOADS_LATER).count():
        page.wait_for_load_state("networkidle")
    page.wait_for_function(HTMX_SETTLED)
    page.evaluate(NEXT_FRAME)
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(WIDE_ELEMENTS, WIDTH)
    assert scroll_width <= WIDTH, f"{page.url} is {scroll_width} px wide; too wide: {wide}"
    assert page.evaluate(OVERFLOW) <= 0
    assert wide == [], f"{page.url}: elements wider than the screen: {wide}"
    # At this width the wide tables scroll: axe checks (among others) that a keyboard reaches them.
    violations = [
        f"{v['rule']} [{v['impact']}] {v['help']}: {v['targets'][:5]}"
        for v in page.evaluate(AXE_RUN, WCAG_TAGS)
        if v["impact"] in FAILING_IMPACTS
    ]
    assert violations == [], f"{page.url} at {WIDTH} px: {violations}"


def assert_navigation_usable(page: Page) -> None:
    """Every link of the main navigation is on screen (the list wraps) and large enough to tap."""
    links = page.get_by_role("navigation", name="Modules").get_by_role("link")
    assert links.count() >= 5
    for box in (links.nth(i).bounding_box() for i in range(links.count())):
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
        assert box["height"] >= 24, box  # WCAG 2.5.8: targets of at least 24 × 24 px
        assert box["width"] >= 24, box


def assert_on_screen(locator: Locator) -> None:
    """The control is visible and entirely within the 390 px width."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box


def test_the_signal_queue_fits_a_phone_and_triages_there(phone: Page, live_server: str) -> None:
    page = phone
    page.goto("/surveillance/signals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signals")
    assert_fits(page)
    assert_navigation_usable(page)
    # The queue's own filters reach the page through the navigation as well.
    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Signals").click()
    expect(page).to_have_url(f"{live_server}/surveillance/signals")

    row = (
        page.locator("tr[data-signal]")
        .filter(has=page.locator(".signal-status-new"))
        .filter(has=page.get_by_role("button", name="Discard"))
        .first
    )
    signal_id = row.get_attribute("data-signal")
    discard = row.get_by_role("button", name="Discard")
    assert_on_screen(discard)  # scrolled into view within the table's own scroll box
    discard.tap()
    expect(
        page.locator(f'tr[data-signal="{signal_id}"]').get_by_test_id("signal-status")
    ).to_have_text("Discarded")
    assert_fits(page)


def test_an_event_page_fits_a_phone_and_its_risk_can_be_assessed_there(
    phone: Page, live_server: str, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        event_id = session.scalars(
            select(Event.id)
            .where(Event.status.in_(("risk_assessed", "responding")))
            .order_by(Event.id)
            .limit(1)
        ).one()
    page = phone
    page.goto(f"/eoc/events/{event_id}")
    assert_fits(page)
    assert_navigation_usable(page)

    assess = page.get_by_role("form", name="Assess the risk")
    assert_on_screen(assess.get_by_label("Risk level"))
    assess.get_by_label("Risk level").select_option("moderate")
    assess.get_by_label("Note").fill("Reassessed from the field on a phone")
    button = assess.get_by_role("button", name="Assess the risk")
    assert_on_screen(button)
    button.tap()
    expect(page).to_have_url(re.compile(rf"{live_server}/eoc/events/{event_id}"))
    expect(page.get_by_text("Reassessed from the field on a phone").first).to_be_visible()
    assert_fits(page)


def test_the_commitment_tracker_fits_a_phone_and_a_status_changes_there(
    phone: Page, live_server: str, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        commitment = session.scalars(
            select(Commitment)
            .where(Commitment.status.in_(("agreed", "in_progress")))
            .order_by(Commitment.id)
            .limit(1)
        ).one()
        commitment_id, text = commitment.id, commitment.text
    page = phone
    page.goto("/commitments")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_fits(page)
    assert_navigation_usable(page)

    link = page.locator("#commitments table").get_by_role("link", name=text, exact=True)
    assert_on_screen(link)
    link.tap()
    expect(page).to_have_url(f"{live_server}/commitments/{commitment_id}")
    assert_fits(page)
    status = page.get_by_label("New status")
    assert_on_screen(status)
    status.select_option("delivered")
    page.get_by_label("Note").fill("Delivered, recorded from a phone")
    page.get_by_label("Link (http or https)").fill("https://example.org/report.pdf")
    save = page.locator("form").filter(has=status).get_by_role("button")
    assert_on_screen(save)
    save.tap()
    expect(page.get_by_test_id("status")).to_have_text("Delivered")
    assert_fits(page)
