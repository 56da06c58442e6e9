"""Events in a real browser: an EOC officer opens an event from a signal's page and walks it
through verification, risk assessment and response to closure; the board shows it closed, and
an officer of a country it was not shared with gets 404.

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
from tests.eoc.event_arrange import make_signal

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]


def test_an_officer_walks_an_event_from_a_signal_to_closure(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    with unit_of_work(session_factory) as session:
        signal_id = make_signal(session).id
    sign_in(page, live_server, make_user(Role.EOC_OFFICER, "THA").email)

    page.goto(f"/surveillance/signals/{signal_id}")
    page.get_by_role("button", name="Open an event").click()
    expect(page).to_have_url(re.compile(rf"{live_server}/eoc/events/\d+$"))
    event_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Dengue in TH-10 (THA), 2024-W30")
    expect(page.get_by_test_id("event-status")).to_have_text("Verifying")
    expect(page.get_by_test_id("transition-respond")).to_have_count(0)

    verify = page.get_by_role("form", name="Verify")
    verify.get_by_label("Source").fill("Bangkok provincial health office")
    verify.get_by_label("Method").fill("Phone call and hospital records")
    verify.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("event-status")).to_have_text("Verified")

    assess = page.get_by_role("form", name="Assess the risk")
    assess.get_by_label("Risk level").select_option("high")
    assess.get_by_label("Note").fill("Hospital admissions doubling weekly")
    assess.get_by_role("button", name="Assess the risk").click()
    expect(page.get_by_test_id("event-risk")).to_have_text("Risk: High")

    respond = page.get_by_role("form", name="Respond")
    respond.get_by_label("EOC activation level").select_option("partial")
    respond.get_by_role("button", name="Respond").click()
    expect(page.get_by_test_id("event-activation")).to_have_text("EOC: partial")

    close = page.get_by_role("form", name="Close")
    close.get_by_label("Reason").fill("No new cases for 28 days")
    close.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("event-status")).to_have_text("Closed")
    expect(page.get_by_test_id("closure-reason")).to_have_text("No new cases for 28 days")
    expect(page.locator("[data-testid^=transition-]")).to_have_count(0)
    timeline = page.get_by_test_id("timeline").locator(":scope > li")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(1)).to_contain_text("Bangkok provincial health office")
    expect(timeline.nth(4)).to_contain_text("Responding → Closed")

    # The board, filtered to closed events through htmx, shows it.
    page.get_by_role("link", name="EOC", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("EOC board")
    with page.expect_response(
        lambda r: "/eoc?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_label("Status").select_option("closed")
    closed = page.locator('section[data-status="closed"]')
    expect(closed.get_by_role("link", name="Dengue in TH-10 (THA), 2024-W30")).to_be_visible()
    expect(closed).to_contain_text("Risk: High")
    page.wait_for_load_state("networkidle")
    assert page_log.errors == []
    assert page_log.foreign_requests == []

    # Not shared with Viet Nam: its officer gets 404, without the title.
    page.context.clear_cookies()
    sign_in(page, live_server, make_user(Role.EOC_OFFICER, "VNM").email)
    response = page.goto(event_url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text("Dengue in TH-10")
