"""The documentation site: `mkdocs build --strict` works offline and says what the code does.

The site is built once into a temporary folder (skipped when MkDocs is not installed: `make test`
and `make docs` install the `docs` extra). The API reference must list every API route the app
serves and be what `scripts/build-api-docs` writes today; the guides may name only routes the app
serves and commands the CLI has; no page may load a script or a stylesheet from another host.
"""

from __future__ import annotations

import html
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer

from healthbridge.api import API_PREFIX, iter_routes
from healthbridge.cli import app as cli_app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = ("focal-point", "eoc-officer", "epidemiologist", "logistics-officer", "secretariat")
#: Pages the site must have, as built (use_directory_urls is off: one .html per page).
PAGES = (
    "index.html",
    *(f"guide/{guide}.html" for guide in GUIDES),
    "methods/detection.html",
    "methods-allocation.html",
    "methods-eoc.html",
    "import-formats.html",
    "api.html",
    "api-reference.html",
    "operations.html",
    "eoc-workflow.html",
    "resources-workflow.html",
    "performance.html",
    "design.html",
    "contributing.html",
)
#: Pages written for users and operators, whose routes and commands must exist.
HAND_WRITTEN = (
    *(DOCS / "guide" / f"{guide}.md" for guide in GUIDES),
    DOCS / "index.md",
    DOCS / "api.md",
    DOCS / "operations.md",
    DOCS / "methods" / "detection.md",
)
REQUIRE_DOCS_ENV = "HEALTHBRIDGE_REQUIRE_DOCS"
EXTERNAL = re.compile(r"^(https?:)?//", re.IGNORECASE)


def build_site(out: Path) -> Path:
    """``mkdocs build --strict`` into ``out`` (skips the test when MkDocs is not installed)."""
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        reason = (
            "MkDocs or its Material theme is not installed: pip install -e '.[docs]' "
            "(make test and make docs install it)"
        )
        # make test installs the docs extra and sets this: there the site must be built.
        if os.environ.get(REQUIRE_DOCS_ENV):
            pytest.fail(f"{reason}, and {REQUIRE_DOCS_ENV} is set")
        pytest.skip(reason)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin", "HOME": str(out.parent)},
        timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("site"))


def _text(page: Path) -> str:
    return html.unescape(page.read_text(encoding="utf-8"))


def test_the_site_has_every_page(site: Path) -> None:
    missing = [page for page in PAGES if not (site / page).is_file()]
    assert not missing, f"pages missing from the built site: {missing}"
    # The search works from file:// too: the offline plugin inlines the index.
    assert (site / "search" / "search_index.js").is_file()


@pytest.mark.parametrize("guide", GUIDES)
def test_each_guide_shows_screenshots_that_exist(site: Path, guide: str) -> None:
    page = site / "guide" / f"{guide}.html"
    sources = re.findall(r'<img[^>]*\bsrc="([^"]+)"', page.read_text(encoding="utf-8"))
    screenshots = [src for src in sources if src.endswith(".png")]
    assert screenshots, f"{guide}: no screenshot"
    for src in screenshots:
        assert (page.parent / src).resolve().is_file(), f"{guide}: {src} is not in the site"


def test_the_api_reference_lists_every_api_route(site: Path) -> None:
    text = _text(site / "api-reference.html")
    operations = {
        f"{method} {path}"
        for path, route in iter_routes()
        if path.startswith(API_PREFIX + "/") and route.include_in_schema
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert len(operations) > 100  # the check would mean little on a handful
    missing = sorted(op for op in operations if f"<code>{op}</code>" not in text)
    assert not missing, f"routes missing from the API reference: {missing}"


def test_no_page_loads_a_script_or_stylesheet_from_another_host(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    found = []
    for page in pages:
        content = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", content, flags=re.IGNORECASE):
            for url in re.findall(r'\b(?:src|href)\s*=\s*["\']([^"\']+)', tag, flags=re.I):
                if EXTERNAL.match(url.strip()):
                    found.append(f"{page.relative_to(site)}: {tag}")
    assert not found, "pages load from another host:\n" + "\n".join(found)
    # Stylesheets may not pull fonts or imports from another host either (theme.font: false).
    for sheet in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8")):
            assert url.startswith("data:") or not EXTERNAL.match(url), f"{sheet}: {url}"


def _api_docs_script() -> ModuleType:
    path = ROOT / "scripts" / "build-api-docs"
    loader = importlib.machinery.SourceFileLoader("build_api_docs", str(path))
    spec = importlib.util.spec_from_loader("build_api_docs", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_api_reference_renders_tags_parameters_bodies_and_responses() -> None:
    spec: dict[str, Any] = {
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/api/v1/b": {
                "post": {
                    "tags": ["zeta"],
                    "summary": "Upload",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {"$ref": "#/components/schemas/Body_upload"}
                            }
                        },
                    },
                    "responses": {"201": {"description": "Created"}},
                }
            },
            "/api/v1/a/{id}": {
                "get": {
                    "tags": ["Alpha"],
                    "summary": "One a",
                    "description": "Reads | one.",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                            "description": "a | b",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/A"}}
                            },
                        }
                    },
                },
                "head": {"summary": "ignored"},
            },
            "/api/v1/c": {"delete": {"summary": "Untagged", "responses": {}}},
        },
        "components": {
            "schemas": {
                "Body_upload": {
                    "properties": {"file": {"type": "string", "format": "binary"}, "note": {}},
                    "required": ["file"],
                }
            }
        },
    }
    text = _api_docs_script().render(spec)
    # Tags sorted case-insensitively, operations under their tag, untagged ones under "other".
    assert text.index("## Alpha") < text.index("## other") < text.index("## zeta")
    assert "3 operations" in text and "HEAD" not in text
    assert "### `GET /api/v1/a/{id}`" in text and "### `DELETE /api/v1/c`" in text
    assert "| `q` | query | string \\| null | no | a \\| b |" in text  # pipes escaped in cells
    assert "| `id` | path | integer | yes |  |" in text
    assert "`application/json` `A`" in text
    # A form body lists its fields rather than FastAPI's generated Body_ name.
    assert "fields `file` (string (binary), required), `note` (any)" in text
    assert "Body_upload" not in text


def test_the_committed_api_reference_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "api-reference.md"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-api-docs"), "--output", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    committed = (DOCS / "api-reference.md").read_text(encoding="utf-8")
    assert committed == fresh.read_text(encoding="utf-8"), (
        "docs/api-reference.md is stale: run scripts/build-api-docs (make docs) and commit it"
    )


def _route_patterns() -> list[re.Pattern[str]]:
    patterns = []
    for path, _route in iter_routes():
        # {name} and {name:path} match one segment; the docs may write the placeholder itself.
        pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(path))
        patterns.append(re.compile(f"^{pattern}$"))
    return patterns


#: Served by FastAPI itself, not by a router of iter_routes().
FRAMEWORK_PATHS = {API_PREFIX, f"{API_PREFIX}/openapi.json", f"{API_PREFIX}/docs"}


def test_the_hand_written_pages_name_only_real_routes() -> None:
    patterns = _route_patterns()
    unknown = []
    checked = 0
    for page in HAND_WRITTEN:
        for code in re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8")):
            for candidate in re.findall(r"(?:^|\s)(/(?:api/v1/)?[a-z][\w./{}-]*)", code):
                path = candidate.split("?")[0]
                if path.startswith(("/etc/", "/opt/", "/path/", "/backups/", "/usr/")):
                    continue  # file system paths in the operator's guide
                if path in FRAMEWORK_PATHS:
                    continue
                checked += 1
                if not any(pattern.match(path) for pattern in patterns):
                    unknown.append(f"{page.relative_to(ROOT)}: {path}")
    assert checked > 50, f"only {checked} routes found in the guides: is the pattern broken?"
    assert not unknown, "routes the app does not serve:\n" + "\n".join(unknown)


def _commands() -> dict[tuple[str, ...], bool]:
    """Every command path of the CLI, and whether it is a group: ('stock',) True, ..."""
    root = typer.main.get_command(cli_app)
    found: dict[tuple[str, ...], bool] = {}

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", {})
        found[prefix] = bool(subcommands)
        for name, sub in subcommands.items():
            walk(sub, (*prefix, name))

    walk(root, ())
    return found


def test_the_hand_written_pages_name_only_real_commands() -> None:
    commands = _commands()
    assert commands[("stock", "write-off-expired")] is False  # the walk reaches sub-commands
    unknown = []
    for page in HAND_WRITTEN:
        text = page.read_text(encoding="utf-8")
        for words in re.findall(r"healthbridge((?: [a-z][a-z0-9-]*)+)", text):
            parts = tuple(words.split())
            # The longest prefix naming a command; what follows a group must be a sub-command,
            # what follows a command is its arguments.
            known = next((parts[:n] for n in range(len(parts), 0, -1) if parts[:n] in commands), ())
            if not known or (commands[known] and len(parts) > len(known)):
                unknown.append(f"{page.relative_to(ROOT)}: healthbridge{words}")
    assert not unknown, "commands the CLI does not have:\n" + "\n".join(unknown)
