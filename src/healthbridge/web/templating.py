"""Jinja2 environment and the context every page gets (principal, CSRF token, navigation)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from healthbridge import __version__
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.security import csrf_token


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    action: Action


#: The modules in the navigation; each later module adds its entry here.
NAVIGATION: list[NavItem] = [
    NavItem("Home", "/", Action.OWN_PROFILE),
    NavItem("Meetings", "/meetings", Action.COOPERATION_READ),
    NavItem("Commitments", "/commitments", Action.COOPERATION_READ),
    NavItem("Projects", "/projects", Action.COOPERATION_READ),
    NavItem("UHC", "/uhc", Action.COOPERATION_READ),
    NavItem("Training", "/training", Action.COOPERATION_READ),
    NavItem("Weekly counts", "/surveillance/weekly", Action.SURVEILLANCE_AGGREGATE_READ),
    NavItem("Signals", "/surveillance/signals", Action.SIGNAL_READ),
    NavItem("Cases", "/surveillance/cases", Action.CASE_READ),
    NavItem("EOC", "/eoc", Action.EVENT_READ),
    NavItem("Tasks", "/eoc/tasks", Action.EVENT_READ),
    NavItem("Resources", "/resources", Action.RESOURCE_READ),
    NavItem("Countries", "/countries", Action.REFERENCE_READ),
    NavItem("Diseases", "/diseases", Action.REFERENCE_READ),
    NavItem("Organisations", "/organisations", Action.REFERENCE_READ),
    NavItem("Accounts", "/users", Action.ACCOUNT_READ),
    NavItem("Audit log", "/audit", Action.AUDIT_READ),
]


def make_templates() -> Jinja2Templates:
    """Templates shipped in ``healthbridge/templates``."""
    directory = str(resources.files("healthbridge").joinpath("templates"))
    templates = Jinja2Templates(directory=directory)
    templates.env.globals["version"] = __version__
    return templates


def page_context(request: Request) -> dict[str, Any]:
    """What the layout needs: who is signed in, their CSRF token and their navigation."""
    principal: Principal | None = getattr(request.state, "principal", None)
    token = getattr(request.state, "session_token", None)
    csrf = csrf_token(request.app.state.secret_key, token.token_digest) if token else ""
    # Asked for the principal's own country: own-country actions (CASE_READ) show too.
    nav = [
        item
        for item in NAVIGATION
        if principal and is_allowed(principal, item.action, country=principal.country)
    ]
    path = request.url.path
    # The current entry: the longest that the path starts with (/eoc/tasks is Tasks, not EOC).
    matching = [
        item.href
        for item in nav
        if path == item.href or (item.href != "/" and path.startswith(item.href + "/"))
    ]
    return {
        "principal": principal,
        "csrf_token": csrf,
        "navigation": nav,
        "current_path": path,
        "current_nav": max(matching, key=len, default=None),
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page (or, for an htmx request, the partial named by ``HX-Target``'s template)."""
    templates: Jinja2Templates = request.app.state.templates
    full = {**page_context(request), **(context or {})}
    return templates.TemplateResponse(request, template, full, status_code=status_code)


def is_htmx(request: Request) -> bool:
    """Whether htmx asked for a fragment."""
    return request.headers.get("hx-request") == "true"
