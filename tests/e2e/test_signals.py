"""Signals in a real browser: an EOC officer opens the triage queue, opens a signal's epicurve
(drawn by the vendored Plotly), marks it "verify", and the queue shows the new status.

Every test runs on SQLite and on PostgreSQL, against the app served by uvicorn, in Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog
from tests.surveillance.signal_arrange import arrange_signals

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.surveillance.models import Signal

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
ARRANGER = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)


def _arrange(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    """Signals in Thailand and Viet Nam; the ids of Thailand's and Viet Nam's latest noufaily."""
    with unit_of_work(session_factory) as session:
        arrange_signals(session, ARRANGER)
    with session_factory() as session:
        found = session.scalars(
            select(Signal).where(Signal.method == "noufaily").order_by(Signal.week.desc())
        ).all()
        thai = next(s.id for s in found if s.country_code == "THA")
        viet = next(s.id for s in found if s.country_code == "VNM")
        return thai, viet


def test_an_officer_verifies_a_signal_from_its_epicurve(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    page_log: PageLog,
) -> None:
    thai, viet = _arrange(session_factory)
    sign_in(page, live_server, make_user(Role.EOC_OFFICER, "THA").email)

    page.get_by_role("link", name="Signals", exact=True).click()
    expect(page).to_have_url(f"{live_server}/surveillance/signals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signals")
    row = page.locator(f'tr[data-signal="{thai}"]')
    expect(row.get_by_test_id("signal-status")).to_have_text("New")
    # Viet Nam's signals are shown to everyone, but only Viet Nam's officers triage them.
    expect(page.locator(f'tr[data-signal="{viet}"]')).to_contain_text("Triaged by Viet Nam")
    expect(page.locator(f'tr[data-signal="{viet}"]').get_by_role("button")).to_have_count(0)
    # htmx binds the filters once the page has loaded: on a busy machine the table can be there
    # before the scripts have run, and a change then sends no request.
    page.wait_for_load_state("load")

    with page.expect_response(
        lambda r: (
            "/surveillance/signals?" in r.url and r.request.headers.get("hx-request") == "true"
        )
    ):
        page.get_by_label("Country").select_option("THA")
    expect(page).to_have_url(re.compile(r"country=THA"))
    expect(page.locator(f'tr[data-signal="{viet}"]')).to_have_count(0)

    row.get_by_role("link", name="2024-W52").click()
    expect(page).to_have_url(f"{live_server}/surveillance/signals/{thai}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("TH-10")
    expect(page.locator("[data-testid=epicurve] .main-svg").first).to_be_visible()
    assert page.evaluate("typeof window.Plotly") == "object"
    # The threshold line is drawn (the second trace), and the alarms as markers.
    assert page.evaluate(
        "document.querySelector('[data-testid=epicurve]').data.map(t => t.name)"
    ) == ["Cases", "Threshold (noufaily)", "Expected", "Alarm"]

    page.get_by_label("Note").fill("Field team informed")
    page.evaluate("window.__hbNoReload = 'still here'")
    with page.expect_response(
        lambda r: (
            r.url.endswith(f"/surveillance/signals/{thai}/triage")
            and r.request.headers.get("hx-request") == "true"
        )
    ) as answer:
        page.get_by_role("button", name="Verify").click()
    assert answer.value.status == 200
    expect(page.get_by_role("status")).to_have_text("Saved: the signal is marked verify.")
    expect(page.get_by_test_id("signal-status")).to_have_text("Verify")
    expect(page.get_by_test_id("triage-note")).to_have_text("Field team informed")
    assert page.evaluate("window.__hbNoReload") == "still here"  # swapped by htmx

    page.get_by_role("link", name="Signals", exact=True).first.click()
    expect(page.locator(f'tr[data-signal="{thai}"]').get_by_test_id("signal-status")).to_have_text(
        "Verify"
    )
    # And from the queue itself: discard another Thai signal in place.
    target = (
        page.locator("tr[data-signal]")
        .filter(has=page.locator(".signal-status-new"))
        .filter(has=page.get_by_role("button", name="Discard"))
        .first
    )
    target_id = target.get_attribute("data-signal")
    target.get_by_role("button", name="Discard").click()
    expect(
        page.locator(f'tr[data-signal="{target_id}"]').get_by_test_id("signal-status")
    ).to_have_text("Discarded")
    page.wait_for_load_state("networkidle")
    assert page_log.errors == []
    assert page_log.foreign_requests == []
