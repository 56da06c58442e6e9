"""The web interface in a real browser: sign-in, the shell, an htmx search, sign-out.

Every test runs on SQLite and on PostgreSQL (through ``database_url``), against the app served
by uvicorn, in a fresh Chromium context.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.conftest import TEST_PASSWORD
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.deps import SESSION_COOKIE
from healthbridge.policy import Role

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
HTMX_SCRIPT = "/static/vendor/htmx-2.0.11.min.js"


def _sign_in(page: Page, email: str, password: str = TEST_PASSWORD) -> None:
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _login_for_home(live_server: str) -> re.Pattern[str]:
    """The login page, asked to return to ``/`` afterwards (``next`` may or may not be quoted)."""
    return re.compile(rf"^{re.escape(live_server)}/login\?next=(/|%2F)$")


def _session_cookies(page: Page) -> list[dict[str, object]]:
    return [dict(c) for c in page.context.cookies() if c["name"] == SESSION_COOKIE]


def _signed_in(page: Page, live_server: str, make_user: UserFactory) -> User:
    """A Thai epidemiologist, signed in through the login form, on the home page."""
    user = make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk")
    page.goto("/login")
    _sign_in(page, user.email)
    expect(page).to_have_url(f"{live_server}/")
    return user


def test_sign_in_redirects_to_login_and_lands_on_home(
    page: Page, live_server: str, make_user: UserFactory
) -> None:
    user = make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk")

    page.goto("/")
    expect(page).to_have_url(_login_for_home(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("navigation", name="Modules")).to_have_count(0)

    _sign_in(page, user.email)

    expect(page).to_have_url(f"{live_server}/")
    expect(page).to_have_title("Home · HealthBridge")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nattaya Srisuk")
    scope = page.get_by_test_id("scope")
    expect(scope).to_contain_text("THA")
    expect(scope).to_contain_text("Epidemiologist")
    nav = page.get_by_role("navigation", name="Modules")
    expect(nav).to_be_visible()
    countries = nav.get_by_role("link", name="Countries", exact=True)
    expect(countries).to_have_attribute("href", "/countries")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    # An epidemiologist administers no accounts and reads no audit log.
    expect(nav.get_by_role("link", name="Accounts")).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    assert len(_session_cookies(page)) == 1

    countries.click()
    expect(page).to_have_url(f"{live_server}/countries")
    expect(page.get_by_role("heading", level=1)).to_have_text("Countries")


def test_wrong_password_shows_error_and_stays_on_login(
    page: Page, live_server: str, make_user: UserFactory
) -> None:
    user = make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk")
    page.goto("/login")

    _sign_in(page, user.email, password="not the password")

    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value(user.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_test_id("scope")).to_have_count(0)
    assert _session_cookies(page) == []

    # The re-rendered form still works: the right password signs in.
    _sign_in(page, user.email)
    expect(page).to_have_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nattaya Srisuk")


def test_country_search_narrows_the_table_with_htmx(
    page: Page, live_server: str, make_user: UserFactory
) -> None:
    _signed_in(page, live_server, make_user)
    page.goto("/countries")
    table = page.locator("#countries")
    rows = table.locator("tbody tr")
    expect(table.get_by_role("link", name="Thailand", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="Viet Nam", exact=True)).to_be_visible()
    all_rows = rows.count()
    assert all_rows > 1
    # A full page load would drop this marker; an htmx swap keeps it.
    page.evaluate("window.__hbNoReload = 'still here'")

    with page.expect_response(
        lambda r: "/countries?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as response_info:
        page.get_by_label("Search", exact=True).fill("Viet")
    response = response_info.value

    assert response.status == 200
    assert "<html" not in response.text(), "htmx should get the table fragment, not a page"
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Viet Nam")
    expect(rows.first).to_contain_text("VNM")
    expect(table).not_to_contain_text("Thailand")
    expect(table.locator("caption")).to_have_text("1 country")
    assert page.evaluate("window.__hbNoReload") == "still here"
    expect(page).to_have_url(re.compile(r"/countries\?q=Viet"))  # hx-push-url
    expect(page.get_by_label("Search", exact=True)).to_have_value("Viet")


def test_sign_out_returns_to_login_and_ends_the_session(
    page: Page, live_server: str, make_user: UserFactory
) -> None:
    _signed_in(page, live_server, make_user)
    [old_cookie] = _session_cookies(page)

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert _session_cookies(page) == []

    page.goto("/")
    expect(page).to_have_url(_login_for_home(live_server))

    # The token is revoked on the server, not only forgotten by the browser.
    page.context.add_cookies([old_cookie])  # type: ignore[list-item]
    page.goto("/")
    expect(page).to_have_url(_login_for_home(live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_pages_have_no_console_errors_and_use_vendored_htmx(
    page: Page, live_server: str, make_user: UserFactory, page_log: PageLog
) -> None:
    """No console error and no uncaught exception on the login, home and reference pages.

    htmx comes from the vendored file, and nothing is fetched from another host (no CDN).
    """
    scripts: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: (
            scripts.append((r.url, r.status)) if r.request.resource_type == "script" else None
        ),
    )

    page.goto("/login")
    _sign_in(page, make_user(Role.EPIDEMIOLOGIST, "THA").email)
    expect(page).to_have_url(f"{live_server}/")
    for path in ("/countries", "/diseases", "/organisations", "/countries/THA"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("typeof window.htmx") == "object", f"htmx not loaded on {path}"
    page.goto("/countries")
    page.get_by_label("Search", exact=True).fill("Thai")
    expect(page.locator("#countries tbody tr")).to_have_count(1)
    # Let late requests (the favicon, for one) finish and report before judging.
    page.wait_for_load_state("networkidle")

    assert page.evaluate("window.htmx.version") == "2.0.11"
    assert (f"{live_server}{HTMX_SCRIPT}", 200) in scripts
    assert page_log.foreign_requests == [], "everything must come from the app (no CDN)"
    assert page_log.errors == []
