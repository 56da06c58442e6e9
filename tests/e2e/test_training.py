"""The training pages in a real browser: the programmes, a programme's summary with its Plotly
chart, and the trainee list a focal point sees (their own country's people only)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.cooperation.training import demo
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
HUB = "Global biomanufacturing workforce training hub"


@pytest.fixture
def hub(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


@pytest.mark.usefixtures("hub")
def test_training_overview_and_programme_summary(
    page: Page, live_server: str, make_user: UserFactory, page_log: PageLog
) -> None:
    sign_in(page, live_server, make_user(Role.FOCAL_POINT, "THA").email)

    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Training").click()
    expect(page).to_have_url(f"{live_server}/training")
    expect(page.get_by_role("heading", level=1)).to_have_text("Training")
    chart = page.locator("#trainees-chart")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator(".main-svg").first).to_be_visible()
    by_country = page.locator("#trainees-by-country")
    expect(by_country.get_by_role("rowheader", name=re.compile("Thailand"))).to_be_visible()
    expect(by_country.get_by_role("rowheader", name=re.compile("Viet Nam"))).to_be_visible()

    page.locator("#programmes").get_by_role("link", name=HUB).click()
    expect(page).to_have_url(f"{live_server}/training/BIOHUB")
    expect(page.get_by_role("heading", level=1)).to_contain_text(HUB)
    expect(page.locator("#courses tbody tr")).to_have_count(3)
    expect(page.locator("#programme-chart")).to_have_attribute("data-rendered", "true")
    thailand = page.locator("#programme-by-country tbody tr", has_text="Thailand")
    expect(thailand.locator("td").first).to_have_text("3")  # trainees
    expect(page.locator("main")).not_to_contain_text("Kanya Demo")  # counts only

    page.get_by_role("link", name=re.compile("Trainees of this programme")).click()
    expect(page).to_have_url(re.compile(r"/training/trainees\?programme=BIOHUB$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Trainees")
    table = page.locator("#trainees")
    expect(table.get_by_role("rowheader", name=re.compile("Kanya Demo"))).to_be_visible()
    expect(table).to_contain_text("BIOHUB-2023-0001")
    expect(table).not_to_contain_text("Thi Hoa Demo")  # Viet Nam's trainee stays in Viet Nam
    page.get_by_label("Search", exact=True).fill("Somsak")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr").first).to_contain_text("Somsak Demo")
    expect(page).to_have_url(re.compile(r"q=Somsak"))  # hx-push-url

    page.wait_for_load_state("networkidle")
    assert page_log.foreign_requests == [], "everything must come from the app (no CDN)"
    assert page_log.errors == []


@pytest.mark.usefixtures("hub")
def test_a_viewer_sees_the_counts_but_no_trainee_list(
    page: Page, live_server: str, make_user: UserFactory
) -> None:
    sign_in(page, live_server, make_user(Role.VIEWER, "IDN").email)
    page.goto("/training/BIOHUB", wait_until="domcontentloaded")
    expect(page.locator("#programme-by-country")).to_contain_text("Indonesia")
    expect(page.get_by_role("link", name=re.compile("Trainees of this programme"))).to_have_count(0)
    page.goto("/training/trainees")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
    expect(page.locator("main")).not_to_contain_text("Demo")
