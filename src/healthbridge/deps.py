"""Request dependencies shared by the API routes and the web pages.

The request owns the unit of work: :func:`get_session` commits once when the route succeeds and
rolls back when it fails. Refused attempts are then written to the audit log in a transaction of
their own, so that the refusal survives the rollback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import ApiToken
from healthbridge.audit import service as audit
from healthbridge.db import unit_of_work
from healthbridge.errors import (
    DenialContext,
    FieldError,
    Forbidden,
    HealthBridgeError,
    Invalid,
    Unauthenticated,
)
from healthbridge.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, PageRequest
from healthbridge.policy import Action, Principal, rule_for
from healthbridge.security import csrf_matches
from healthbridge.settings import Settings

SESSION_COOKIE = "hb_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request, committed when the route succeeds.

    Opening a session touches no database, so it happens on the event loop; the commit or
    rollback and the close run in the thread pool in one hop. (The cheap dependencies are
    ``async`` for the same reason: under load every hop to a thread waits for the GIL.)
    """
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        yield session
    except HealthBridgeError as refused:
        await run_in_threadpool(_end, session, commit=False)
        if refused.context is not None:
            await run_in_threadpool(audit_refusal, request, refused)
        raise
    except BaseException:
        await run_in_threadpool(_end, session, commit=False)
        raise
    else:
        await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def client_address(request: Request) -> str | None:
    """The network address of the request's client, when the server knows it."""
    return request.client.host if request.client else None


def audit_refusal(request: Request, denied: HealthBridgeError) -> None:
    context = denied.context or DenialContext(action="unknown")
    principal: Principal | None = getattr(request.state, "principal", None)
    with unit_of_work(request.app.state.session_factory) as session:
        audit.record(
            session=session,
            actor=principal,
            action=context.action,
            outcome="denied",
            object_type=context.object_type,
            object_id=context.object_id,
            country=context.country,
            detail={
                "method": request.method,
                "path": request.url.path,
                "reason": denied.detail,
                # Where it came from (behind a proxy, as its forwarded headers say; see
                # docs/operations.md): sign-in failures are also counted by address.
                "address": client_address(request),
            },
        )


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthenticated("malformed Authorization header: expected 'Bearer <token>'")
    return credentials.strip()


def _resolved(request: Request, session: SessionDep) -> tuple[Principal, ApiToken]:
    """The bearer token's or session cookie's principal and token.

    A plain function, so that FastAPI runs its database round trip in the thread pool: on the
    event loop it would stall every other request of the worker while it waits.
    """
    secret = _bearer(request)
    via = "token"
    if secret is None:
        secret = request.cookies.get(SESSION_COOKIE)
        via = "web"
    if secret is None:
        raise Unauthenticated("sign in first: send 'Authorization: Bearer <token>'")
    principal, token = accounts.resolve_token(session=session, secret=secret, via=via)
    # Known before the CSRF check, so that a refused request is audited under its actor.
    request.state.principal = principal
    request.state.session_token = token
    return principal, token


async def current_principal(
    request: Request, resolved: Annotated[tuple[Principal, ApiToken], Depends(_resolved)]
) -> Principal:
    """The authenticated principal: a bearer token (API clients) or the session cookie (browser).

    Cookie-authenticated writes must carry the session's CSRF token, in the ``X-CSRF-Token``
    header (htmx) or the ``csrf_token`` form field.
    """
    principal, token = resolved
    if principal.via == "web" and request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            presented = value if isinstance(value, str) else None
        key = request.app.state.secret_key
        if not csrf_matches(key, token.token_digest, presented):
            raise Forbidden(
                "missing or wrong CSRF token: reload the page and try again",
                context=DenialContext(action="csrf", object_type="request"),
            )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class RouteGuard:
    """The declared policy of a route. Every route has exactly one (the matrix test checks)."""

    action: Action | None = None


class Allow(RouteGuard):
    """The route performs ``action``: only roles the policy allows reach it.

    The service still checks the country of each record; this is the coarse gate.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        rule = rule_for(self.action) if self.action else None
        if rule is None or principal.role not in rule.roles:
            raise Forbidden(
                f"the role '{principal.role}' may not perform '{self.action}'",
                context=DenialContext(action=str(self.action)),
            )
        return principal

    def __repr__(self) -> str:
        return f"Allow({self.action})"


class Public(RouteGuard):
    """The route is open to anyone: login, health check, static pages."""

    async def __call__(self) -> None:
        return None

    def __repr__(self) -> str:
        return "Public()"


async def page_request(
    limit: int = DEFAULT_LIMIT, offset: int = 0, sort: str | None = None
) -> PageRequest:
    """The ``limit``/``offset``/``sort`` query parameters of every list."""
    errors: list[FieldError] = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"between 1 and {MAX_LIMIT}"))
    if not 0 <= offset <= MAX_OFFSET:
        errors.append(FieldError("offset", f"between 0 and {MAX_OFFSET}"))
    if errors:
        raise Invalid("bad paging parameters", errors=errors)
    return PageRequest(limit=limit, offset=offset, sort=sort)


PageDep = Annotated[PageRequest, Depends(page_request)]


def add_link_header(request: Request, response: Response, page: PageRequest, total: int) -> None:
    """RFC 8288 ``Link`` header with the ``next`` and ``prev`` pages of a list."""
    links = []
    if page.offset + page.limit < total:
        url = request.url.include_query_params(offset=page.offset + page.limit, limit=page.limit)
        links.append(f'<{url}>; rel="next"')
    if page.offset > 0:
        url = request.url.include_query_params(
            offset=max(page.offset - page.limit, 0), limit=page.limit
        )
        links.append(f'<{url}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)


async def _form_fields(request: Request) -> dict[str, str]:
    """The request's form fields that are text (files left out). Read here, on the event loop,
    so that the route that takes them can be a plain function run in the thread pool."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]
