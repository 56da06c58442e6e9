"""Cooperation projects in a real browser: the portfolio, a sector filter, a project's results.

Runs on SQLite and on PostgreSQL, against the app served by uvicorn, in a fresh Chromium context.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import load_demo_projects
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.policy import Principal, Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]


def test_portfolio_sector_filter_and_results(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    operator: Principal,
    page_log: PageLog,
) -> None:
    load_demo_projects(session_factory, operator)
    sign_in(page, live_server, make_user(Role.VIEWER, "IDN", full_name="Siti Rahma").email)

    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Projects").click()
    expect(page).to_have_url(f"{live_server}/projects")
    # A link click returns once the new page commits, which can be before htmx (a deferred
    # script) has wired the filter form: a change fired then is lost. Wait for the load event.
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cooperation projects")
    table = page.locator("#projects")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(table.locator("caption")).to_have_text("4 projects")
    page.evaluate("window.__hbNoReload = 'still here'")

    with page.expect_response(
        lambda r: "/projects?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_label("Sector", exact=True).select_option("12281")
    expect(rows).to_have_count(1)
    expect(table.locator("caption")).to_have_text("1 project")
    expect(rows.first).to_contain_text("Global biomanufacturing workforce training hub")
    expect(rows.first).to_contain_text("Ministry of Health and Welfare")
    expect(rows.first).to_contain_text("USD 7,000,000")  # budget 2023–2025
    expect(rows.first).to_contain_text("USD 6,730,000")  # disbursed
    assert page.evaluate("window.__hbNoReload") == "still here"
    expect(page).to_have_url(re.compile(r"/projects\?.*sector=12281"))

    rows.first.get_by_role("link", name="Global biomanufacturing workforce training hub").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Global biomanufacturing workforce training hub"
    )
    expect(page.get_by_role("heading", level=2, name="Results")).to_be_visible()
    trained = page.get_by_role(
        "table", name=re.compile("Trainees from ASEAN Member States who completed a course")
    )
    expect(trained.locator("tbody tr")).to_have_count(3)
    first_year = trained.locator("tbody tr").first
    expect(first_year).to_contain_text("Jan 1, 2023 – Dec 31, 2023")
    expect(first_year).to_contain_text("150")
    expect(first_year).to_contain_text("168")
    expect(first_year).to_contain_text("112 % of the way to the target (168 of 150)")
    expect(first_year.locator("progress")).to_have_attribute("value", "100")
    last_year = trained.locator("tbody tr").last
    expect(last_year).to_contain_text("95.6 % of the way to the target (430 of 450)")
    expect(page.get_by_role("link", name="IATI XML of this project")).to_have_attribute(
        "href", "/api/v1/projects/iati.xml?identifier=KR-GOV-010-HB-2022-002"
    )
    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == []
    assert page_log.errors == []
