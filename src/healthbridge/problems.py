"""Errors at the HTTP border: RFC 9457 problem+json for the API, pages for the browser.

Nothing the client sends may produce a 500: every error a service raises on purpose, every
validation failure and every oversized body is a 4xx with a title and a detail that says what to
change. An unexpected error is a 500 problem that names no internals.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from healthbridge.errors import HealthBridgeError, TooManyAttempts, Unauthenticated
from healthbridge.inputs import INT_MAX, INT_MIN
from healthbridge.marks import N_
from healthbridge.web import i18n
from healthbridge.web.templating import is_htmx, request_language

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
#: The title of an error of a status without its own.
ERROR_TITLE = N_("Error")
_TITLES = {
    400: N_("Bad request"),
    401: N_("Not authenticated"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request body too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid input"),
    500: N_("Internal server error"),
}

#: The JSON schema of a problem body, as the handlers below write it (RFC 9457 plus ``errors``).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`/problems/<slug>`: what kind of error"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "what to change"},
        "instance": {"type": "string", "description": "the path that was asked for"},
        "errors": {
            "type": "array",
            "description": "one entry per invalid field (and row, for files)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "row": {"type": "integer"},
                },
            },
        },
    },
}

#: Declared on every API operation (``include_router(responses=...)``): any client error is a
#: problem+json, so the OpenAPI document says so instead of FastAPI's default 422 body.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "Client error (invalid input, not authenticated, forbidden, not found, "
        "conflict, too large, too many attempts): an RFC 9457 problem",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response (RFC 9457)."""
    title = title or _TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": f"/problems/{slug or title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def wants_html(request: Request) -> bool:
    """Browser pages get pages; the API (and anything asking for JSON) gets problem+json."""
    if request.url.path.startswith("/api/") or request.url.path == "/healthz":
        return False
    return "text/html" in request.headers.get("accept", "")


def _html_error(request: Request, status: int, title: str, detail: str) -> Response:
    templates = request.app.state.templates
    language = request_language(request)
    with i18n.use_language(language):
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": status,
                "title": title,
                "detail": detail,
                "language": language,
                "languages": i18n.LANGUAGES,
                "current_path": request.url.path,
            },
            status_code=status,
        )


def _sign_in_again(request: Request) -> Response | None:
    """For a fragment that htmx asked for (a panel the page polls, a filter) without a valid
    session: an ``HX-Redirect`` to the sign-in page, back to the page the user is on afterwards.
    A plain redirect would be followed inside the request and the sign-in page swapped into
    the panel. ``None`` for anything else."""
    if not is_htmx(request) or request.url.path.startswith("/api/"):
        return None
    page = urlsplit(request.headers.get("hx-current-url", ""))
    return Response(status_code=401, headers={"HX-Redirect": _sign_in_url(page.path, page.query)})


def _sign_in_url(path: str, query: str) -> str:
    """The sign-in page, then back to ``path?query``."""
    target = (path or "/") + (f"?{query}" if query else "")
    return f"/login?next={quote(target)}"


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HealthBridgeError)
    if isinstance(exc, Unauthenticated) and (again := _sign_in_again(request)) is not None:
        return again
    if wants_html(request):
        if isinstance(exc, Unauthenticated):
            return RedirectResponse(
                _sign_in_url(request.url.path, request.url.query), status_code=303
            )
        return _html_error(request, exc.status, exc.title, exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        slug=exc.slug,
        errors=[e.as_dict() for e in exc.errors] or None,
        instance=request.url.path,
        headers=headers,
    )


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:] or parts
    return ".".join(parts)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_of(e.get("loc", ())), "message": e.get("msg", "invalid")}
        for e in exc.errors()
    ]
    fields = ", ".join(sorted({e["field"] for e in errors})) or "the request"
    detail = f"invalid value for {fields}"
    if wants_html(request):
        return _html_error(request, 422, N_("Invalid input"), detail)
    return problem(422, detail, slug="invalid-input", errors=errors, instance=request.url.path)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = (
        exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, ERROR_TITLE)
    )
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}"
    if wants_html(request):
        return _html_error(
            request, exc.status_code, _TITLES.get(exc.status_code, ERROR_TITLE), detail
        )
    return problem(
        exc.status_code, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
    )


def _database_unavailable(exc: Exception) -> bool:
    """A database that cannot be reached or cut the connection (restarting, failing over):
    the request may succeed later, nothing about it is wrong."""
    return isinstance(exc, sa_exc.DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError)
    )


def _client_number_out_of_range(exc: Exception) -> bool:
    """PostgreSQL refused a number beyond its ``integer`` (``22003``) that the statement was
    given, not computed: an identifier from the client's path or query that no record can
    have (SQLite, 64-bit, finds nothing instead; request bodies are checked by
    :class:`~healthbridge.inputs.InputModel`)."""
    if not isinstance(exc, sa_exc.DataError) or getattr(exc.orig, "sqlstate", None) != "22003":
        return False
    params: Any = exc.params
    rows = params if isinstance(params, list | tuple) else [params]
    values = [
        value for row in rows for value in (row.values() if isinstance(row, dict) else row or ())
    ]
    return any(
        isinstance(v, int) and not isinstance(v, bool) and not INT_MIN <= v <= INT_MAX
        for v in values
    )


def _unavailable(request: Request, exc: Exception) -> Response:
    # 503 with Retry-After: clients and load balancers retry instead of reporting a bug.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    detail = "the database is unavailable for the moment; try again shortly"
    if wants_html(request):
        return _html_error(request, 503, ERROR_TITLE, detail)
    return problem(
        503,
        detail,
        title="Service unavailable",
        slug="database-unavailable",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


async def _on_database_error(request: Request, exc: Exception) -> Response:
    # Answered here rather than by the catch-all, which re-raises after answering (and the
    # server then drops the client's keep-alive connection). Other database errors are bugs.
    if _client_number_out_of_range(exc):
        detail = f"a number in the request is out of range: from {INT_MIN} to {INT_MAX}"
        if wants_html(request):
            return _html_error(request, 422, N_("Invalid input"), detail)
        return problem(422, detail, slug="invalid-input", instance=request.url.path)
    if not _database_unavailable(exc):
        raise exc
    return _unavailable(request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    if _database_unavailable(exc):
        return _unavailable(request, exc)
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    detail = "an unexpected error occurred; it has been logged"
    if wants_html(request):
        return _html_error(request, 500, N_("Internal server error"), detail)
    return problem(500, detail, instance=request.url.path)


#: The largest integer SQLite stores (signed 64 bits).
SQLITE_MAX_INTEGER = 2**63 - 1


async def _on_overflow(request: Request, exc: Exception) -> Response:
    # SQLite's driver refuses a Python int beyond 64 bits with OverflowError when it is bound to
    # a statement: an identifier or number from the client that no record can have. (PostgreSQL
    # compares it as numeric and finds nothing.) Any other overflow is ours: a 500.
    if "SQLite INTEGER" not in str(exc):
        return await _on_unexpected(request, exc)
    detail = f"a number in the request is out of range: at most {SQLITE_MAX_INTEGER}"
    if wants_html(request):
        return _html_error(request, 422, N_("Invalid input"), detail)
    return problem(422, detail, slug="invalid-input", instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem (or an error page)."""
    app.add_exception_handler(HealthBridgeError, _on_domain_error)
    app.add_exception_handler(OverflowError, _on_overflow)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(sa_exc.DBAPIError, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


class BodyTooLarge(StarletteHTTPException):
    """Raised while a streamed body is read; FastAPI passes HTTP exceptions through as they are."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, declared or streamed (chunked), and
    compressed bodies with 415."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding not in (b"", b"identity"):
            # Nothing here inflates a compressed body: refusing it outright also refuses every
            # decompression bomb, whatever the declared length.
            detail = "compressed request bodies (Content-Encoding) are not accepted: send it plain"
            await self._reject(scope, receive, send, 415, detail)
            return
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                await self._reject(scope, receive, send, 400, "invalid Content-Length header")
                return
            if too_large:
                await self._reject(scope, receive, send, 413, self._message())
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
        await problem(status, detail, instance=scope.get("path"))(scope, receive, send)


class RefuseNulCharacters:
    """Refuse a NUL character in the path or the query string with a 422 naming where it is.

    No identifier or filter of ours contains one, and PostgreSQL cannot even compare it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = _nul_field(scope)
            if field is not None:
                response = problem(
                    422,
                    f"{field} contains a NUL character",
                    slug="invalid-input",
                    errors=[{"field": field, "message": "contains a NUL character"}],
                    instance=scope.get("path", "").replace("\x00", ""),
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_field(scope: Scope) -> str | None:
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "\x00" not in query and "%00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None
