"""Jinja2 environment and the context every page gets (principal, CSRF token, navigation)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from healthbridge import __version__
from healthbridge.marks import N_
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.security import csrf_token
from healthbridge.web import i18n


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    action: Action


#: The modules in the navigation; each later module adds its entry here.
NAVIGATION: list[NavItem] = [
    NavItem(N_("Home"), "/", Action.OWN_PROFILE),
    NavItem(N_("Meetings"), "/meetings", Action.COOPERATION_READ),
    NavItem(N_("Commitments"), "/commitments", Action.COOPERATION_READ),
    NavItem(N_("Projects"), "/projects", Action.COOPERATION_READ),
    NavItem(N_("UHC"), "/uhc", Action.COOPERATION_READ),
    NavItem(N_("Training"), "/training", Action.COOPERATION_READ),
    NavItem(N_("Weekly counts"), "/surveillance/weekly", Action.SURVEILLANCE_AGGREGATE_READ),
    NavItem(N_("Signals"), "/surveillance/signals", Action.SIGNAL_READ),
    NavItem(N_("Cases"), "/surveillance/cases", Action.CASE_READ),
    NavItem(N_("EOC"), "/eoc", Action.EVENT_READ),
    NavItem(N_("Tasks"), "/eoc/tasks", Action.EVENT_READ),
    NavItem(N_("Resources"), "/resources", Action.RESOURCE_READ),
    NavItem(N_("Countries"), "/countries", Action.REFERENCE_READ),
    NavItem(N_("Diseases"), "/diseases", Action.REFERENCE_READ),
    NavItem(N_("Organisations"), "/organisations", Action.REFERENCE_READ),
    NavItem(N_("Accounts"), "/users", Action.ACCOUNT_READ),
    NavItem(N_("Audit log"), "/audit", Action.AUDIT_READ),
]


def make_templates() -> Jinja2Templates:
    """Templates shipped in ``healthbridge/templates``."""
    directory = str(resources.files("healthbridge").joinpath("templates"))
    templates = Jinja2Templates(directory=directory)
    templates.env.globals["version"] = __version__
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    templates.env.filters["day"] = i18n.format_day
    templates.env.filters["localnumber"] = i18n.format_number
    templates.env.filters["share"] = i18n.format_share
    templates.env.filters["localname"] = i18n.localname
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
        "language": i18n.current_language(),
        "languages": i18n.LANGUAGES,
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page (or, for an htmx request, the partial named by ``HX-Target``'s template)."""
    templates: Jinja2Templates = request.app.state.templates
    with i18n.use_language(request_language(request)):
        full = {**page_context(request), **(context or {})}
        return templates.TemplateResponse(request, template, full, status_code=status_code)


def request_language(request: Request) -> str:
    """The language of ``request``: the user's choice (cookie), else ``Accept-Language``."""
    return i18n.choose_language(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )


def is_htmx(request: Request) -> bool:
    """Whether htmx asked for a fragment."""
    return request.headers.get("hx-request") == "true"
