"""Steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from tests.conftest import TEST_PASSWORD


def sign_in(page: Page, live_server: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form and land on the home page."""
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/")
