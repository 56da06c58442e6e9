"""Browser end-to-end harness: the app served by uvicorn, and a Debian Chromium via Playwright.

- ``live_server``: ``create_app(settings)`` (the ``app`` fixture) served by uvicorn on 127.0.0.1
  and a free port, in a background thread, against the test's ``database_url`` (so every browser
  test runs on SQLite and on PostgreSQL). Yields the base URL.
- ``browser``: one headless Chromium for the session, launched from ``/usr/bin/chromium``
  (Playwright's own browser download does not work here; never run ``playwright install``).
  Missing Chromium skips the browser tests, or fails them when HEALTHBRIDGE_REQUIRE_BROWSER is set.
- ``page``: a fresh browser context and page per test, with ``base_url`` set to the live server;
  ``page_log`` collects its console errors, uncaught page errors and requests to other hosts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    Request,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_ENV = "HEALTHBRIDGE_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Playwright's waits (locators, navigations and ``expect``), in milliseconds: an upper bound
#: for slow shared CI machines, not a speed target (a passing wait returns as soon as it holds).
TIMEOUT_MS = 15_000
SERVER_START_SECONDS = 30.0


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The application served over real HTTP; yields ``http://127.0.0.1:<port>``."""
    # Bind the socket here and hand it to uvicorn: the port is ours from the start (no race
    # between finding a free port and the server binding it).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if not thread.is_alive():
            sock.close()
            pytest.fail("the live server stopped while starting (see the captured log)")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
            pytest.fail(f"the live server did not start within {SERVER_START_SECONDS} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        assert not thread.is_alive(), "the live server did not stop within 10 s"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Debian Chromium shared by the session's browser tests."""
    if not CHROMIUM.exists():
        reason = (
            f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium); "
            "Playwright's own browser download is not used"
        )
        if os.environ.get(REQUIRE_BROWSER_ENV):
            pytest.fail(f"{reason}, and {REQUIRE_BROWSER_ENV} is set")
        pytest.skip(reason)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageLog:
    """What a page reported that a healthy page never reports."""

    origin: str
    errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url', '?')})")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"page error: {error.name}: {error.message}")

    def on_request(self, request: Request) -> None:
        url = request.url
        if not (url == self.origin or url.startswith(self.origin + "/")):
            self.foreign_requests.append(url)


@pytest.fixture
def page_log(live_server: str) -> PageLog:
    return PageLog(origin=live_server)


@pytest.fixture
def page(browser: Browser, live_server: str, page_log: PageLog) -> Iterator[Page]:
    """A new page in a fresh context (no cookies, no storage) aimed at the live server."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.on("request", page_log.on_request)
    new_page = context.new_page()
    new_page.on("console", page_log.on_console)
    new_page.on("pageerror", page_log.on_page_error)
    try:
        yield new_page
    finally:
        context.close()
