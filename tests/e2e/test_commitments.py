"""Commitments in a real browser: deliver one with a link through its page, see it leave the
Overdue tab; the scorecard draws its chart from the vendored Plotly.

Every test runs on SQLite and on PostgreSQL, against the app served by uvicorn, in Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.commitments.arrange import make_commitment, make_meeting
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.cooperation.commitments import service
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
ARRANGER = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)
TODAY = service.today()
TEXT = "Share Thailand's laboratory capacity assessment"


def _arrange(session_factory: sessionmaker[Session]) -> int:
    """An overdue commitment owed by Thailand, and one of Viet Nam due soon."""
    with unit_of_work(session_factory) as session:
        meeting = make_meeting(session, "2nd ASEAN–Republic of Korea Health Ministers' Meeting")
        commitment = make_commitment(
            session,
            ARRANGER,
            meeting.id,
            text=TEXT,
            status="agreed",
            due_on=TODAY - dt.timedelta(days=12),
        )
        make_commitment(
            session,
            ARRANGER,
            meeting.id,
            text="Share Viet Nam's UHC figures",
            owed_by_country="VNM",
            due_on=TODAY + dt.timedelta(days=5),
        )
        return commitment.id


def test_delivering_with_a_link_takes_it_off_the_overdue_tab(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    commitment_id = _arrange(session_factory)
    sign_in(page, live_server, make_user(Role.FOCAL_POINT, "THA", full_name="Somchai W.").email)

    page.goto("/commitments")
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/commitments\?view=overdue"))
    table = page.locator("#commitments table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Overdue by 12 d")
    table.get_by_role("link", name=TEXT).click()

    expect(page).to_have_url(f"{live_server}/commitments/{commitment_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT)
    expect(page.get_by_test_id("status")).to_have_text("Agreed")
    page.get_by_label("New status").select_option("delivered")
    page.get_by_label("Note").fill("Assessment shared with the laboratory project")
    page.get_by_label("Link (http or https)").fill("https://example.org/lab-assessment.pdf")
    page.evaluate("window.__hbNoReload = 'still here'")
    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/commitments/{commitment_id}/status")
            and r.request.headers.get("hx-request") == "true"
        )
    ) as answer:
        page.get_by_role("button", name="Save status").click()
    assert answer.value.status == 200

    expect(page.get_by_role("status")).to_have_text("Saved: the commitment is delivered.")
    expect(page.get_by_test_id("status")).to_have_text("Delivered")
    evidence = page.locator("#evidence")
    expect(
        evidence.get_by_role("link", name="https://example.org/lab-assessment.pdf")
    ).to_be_visible()
    expect(page.get_by_text("Assessment shared with the laboratory project")).to_be_visible()
    expect(page.get_by_role("button", name="Save status")).to_have_count(0)  # final now
    assert page.evaluate("window.__hbNoReload") == "still here"  # swapped by htmx

    page.goto("/commitments")
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page.locator("#commitments tbody tr")).to_have_count(1)
    expect(page.locator("#commitments")).to_contain_text("No commitment matches.")
    expect(page.locator("#commitments")).not_to_contain_text(TEXT)
    page.get_by_role("link", name="All", exact=True).click()
    expect(page.locator("#commitments")).to_contain_text(TEXT)
    page.wait_for_load_state("networkidle")
    assert page_log.errors == []
    assert page_log.foreign_requests == []


def test_the_scorecard_draws_its_chart_and_filters_the_tracker(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    _arrange(session_factory)
    sign_in(page, live_server, make_user(Role.VIEWER, "IDN").email)

    page.goto("/commitments/scorecard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commitment scorecard")
    expect(page.locator("#scorecard-chart .main-svg").first).to_be_visible()
    assert page.evaluate("typeof window.Plotly") == "object"
    expect(page.locator('#scorecard tr[data-owed-by="THA"] td').nth(3)).to_have_text("1")

    page.goto("/commitments")
    with page.expect_response(
        lambda r: "/commitments?" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.get_by_label("Owed by").select_option("VNM")
    rows = page.locator("#commitments tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Share Viet Nam's UHC figures")
    expect(page).to_have_url(re.compile(r"owed_by=VNM"))
    page.wait_for_load_state("networkidle")
    assert page_log.errors == []
    assert page_log.foreign_requests == []
