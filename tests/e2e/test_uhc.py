"""UHC progress in a real browser: the regional comparison drawn by Plotly, switching the
indicator with htmx, and a country's trends, with no console error."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.cooperation.uhc import demo
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]


def test_compare_the_region_switch_indicator_and_open_a_countrys_trends(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    page_log: PageLog,
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    sign_in(page, live_server, make_user(Role.FOCAL_POINT, "LAO").email)

    page.get_by_role("navigation", name="Modules").get_by_role("link", name="UHC").click()
    expect(page).to_have_url(f"{live_server}/uhc")
    expect(page.get_by_role("heading", level=1)).to_have_text("UHC progress")
    chart = page.get_by_test_id("comparison-chart")
    expect(chart).to_have_attribute("data-indicator", "UHC_INDEX_REPORTED")
    expect(chart).to_have_attribute("aria-label", re.compile(r"^Bar chart: UHC service coverage"))
    # Plotly drew the bars: one per country, all 14.
    expect(chart.locator("g.point")).to_have_count(14)
    table = page.get_by_test_id("comparison-table")
    expect(table.locator("tbody tr")).to_have_count(14)
    expect(table.locator("caption")).to_contain_text("UHC service coverage index by country, 2021")
    page.evaluate("window.__hbNoReload = 'still here'")

    with page.expect_response(
        lambda r: "/uhc?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as swapped:
        page.get_by_label("Indicator").select_option("WHS4_100")
    assert swapped.value.status == 200

    chart = page.get_by_test_id("comparison-chart")
    expect(chart).to_have_attribute("data-indicator", "WHS4_100")
    expect(chart.locator("g.point")).to_have_count(14)
    expect(page.get_by_role("heading", level=2)).to_have_text("DTP3 immunisation coverage, 2022")
    expect(page.get_by_label("Year")).to_have_value("2022")
    expect(table.locator("caption")).to_contain_text("DTP3 immunisation coverage by country")
    expect(page).to_have_url(re.compile(r"/uhc\?indicator=WHS4_100$"))
    assert page.evaluate("window.__hbNoReload") == "still here"

    with page.expect_response(lambda r: "year=2021" in r.url):
        page.get_by_label("Year").select_option("2021")
    expect(page.get_by_role("heading", level=2)).to_have_text("DTP3 immunisation coverage, 2021")
    expect(page.get_by_test_id("comparison-table").locator("tbody tr").last).to_contain_text(
        "Myanmar"
    )

    page.get_by_test_id("comparison-table").get_by_role("link", name="Lao PDR").click()
    expect(page).to_have_url(f"{live_server}/uhc/LAO")
    expect(page.get_by_role("heading", level=1)).to_have_text("UHC progress: Lao PDR")
    trends = page.locator("[data-figure]")
    expect(trends).to_have_count(7)
    for index in range(7):
        expect(trends.nth(index).locator(".main-svg").first).to_be_visible()
    uhc = page.get_by_test_id("trend-UHC_INDEX_REPORTED")
    expect(uhc.locator("g.scatterlayer g.trace").first.locator("path.point")).to_have_count(4)
    expect(uhc.locator("tbody tr")).to_have_count(4)
    expect(uhc.locator("tbody tr").first).to_contain_text("2015")

    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == [], "everything must come from the app (no CDN)"
    assert page_log.errors == []
