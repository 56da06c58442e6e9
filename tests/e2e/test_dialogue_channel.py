"""The dialogue channel end to end in a browser, across its parts: a Secretariat officer records
a meeting with its agenda, adds the commitment it produced on the meeting's page, finds it in
the tracker's Overdue view, and closes it as delivered with evidence.

Runs on SQLite and on PostgreSQL, against the app served by uvicorn.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.browsing import sign_in

from healthbridge.accounts.models import User
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

TITLE = "ASEAN–Korea senior officials' meeting on primary health care"
COMMITMENT = "Share the primary health care assessment with every member state"


def test_meeting_agenda_commitment_overdue_and_delivered(
    page: Page, live_server: str, make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.SECRETARIAT, None, full_name="Daniel Tan")
    sign_in(page, live_server, officer.email)

    # 1. The meeting and its agenda, through the form.
    page.goto("/meetings/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Type").select_option("senior_officials")
    page.get_by_label("Starts on").fill("2026-03-10")
    page.get_by_label("City").fill("Seoul")
    page.get_by_label("Country", exact=True).select_option("KOR")
    page.get_by_label("Agenda items (one per line)").fill(
        "Primary health care in the region\nNext steps"
    )
    page.get_by_role("button", name="Create meeting").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/meetings/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Primary health care in the region")).to_be_visible()

    # 2. The commitment it produced, on the meeting's page (an htmx fragment), already late.
    past_due = (dt.date.today() - dt.timedelta(days=20)).isoformat()
    section = page.locator("#meeting-commitments")
    expect(section.get_by_role("button", name="Add commitment")).to_be_visible()
    section.get_by_label("Text").fill(COMMITMENT)
    section.get_by_label("Kind").select_option("agreement")
    section.get_by_label("Owed by").select_option(label="Thailand")
    section.get_by_label("Due date").fill(past_due)
    section.get_by_role("button", name="Add commitment").click()
    expect(section).to_contain_text(COMMITMENT)

    # 3. The tracker's Overdue view lists it.
    page.goto("/commitments")
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page.locator("#commitments")).to_contain_text(COMMITMENT)

    # 4. Agreed, then delivered with a link as evidence: it leaves the Overdue view.
    page.locator("#commitments").get_by_role("link", name=COMMITMENT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COMMITMENT)
    expect(page.get_by_test_id("status")).to_have_text("Proposed")
    page.get_by_label("New status").select_option("agreed")
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_test_id("status")).to_have_text("Agreed")
    page.get_by_label("New status").select_option("delivered")
    page.get_by_label("Link (http or https)").fill("https://example.org/phc-assessment.pdf")
    page.get_by_role("button", name="Save status").click()
    expect(page.get_by_test_id("status")).to_have_text("Delivered")
    page.goto("/commitments?view=overdue")
    expect(page.locator("#commitments")).not_to_contain_text(COMMITMENT)
