"""Builds the application: the API under ``/api/v1``, the web pages, and the error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from healthbridge import __version__
from healthbridge.accounts import pages as account_pages
from healthbridge.accounts import routes as account_routes
from healthbridge.audit import pages as audit_pages
from healthbridge.audit import routes as audit_routes
from healthbridge.concurrency import ConcurrencyLimit
from healthbridge.cooperation.commitments import pages as commitment_pages
from healthbridge.cooperation.commitments import routes as commitment_routes
from healthbridge.cooperation.meetings import pages as meeting_pages
from healthbridge.cooperation.meetings import routes as meeting_routes
from healthbridge.cooperation.projects import pages as project_pages
from healthbridge.cooperation.projects import routes as project_routes
from healthbridge.cooperation.training import pages as training_pages
from healthbridge.cooperation.training import routes as training_routes
from healthbridge.cooperation.uhc import pages as uhc_pages
from healthbridge.cooperation.uhc import routes as uhc_routes
from healthbridge.db import make_engine, make_session_factory
from healthbridge.eoc import assessment_pages as eoc_assessment_pages
from healthbridge.eoc import assessment_routes as eoc_assessment_routes
from healthbridge.eoc import (
    assistance_pages,
    assistance_routes,
    investigation_pages,
    investigation_routes,
)
from healthbridge.eoc import pages as eoc_pages
from healthbridge.eoc import routes as eoc_routes
from healthbridge.geography import pages as geography_pages
from healthbridge.geography import routes as geography_routes
from healthbridge.organisations import pages as organisation_pages
from healthbridge.organisations import routes as organisation_routes
from healthbridge.problems import (
    PROBLEM_RESPONSES,
    BodySizeLimit,
    RefuseNulCharacters,
    install_problem_handlers,
)
from healthbridge.resources import catalogue_pages as resource_catalogue_pages
from healthbridge.resources import catalogue_routes as resource_catalogue_routes
from healthbridge.resources import plan_pages as resource_plan_pages
from healthbridge.resources import plan_routes as resource_plan_routes
from healthbridge.resources import request_pages as resource_request_pages
from healthbridge.resources import request_routes as resource_request_routes
from healthbridge.settings import ProductionRefused, Settings, get_settings
from healthbridge.surveillance import case_pages, case_routes, signal_pages, signal_routes
from healthbridge.surveillance import pages as surveillance_pages
from healthbridge.surveillance import routes as surveillance_routes
from healthbridge.web import pages as shell_pages
from healthbridge.web import situation_pages
from healthbridge.web.i18n import LanguageMiddleware
from healthbridge.web.templating import make_templates

API_PREFIX = "/api/v1"

DESCRIPTION = """
The API of HealthBridge, the ASEAN–Republic of Korea health cooperation system.

**Authentication.** `POST /api/v1/auth/token` with `username` (e-mail) and `password` gives a
bearer token; machine clients use a long-lived token from `healthbridge token create` or
`POST /api/v1/me/tokens`. Send it as `Authorization: Bearer hb_...`.

**Lists** take `limit` (1–500, default 50), `offset` and `sort` (a field, `-field` for
descending) and answer `{items, total, limit, offset}`.

**Errors** are RFC 9457 `application/problem+json` with `type`, `title`, `status`, `detail` and,
for invalid input, `errors: [{field, message, row?}]`.

**Data sovereignty.** Records about people stay in their country's scope; refused attempts are
recorded in the audit log.
"""


#: Every router of the app, so that tests (the authorisation matrix) can enumerate its routes.
API_ROUTERS: tuple[APIRouter, ...] = (
    account_routes.router,
    geography_routes.router,
    organisation_routes.router,
    surveillance_routes.router,
    signal_routes.router,
    case_routes.router,
    eoc_routes.router,
    investigation_routes.router,
    eoc_assessment_routes.router,
    assistance_routes.router,
    resource_catalogue_routes.router,
    resource_plan_routes.router,
    resource_request_routes.router,
    audit_routes.router,
    meeting_routes.router,
    commitment_routes.router,
    project_routes.router,
    uhc_routes.router,
    training_routes.router,
    situation_pages.api_router,
)
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    shell_pages.router,
    situation_pages.router,
    geography_pages.router,
    surveillance_pages.router,
    signal_pages.router,
    case_pages.router,
    eoc_pages.router,
    eoc_assessment_pages.router,
    assistance_pages.router,
    resource_catalogue_pages.router,
    resource_plan_pages.router,
    resource_request_pages.router,
    investigation_pages.router,
    organisation_pages.router,
    account_pages.router,
    audit_pages.router,
    meeting_pages.router,
    commitment_pages.router,
    project_pages.router,
    uhc_pages.router,
    training_pages.router,
)


def iter_routes() -> Iterator[tuple[str, APIRoute]]:
    """``(full path, route)`` of every API and page route the app serves."""
    for router in API_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield API_PREFIX + route.path, route
    for router in PAGE_ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield route.path, route


def create_app(settings: Settings | None = None) -> FastAPI:
    """The HealthBridge ASGI application for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    problems = settings.production_problems()
    if problems:
        raise ProductionRefused(problems)
    engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="HealthBridge",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.secret_key = settings.resolved_secret_key()
    app.state.templates = make_templates()

    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    for router in PAGE_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=shell_pages.static_directory()), name="static")

    install_problem_handlers(app)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(RefuseNulCharacters)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # The connections the pool keeps: requests never open (and close) extra ones at each peak,
    # and the pool's overflow (db.py) is left to work outside a request's own session (the
    # audit of a refusal, a streamed export).
    kept = settings.db_pool_size
    app.add_middleware(
        ConcurrencyLimit, limit=min(settings.max_concurrent_requests or kept, 2 * kept)
    )
    return app
