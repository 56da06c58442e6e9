"""The situation room in a real browser: a regional user and a Thai user see the map of the 14
countries and different figures; a panel reloads itself (htmx polling); the page fits a phone.

Every test runs on SQLite and on PostgreSQL, against the app served by uvicorn, in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog
from tests.web.situation_arrange import arrange

from healthbridge.accounts.models import User
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]


def _map_and_panels(page: Page) -> None:
    expect(page.get_by_test_id("situation-map").locator("path")).to_have_count(14)
    for heading in (
        "Risk by country",
        "Open events by risk",
        "7-1-7 timeliness",
        "Unmet critical requests",
        "Commitments due or overdue",
        "Latest events and their sitreps",
    ):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("link", name="All critical requests")).to_have_attribute(
        "href", "/resources/requests?priority=critical"
    )


def test_regional_and_thai_users_see_different_figures(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    arrange(session_factory)
    regional = make_user(Role.SECRETARIAT, None, full_name="Siti Rahmawati")
    thai = make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk")
    page.clock.install()

    sign_in(page, live_server, regional.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Siti Rahmawati")
    _map_and_panels(page)
    expect(page.get_by_test_id("open-events")).to_have_text("1")
    expect(page.locator('path[data-country="KHM"]')).to_have_attribute("data-risk", "moderate")
    expect(page.locator('path[data-country="THA"]')).to_have_attribute("data-risk", "none")
    expect(page.locator('path[data-country="VNM"]')).to_have_attribute("data-risk", "none")
    expect(page.get_by_test_id("no-case-figures")).to_be_visible()
    expect(page.get_by_test_id("cases-this-week")).to_have_count(0)
    table = page.get_by_test_id("map-table")
    expect(table.locator('tr[data-country="KHM"]')).to_contain_text("Moderate")

    # A panel reloads itself: a minute later, htmx polls its fragment route.
    panel = page.locator("#panel-events")
    with page.expect_response(lambda r: "/situation/panels/events" in r.url) as reloaded:
        page.clock.fast_forward(61_000)
    assert reloaded.value.status == 200
    expect(panel.get_by_test_id("open-events")).to_have_text("1")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, thai.email)
    _map_and_panels(page)
    expect(page.get_by_test_id("open-events")).to_have_text("4")
    expect(page.locator('path[data-country="THA"]')).to_have_attribute("data-risk", "high")
    expect(page.locator('path[data-country="VNM"]')).to_have_attribute("data-risk", "none")
    expect(page.get_by_test_id("cases-this-week")).to_have_text("1")
    expect(page.get_by_test_id("cases-four-weeks")).to_have_text("2")
    expect(page.get_by_text("Unshared Vietnamese event")).to_have_count(0)
    page.get_by_role("link", name="THA: Thai dengue surge").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thai dengue surge")

    assert page_log.errors == []
    assert page_log.foreign_requests == []


def test_wall_mode_and_a_phone_width(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    arrange(session_factory)
    user = make_user(Role.EOC_OFFICER, "THA")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, user.email)
    _map_and_panels(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"

    page.clock.install()
    page.goto("/situation?wall=1")
    expect(page.locator("body")).to_have_class("situation-wall")
    expect(page.get_by_role("navigation", name="Modules")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional situation room")
    expect(page.get_by_test_id("situation-map").locator("path")).to_have_count(14)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page_log.errors == []

    # The session ends while the wall screen polls: the next poll takes the whole screen to the
    # sign-in page (and back to the wall afterwards), not the sign-in form into one panel.
    page.context.clear_cookies()
    page.clock.fast_forward(61_000)
    expect(page).to_have_url(re.compile(r"/login\?next=/situation%3Fwall%3D1$"))
    expect(page.locator("#panel-events")).to_have_count(0)
