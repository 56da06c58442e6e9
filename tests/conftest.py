"""The test harness every issue reuses.

- ``database_url``: a fresh, migrated database with the reference data, once on SQLite and once
  on PostgreSQL for every test that uses it (each test gets its own copy of a template, so tests
  commit for real and stay independent).
- ``app`` / ``client``: the application on that database, and a TestClient.
- ``make_user`` / ``login``: users of any role and country, and bearer headers for them.

PostgreSQL comes from HEALTHBRIDGE_TEST_POSTGRES_URL (``make test`` starts a throw-away server).
Without it the PostgreSQL half is skipped locally, and fails when HEALTHBRIDGE_REQUIRE_POSTGRES
is set (as ``make test`` and CI do), so that CI can never pass on SQLite alone.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from healthbridge import flows, migrate, security
from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.accounts.schemas import UserCreate
from healthbridge.api import create_app
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.policy import Principal, Role, operator_principal
from healthbridge.settings import Settings

PG_ENV = "HEALTHBRIDGE_TEST_POSTGRES_URL"
TEST_PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-key-" + "x" * 40
BACKENDS = ["sqlite", "postgresql"]


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pg_url(database: str) -> str:
    admin = _pg_admin_url()
    assert admin is not None
    url = make_url(admin)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=database).render_as_string(hide_password=False)


def _pg_admin_engine() -> Engine:
    return create_engine(
        _pg_url(make_url(_pg_admin_url() or "").database or "postgres"),
        isolation_level="AUTOCOMMIT",
    )


def _prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with unit_of_work(make_session_factory(engine)) as session:
            flows.seed_reference_data(session=session)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _prepare(f"sqlite:///{path}")
    # Fold the WAL into the main file so that a plain copy is a complete database.
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if _pg_admin_url() is None:
        if os.environ.get("HEALTHBRIDGE_REQUIRE_POSTGRES"):
            pytest.fail(f"{PG_ENV} is not set but PostgreSQL is required; run 'make test'")
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (make test starts a throw-away server)")
    name = f"hb_template_{_worker()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    _prepare(_pg_url(name))
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with the smallest cost: tests create many users; production keeps RFC 9106's."""
    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    security._hasher = original


_counter = itertools.count()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database with reference data, on ``backend``."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("pg_template")
    name = f"hb_t_{_worker()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and inspecting; commit what the app must see."""
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The situation room computed on every request: tests change data between two looks.
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        data_dir=tmp_path / "data",
        situation_cache_seconds=0,
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., FastAPI]]:
    """Apps made with the test settings changed by keyword (``max_body_bytes=8192``), their
    engines disposed after the test."""
    made: list[FastAPI] = []

    def factory(**changes: Any) -> FastAPI:
        application = create_app(settings.model_copy(update=changes))
        made.append(application)
        return application

    yield factory
    for application in made:
        application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def operator() -> Principal:
    return operator_principal("test-operator")


UserFactory = Callable[..., User]


@pytest.fixture
def make_user(session_factory: sessionmaker[Session], operator: Principal) -> UserFactory:
    """Create (and commit) a user: ``make_user(Role.EPIDEMIOLOGIST, "THA")``."""
    serial = itertools.count(1)

    def factory(role: Role = Role.VIEWER, country: str | None = "THA", **extra: Any) -> User:
        n = next(serial)
        scope = (country or "region").lower()
        data: dict[str, Any] = {
            "email": f"{role.value}.{scope}.{n}@example.org",
            "full_name": f"Test {role.value} {scope} {n}",
            "role": role,
            "country": country,
            "password": TEST_PASSWORD,
            **extra,
        }
        with unit_of_work(session_factory) as session:
            return accounts.create_user(session=session, actor=operator, user_in=UserCreate(**data))

    return factory


@pytest.fixture
def login(session_factory: sessionmaker[Session]) -> Callable[[User], dict[str, str]]:
    """Bearer headers for a user (a token issued directly, without the password round trip)."""

    def headers(user: User) -> dict[str, str]:
        with unit_of_work(session_factory) as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            _token, secret = accounts.issue_token(
                session=session, user=fresh, kind="api", name="test", expires_at=None
            )
        return {"Authorization": f"Bearer {secret}"}

    return headers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests are the slowest; run them last so that fast failures show first.
    items.sort(key=lambda item: "e2e" in str(item.fspath))


@pytest.fixture
def raw_sql(engine: Engine) -> Callable[..., None]:
    """Run SQL outside the ORM (e.g. a hand edit that the app would never make)."""

    def run(statement: str, **params: Any) -> None:
        with engine.begin() as connection:
            connection.execute(text(statement), params)

    return run
