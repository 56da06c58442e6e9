"""The meetings pages in a real browser: a Secretariat officer records a meeting through the form,
finds it on its page with its agenda, and in the month calendar.

Runs on SQLite and on PostgreSQL (through ``database_url``), against the app served by uvicorn.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
TITLE = "ASEAN–Korea working group on laboratory networks"


def test_a_meeting_created_through_the_form_shows_on_its_page_and_in_the_calendar(
    page: Page, live_server: str, make_user: UserFactory, page_log: PageLog
) -> None:
    sign_in(page, live_server, make_user(Role.SECRETARIAT, None, full_name="Daniel Tan").email)

    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Meetings").click()
    expect(page).to_have_url(f"{live_server}/meetings")
    page.get_by_role("link", name="New meeting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New meeting")

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Type").select_option("working_group")
    page.get_by_label("Starts on").fill("2026-12-08")
    page.get_by_label("Ends on").fill("2026-12-09")
    page.get_by_label("City").fill("Jakarta")
    page.get_by_label("Country", exact=True).select_option("IDN")
    page.get_by_label("Theme").fill("Laboratory capacity for outbreak response")
    page.get_by_label("Co-chair countries").select_option(["IDN", "KOR"])
    page.get_by_label("Agenda items (one per line)").fill(
        "Opening remarks\nReview of the regional laboratory network"
    )
    page.get_by_role("button", name="Create meeting").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/meetings/\d+$"))
    meeting_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("co-chairs")).to_have_text("Indonesia, Republic of Korea")
    agenda = page.locator("ol.agenda > li")
    expect(agenda).to_have_count(2)
    expect(agenda.nth(0)).to_contain_text("Opening remarks")
    expect(agenda.nth(1)).to_contain_text("Review of the regional laboratory network")
    expect(page.get_by_role("heading", name="Upload a document")).to_be_visible()
    expect(page.locator("#meeting-commitments")).to_have_attribute(
        "hx-get", re.compile(r"^/meetings/\d+/commitments$")
    )

    # The calendar of the month before, then forward one month to December 2026.
    page.goto("/meetings?month=2026-11")
    expect(page.get_by_role("heading", name="November 2026")).to_be_visible()
    page.get_by_role("link", name="Next month").click()
    expect(page).to_have_url(f"{live_server}/meetings?month=2026-12")
    expect(page.get_by_role("heading", name="December 2026")).to_be_visible()
    grid = page.locator("table.month-grid")
    chips = grid.get_by_role("link", name=re.compile(re.escape(TITLE)))
    expect(chips).to_have_count(2)  # 8 and 9 December
    expect(chips.first).to_contain_text("(planned)")
    chips.first.click()
    expect(page).to_have_url(meeting_url)
    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == [], "everything must come from the app (no CDN)"
    assert page_log.errors == []
