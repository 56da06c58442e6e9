"""The documentation site opened from the file system with no network: pages and search work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from test_docs import build_site

pytestmark = pytest.mark.browser


def test_the_site_reads_and_searches_from_file_with_no_network(
    browser: Browser, tmp_path: Path
) -> None:
    site = build_site(tmp_path / "site")
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.abort()

    errors: list[str] = []
    context = browser.new_context()
    try:
        context.route(re.compile(r"^(https?|wss?)://"), refuse)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.goto((site / "guide" / "epidemiologist.html").as_uri())
        expect(page.get_by_role("heading", name="Epidemiologist", level=1)).to_be_visible()
        screenshots = page.locator("article img")
        expect(screenshots.first).to_be_visible()
        widths = screenshots.evaluate_all("images => images.map(image => image.naturalWidth)")
        assert widths and all(width == 1280 for width in widths), widths
        # Material's search runs in a Web Worker: from file:// only through the vendored shim.
        page.locator(".md-search__input").click()
        page.keyboard.type("Noufaily")
        results = page.locator(".md-search-result__item")
        expect(results.first).to_be_visible()
        assert "detection" in " ".join(
            results.evaluate_all("items => items.map(item => item.innerHTML)")
        )
    finally:
        context.close()
    assert not refused, f"the site asked the network for: {refused}"
    assert not errors, f"errors in the page: {errors}"
