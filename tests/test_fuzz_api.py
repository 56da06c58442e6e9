"""Hostile input: schemathesis over every operation of ``/api/v1/openapi.json``, as every role.

Each (operation, role) pair is one test, so a failure names both. Schemathesis generates requests
from the OpenAPI document, valid ones and deliberately invalid ones (wrong types, missing fields,
values out of range), and some with the path identifiers of records that exist, so that the
handlers past the 404 are reached too. Every response must be:

- no server error (no 5xx),
- of a status the operation documents (any 4xx is the problem+json every router declares),
- of the documented content type, with a body that matches the documented schema.

The database is SQLite with the demo data (``healthbridge demo``) and one user per role (THA for
country roles, the region for regional ones); every pair after a writing one starts from a
copy of that seeded database, so that writes of one pair never change what the next one sees
(reads only add to the audit log, and skip the copy). Within a pair, writes of one example are
seen by the next (as they would be in real use).

A cheaper pass runs on PostgreSQL (stricter: 32-bit ``integer`` columns, typed comparisons),
where the suite has it: the same demo data, one role (:data:`PG_ROLE`), one example per
operation, all operations in one test (the demo data is loaded once), sharing one database.

The examples are derandomised (the same requests on every run) and few in CI. A bigger run by
hand: ``HEALTHBRIDGE_FUZZ_EXAMPLES=100 .venv/bin/pytest -q -p no:cacheprovider
tests/test_fuzz_api.py`` (``-n 4`` spreads it; ``HEALTHBRIDGE_FUZZ_SEED=<n>`` draws other
requests instead of the derandomised ones); on PostgreSQL
``HEALTHBRIDGE_FUZZ_PG_EXAMPLES=25 scripts/with-postgres .venv/bin/pytest -q -p no:cacheprovider
tests/test_fuzz_api.py -k postgresql``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from healthbridge import flows, migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.api import API_PREFIX, create_app
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.policy import REGIONAL_ONLY_ROLES, Role, operator_principal
from healthbridge.settings import Settings

#: Examples per (operation, role): small in CI; raise it for a run by hand.
EXAMPLES = int(os.environ.get("HEALTHBRIDGE_FUZZ_EXAMPLES", "2"))
#: Unset: derandomised (the same requests each run). Set: a Hypothesis seed, for other requests.
SEED = os.environ.get("HEALTHBRIDGE_FUZZ_SEED")
SECRET_KEY = "fuzz-secret-key-" + "x" * 40
BASE_URL = "http://testserver"
#: Countries of the fuzzing users: Thailand for country roles, none for regional ones.
COUNTRY = "THA"
#: The PostgreSQL pass: one role, the one with the widest rights (every write route that any
#: role may call but the country-only ones), and fewer examples per operation.
PG_ROLE = Role.REGIONAL_ADMIN
PG_EXAMPLES = int(os.environ.get("HEALTHBRIDGE_FUZZ_PG_EXAMPLES", "1"))
PG_ENV = "HEALTHBRIDGE_TEST_POSTGRES_URL"


def _openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, built with throw-away settings (no request is served)."""
    application = create_app(Settings(database_url="sqlite://", secret_key=SECRET_KEY))
    try:
        document: dict[str, Any] = application.openapi()
    finally:
        application.state.engine.dispose()
    return document


SCHEMA = schemathesis.openapi.from_dict(_openapi_document())
OPERATIONS = {
    operation.label: operation for operation in (r.ok() for r in SCHEMA.get_all_operations())
}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class FuzzWorld:
    """The app on a working copy of the seeded database, and what the tests send it."""

    app: FastAPI
    client: ASGIClient
    template: Path
    database: Path
    headers: dict[Role, dict[str, str]]
    #: Path template -> {parameter: identifier of an existing record}.
    known: dict[str, dict[str, Any]]
    #: Whether the last test may have changed the database (it sent other than GET).
    written: bool = False

    def reset(self) -> None:
        """Put the working database back to the seeded state."""
        self.app.state.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, self.database)


def _seed(url: str, roles: list[Role] | None = None) -> dict[Role, dict[str, str]]:
    """Demo data and one user per role (of ``roles``, default all) with an API token; bearer
    headers per role."""
    engine = make_engine(url)
    operator = operator_principal("fuzz")
    try:
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            flows.load_demo(session=session, actor=operator)
        headers: dict[Role, dict[str, str]] = {}
        for role in roles or list(Role):
            country = None if role in REGIONAL_ONLY_ROLES else COUNTRY
            with unit_of_work(factory) as session:
                user = accounts.create_user(
                    session=session,
                    actor=operator,
                    user_in=UserCreate(
                        email=f"fuzz.{role.value}@example.org",
                        full_name=f"Fuzz {role.value}",
                        role=role,
                        country=country,
                        password="correct horse battery staple",
                    ),
                )
                _token, secret = accounts.issue_token(
                    session=session, user=user, kind="api", name="fuzz", expires_at=None
                )
            headers[role] = {"Authorization": f"Bearer {secret}"}
        return headers
    finally:
        engine.dispose()


def _first_identifier(body: Any, parameter: str) -> Any:
    """The identifier ``parameter`` names in the first record of a list answer, if any."""
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    record = items[0]
    for key in (parameter, "id" if parameter.endswith("_id") else "code", "id", "code"):
        if key in record and isinstance(record[key], int | str):
            return record[key]
    return None


def _known_identifiers(client: ASGIClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """For each path template, identifiers of existing records found through its parent lists.

    ``/events/{event_id}/investigations/{investigation_id}`` takes the first event of
    ``GET /events`` and the first investigation of ``GET /events/<id>/investigations``.
    Parameters without a list to read them from stay generated.
    """
    known: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS.values():
        path = operation.path
        if "{" not in path or path in known:
            continue
        values: dict[str, Any] = {}
        resolved = ""
        for segment in path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                response = client.get(resolved, headers=headers)
                value = (
                    _first_identifier(response.json(), name)
                    if response.status_code == 200
                    else None
                )
                if value is None:
                    break
                values[name] = value
                resolved += f"/{value}"
            else:
                resolved += f"/{segment}"
        known[path] = values
    return known


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    directory = tmp_path_factory.mktemp("fuzz")
    template = directory / "template.sqlite3"
    headers = _seed(f"sqlite:///{template}")
    database = directory / "work.sqlite3"
    shutil.copyfile(template, database)
    settings = Settings(
        database_url=f"sqlite:///{database}", secret_key=SECRET_KEY, data_dir=directory / "data"
    )
    app = create_app(settings)
    with ASGIClient(app, base_url=BASE_URL) as client:
        known = _known_identifiers(client, headers[Role.REGIONAL_ADMIN])
        app.state.engine.dispose()
        # The lookups above audited their reads: keep them, and fold the WAL into the template
        # so that a plain copy of it is the whole database.
        shutil.copyfile(database, template)
        for suffix in ("-wal", "-shm"):
            wal = Path(f"{database}{suffix}")
            if wal.exists():
                shutil.copyfile(wal, Path(f"{template}{suffix}"))
        engine = create_engine(f"sqlite:///{template}")
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
        engine.dispose()
        yield FuzzWorld(app, client, template, database, headers, known)
    app.state.engine.dispose()


def _pg_url(database: str) -> str:
    url = make_url(os.environ[PG_ENV])
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=database).render_as_string(hide_password=False)


@dataclass
class PgFuzzWorld:
    """The app on a working copy (``CREATE DATABASE ... TEMPLATE``) of a seeded PostgreSQL
    database."""

    app: FastAPI
    client: ASGIClient
    admin: Engine
    template: str
    database: str
    headers: dict[str, str]
    known: dict[str, dict[str, Any]]

    def signed_in(self) -> bool:
        """Whether the fuzzing user still signs in with their token, in their role."""
        response = self.client.get(f"{API_PREFIX}/me", headers=self.headers)
        return response.status_code == 200 and response.json().get("role") == PG_ROLE.value

    def reset(self) -> None:
        """Put the working database back to the seeded state."""
        self.app.state.engine.dispose()
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            connection.exec_driver_sql(
                f'CREATE DATABASE "{self.database}" TEMPLATE "{self.template}"'
            )


@pytest.fixture(scope="module")
def pg_world(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgFuzzWorld]:
    """The demo data on PostgreSQL (from the suite's migrated template), one user of
    :data:`PG_ROLE`, and the app on a working copy."""
    suffix = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
    template, database = f"hb_fuzz_seed_{suffix}", f"hb_fuzz_{suffix}"
    admin = create_engine(_pg_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{template}" TEMPLATE "{pg_template}"')
    try:
        headers = _seed(_pg_url(template), roles=[PG_ROLE])[PG_ROLE]
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        settings = Settings(
            database_url=_pg_url(database),
            secret_key=SECRET_KEY,
            data_dir=tmp_path_factory.mktemp("fuzz_pg") / "data",
        )
        app = create_app(settings)
        with ASGIClient(app, base_url=BASE_URL) as client:
            known = _known_identifiers(client, headers)
            yield PgFuzzWorld(app, client, admin, template, database, headers, known)
        app.state.engine.dispose()
    finally:
        with admin.connect() as connection:
            for name in (database, template):
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _strategy(label: str, known: dict[str, dict[str, Any]]) -> st.SearchStrategy[Any]:
    operation = OPERATIONS[label]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    existing = known.get(operation.path)
    if existing:
        strategies.insert(
            0, operation.as_strategy(GenerationMode.POSITIVE, path_parameters=existing)
        )
    return st.one_of(strategies)


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_answers_as_documented(world: FuzzWorld, label: str, role: Role) -> None:
    if world.written:
        # Reads change nothing but the audit log: only after writes is the seeded state needed
        # back (a write may even revoke the token the next tests sign in with).
        world.reset()
    world.written = not label.startswith("GET ")
    headers = world.headers[role]

    @settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(case=_strategy(label, world.known))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=BASE_URL, session=world.client, headers=headers, checks=CHECKS
        )

    if SEED is not None:
        run = seed(int(SEED))(run)
    run()


def _pg_order(label: str) -> tuple[tuple[int, int], str]:
    """Reads first, deletions last (they take away the records later operations reach), and
    the operations on the fuzzing user's own sign-in at the very end."""
    method, path = label.split(" ", 1)
    own = path.startswith((f"{API_PREFIX}/auth", f"{API_PREFIX}/me", f"{API_PREFIX}/users"))
    return (int(own), {"GET": 0, "DELETE": 2}.get(method, 1)), label


def test_every_operation_answers_as_documented_on_postgresql(pg_world: PgFuzzWorld) -> None:
    """The same checks on PostgreSQL (stricter than SQLite: 32-bit integers, typed
    comparisons), every operation as :data:`PG_ROLE`, :data:`PG_EXAMPLES` example(s) each.

    Then every integer path parameter in turn gets 2**31 (one past PostgreSQL's ``integer``,
    the rest of the path from existing records): no 5xx.

    One test, so that the demo data is loaded once (not once per worker): a failure names
    every operation that failed. The operations share the database, as in real use; it is
    copied back from the seeded one only when a write cost the fuzzing user their sign-in or
    their role."""
    resolved = [path for path, values in pg_world.known.items() if values]
    assert len(resolved) >= len(pg_world.known) // 2, "the demo data is missing"
    failures: dict[str, str] = {}
    for label in sorted(OPERATIONS, key=_pg_order):
        reading = label.startswith("GET ")

        @settings(
            max_examples=PG_EXAMPLES,
            derandomize=SEED is None,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
        @given(case=_strategy(label, pg_world.known))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=BASE_URL, session=pg_world.client, headers=pg_world.headers, checks=CHECKS
            )

        if SEED is not None:
            run = seed(int(SEED))(run)
        try:
            run()
        except Exception as failed:  # every operation is tried, and all failures reported
            failures[label] = f"{type(failed).__name__}: {failed}"
        if not reading and not pg_world.signed_in():
            pg_world.reset()
    for label in sorted(OPERATIONS, key=_pg_order):
        # Derandomised examples rarely draw such numbers.
        method, path = label.split(" ", 1)
        known = pg_world.known.get(path, {})
        for name in _integer_path_parameters(method, path):
            values = {**known, name: 2**31}
            if set(_names(path)) - set(values):
                continue
            try:
                response = pg_world.client.request(
                    method, path.format(**values), json={}, headers=pg_world.headers
                )
            except Exception as failed:  # the test client re-raises what the app did not answer
                failures[f"{label} with {name}={2**31}"] = f"{type(failed).__name__}: {failed}"
            else:
                if response.status_code >= 500:
                    failures[f"{label} with {name}={2**31}"] = response.text[:300]
        if method != "GET" and not pg_world.signed_in():
            pg_world.reset()
    assert not failures, "\n\n".join(f"{label}\n{why}" for label, why in failures.items())


def _names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _integer_path_parameters(method: str, path: str) -> list[str]:
    """The path parameters of an operation that the document types ``integer``."""
    operation = SCHEMA.raw_schema["paths"][path][method.lower()]
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    ]


def test_every_operation_is_fuzzed() -> None:
    """The parametrisation covers the whole API (a schema that failed to load would not)."""
    assert len(OPERATIONS) > 100
    assert all(label.split(" ", 1)[1].startswith(API_PREFIX) for label in OPERATIONS)


def test_existing_records_are_reached(world: FuzzWorld) -> None:
    """Path identifiers of seeded records are found, so handlers past the 404 are fuzzed too."""
    assert set(world.known[f"{API_PREFIX}/countries/{{code}}"]) == {"code"}
    resolved = [path for path, values in world.known.items() if values]
    assert f"{API_PREFIX}/events/{{event_id}}/investigations/{{investigation_id}}" in resolved
    assert len(resolved) >= len(world.known) // 2


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{API_PREFIX}/commitments/{2**63}", None),
        ("POST", f"{API_PREFIX}/commitments/{2**63}/status", {"status": "agreed"}),
        (
            "POST",
            f"{API_PREFIX}/resources/lots/{2**63}/movements",
            {"kind": "issue", "quantity": 1},
        ),
    ],
)
def test_an_identifier_beyond_64_bits_is_a_422_not_a_500(
    world: FuzzWorld, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """Found by this fuzzing: SQLite's driver cannot even bind such a number (OverflowError)."""
    world.reset()
    world.written = True
    response = world.client.request(
        method, path, json=body, headers=world.headers[Role.REGIONAL_ADMIN]
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "out of range" in response.json()["detail"]
