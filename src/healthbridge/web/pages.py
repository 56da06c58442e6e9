"""Sign-in, sign-out, the health check and the vendored static files (the home page is the
situation room: :mod:`healthbridge.web.situation_pages`)."""

from __future__ import annotations

import secrets
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from healthbridge import __version__
from healthbridge.accounts import service as accounts
from healthbridge.deps import (
    SESSION_COOKIE,
    Allow,
    Public,
    SessionDep,
    SettingsDep,
    audit_refusal,
    client_address,
)
from healthbridge.errors import TooManyAttempts, Unauthenticated
from healthbridge.marks import N_
from healthbridge.policy import Action, Principal
from healthbridge.settings import Settings
from healthbridge.web import i18n
from healthbridge.web.templating import render

router = APIRouter(include_in_schema=False)
Anyone = Depends(Public())
SignedIn = Annotated[Principal, Depends(Allow(Action.OWN_PROFILE))]
LOGIN_CSRF_COOKIE = "hb_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only local paths: ``next`` must never send a user to another site after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request, settings: Settings) -> bool:
    if settings.is_production:
        return True
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def _login_page(
    request: Request,
    *,
    next_url: str,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"next": next_url, "error": error, "email": email, "login_csrf": nonce},
        status_code=status_code,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/login")
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Anyone])
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next_url=_safe_next(next))


def _throttled_message(failure: TooManyAttempts) -> str:
    if failure.context is not None and failure.context.object_type == "address":
        return N_("Too many failed sign-ins from your network address. Please try again later.")
    return N_("Too many failed sign-ins for this account. Please try again later.")


@router.post("/login", dependencies=[Anyone])
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(
            request,
            next_url=_safe_next(next),
            email=email,
            status_code=400,
            error=N_("Your sign-in form expired. Please try again."),
        )
    try:
        _token, secret, _user = accounts.login(
            session=session,
            email=email,
            password=password,
            kind="web",
            hours=settings.login_token_hours,
            address=client_address(request),
        )
    except (Unauthenticated, TooManyAttempts) as failure:
        # The page is re-rendered rather than the error raised, so audit the refusal here, as the
        # session dependency does for refusals that leave a route.
        session.rollback()
        audit_refusal(request, failure)
        if isinstance(failure, TooManyAttempts):
            page = _login_page(
                request,
                next_url=_safe_next(next),
                email=email,
                status_code=429,
                error=_throttled_message(failure),
            )
            page.headers["Retry-After"] = str(failure.retry_after)
            return page
        return _login_page(
            request,
            next_url=_safe_next(next),
            email=email,
            status_code=401,
            error=N_("Wrong e-mail or password."),
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        max_age=settings.login_token_hours * 3600,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, actor: SignedIn) -> Response:
    accounts.revoke_token(session=session, actor=actor, token_id=request.state.session_token.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/language/{code}", dependencies=[Anyone])
def choose_language(
    request: Request, code: str, settings: SettingsDep, next: str | None = None
) -> Response:
    """Switch the interface to ``code`` (en, ko, id) and go back to ``next``; the choice is
    remembered in a cookie for a year. An unknown language is 404."""
    if code not in i18n.LANGUAGES:
        return JSONResponse({"detail": f"unknown language {code!r}"}, status_code=404)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        i18n.LANGUAGE_COOKIE,
        code,
        max_age=i18n.LANGUAGE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
    return response


@router.get("/healthz", dependencies=[Anyone], include_in_schema=True, tags=["operations"])
def healthz(session: SessionDep) -> JSONResponse:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return JSONResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
            "version": __version__,
        },
        status_code=status,
    )


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@router.get("/static/vendor/plotly.min.js", dependencies=[Anyone])
def plotly_js() -> FileResponse:
    """Plotly's bundle, served from the installed Python package (no CDN)."""
    return FileResponse(
        _plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/favicon.ico", dependencies=[Anyone])
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


def static_directory() -> str:
    return str(resources.files("healthbridge").joinpath("static"))
