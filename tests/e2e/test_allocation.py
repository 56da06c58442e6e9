"""Allocation in a real browser: a regional logistics officer runs an allocation, reads the
optimal plan beside first-come-first-served, approves it and dispatches a shipment; a Thai
logistics officer receives it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog
from tests.resources.plan_data import (
    add_holder,
    add_item,
    add_lot,
    add_request,
    add_transit,
)

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources import ledger

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]


@pytest.fixture
def reserve_lot(session_factory: sessionmaker[Session]) -> int:
    """The reserve's Lao warehouse holds 500 sachets; Thailand (critical) and Viet Nam (low)
    ask for 400 each."""
    with unit_of_work(session_factory) as session:
        add_item(session)
        add_holder(session, "ARRMS-LAO", "regional_reserve", "LAO")
        add_holder(session, "THA-NAT", "national_stockpile", "THA")
        add_holder(session, "VNM-NAT", "national_stockpile", "VNM")
        add_transit(session, "LAO", "THA", 1)
        add_transit(session, "LAO", "VNM", 2)
        session.flush()
        lot = add_lot(session, "ARRMS-LAO", "ORS-E2E", 500)
        add_request(session, "VNM", 400, "low", minutes=0)
        add_request(session, "THA", 400, "critical", minutes=5)
        return lot


def test_run_approve_dispatch_and_receive(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    page_log: PageLog,
    reserve_lot: int,
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(page, live_server, make_user(Role.LOGISTICS_OFFICER, None).email)
    page.goto("/resources/plans")
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocation plans")
    page.get_by_role("button", name="Run an allocation").click()
    expect(page).to_have_url(re.compile(r"/resources/plans/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Proposed")

    # Side by side: the optimum serves Thailand's critical need first; FCFS served Viet Nam.
    by_country = page.get_by_test_id("fills-by-country")
    thailand = by_country.locator("tr", has=page.get_by_role("rowheader", name="Thailand"))
    expect(thailand.locator("td")).to_have_text(["400", "400", "100.0%", "100", "25.0%"])
    viet = by_country.locator("tr", has=page.get_by_role("rowheader", name="Viet Nam"))
    expect(viet.locator("td")).to_have_text(["400", "100", "25.0%", "400", "100.0%"])
    chart = page.locator("[data-figure]").first
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(page.get_by_test_id("plan-lines").locator("tbody tr")).to_have_count(2)

    page.get_by_label("Note (required to reject)").fill("Agreed with both countries")
    page.get_by_role("button", name="Approve the plan").click()
    expect(page).to_have_url(re.compile(r"/resources/shipments\?plan=\d+$"))
    to_thailand = page.locator("tr[data-shipment]", has_text="THA-NAT")
    expect(to_thailand.get_by_test_id("shipment-status")).to_have_text("Planned")
    to_thailand.get_by_label("Waybill or tracking").fill("AWB-E2E-1")
    to_thailand.get_by_role("button", name="Dispatch").click()
    to_thailand = page.locator("tr[data-shipment]", has_text="THA-NAT")
    expect(to_thailand.get_by_test_id("shipment-status")).to_contain_text("Dispatched")
    expect(to_thailand).to_contain_text("AWB-E2E-1")
    with session_factory() as session:
        assert ledger.balance(session, reserve_lot) == 100
    assert page_log.errors == []

    # Thailand's logistics officer receives it into the Thai stockpile.
    page.context.clear_cookies()
    sign_in(page, live_server, make_user(Role.LOGISTICS_OFFICER, "THA").email)
    page.goto("/resources/shipments?status=dispatched")
    row = page.locator("tr[data-shipment]", has_text="THA-NAT")
    expect(row.get_by_label("Quantity received")).to_have_value("400")
    row.get_by_label("Quantity received").fill("395")
    row.get_by_role("button", name="Receive").click()
    expect(page.get_by_role("alert")).to_contain_text("discrepancy_note")
    row = page.locator("tr[data-shipment]", has_text="THA-NAT")
    expect(row.get_by_label("Quantity received")).to_have_value("395")
    row.get_by_label("Discrepancy note (when the quantity differs)").fill("5 sachets torn")
    row.get_by_role("button", name="Receive").click()
    row = page.locator("tr[data-shipment]", has_text="THA-NAT")
    expect(row.get_by_test_id("shipment-status")).to_contain_text("Received")
    expect(row).to_contain_text("5 sachets torn")
    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == []
