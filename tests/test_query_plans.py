"""The plans PostgreSQL chooses for the hot list queries, captured from the services themselves
(not rewritten by hand): a country's case list, the signal queue, a series' weekly counts, the
event board, a country's lab results and the audit log read their page from an index, in order,
without sorting every matching row. Checked with sequential and bitmap scans discouraged, so the
test asks whether an index *can* serve the query, whatever the size of the test's tables.

The lists only read (each runs in a session that is rolled back), so the module shares one
PostgreSQL database, copied once from the migrated template."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit import service as audit
from healthbridge.eoc import queries as eoc_queries
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import case_queries, signal_queue, weekly


@pytest.fixture(scope="module")
def database_url(pg_template: str) -> Iterator[str]:
    """One copy of the PostgreSQL template for the whole module (query plans are PostgreSQL's;
    ``pg_template`` skips, or fails where PostgreSQL is required, without a server)."""
    admin_url = make_url(os.environ["HEALTHBRIDGE_TEST_POSTGRES_URL"])
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"hb_plans_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _actor(role: Role, country: str | None) -> Principal:
    return Principal(email=f"{role.value}@example.org", role=role, country=country)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _captured(engine: Engine) -> tuple[list[tuple[str, Any]], Any]:
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, parameters: Any, _x: Any, _m: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    return statements, capture


def _plan(session: Session, statement: str, parameters: Any) -> dict[str, Any]:
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # A bitmap scan gives up the index's order: on the test's small tables the planner
        # may prefer one and sort; the question is whether an index can serve the order.
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        found = cursor.fetchone()[0]
    document = found if isinstance(found, list) else json.loads(found)
    return dict(document[0]["Plan"])


def _page_plan(
    engine: Engine,
    session_factory: sessionmaker[Session],
    run: Callable[[Session], object],
    table: str,
) -> tuple[list[str], set[str]]:
    """Run a service's list in a rolled-back session; the node types and the indexes of the
    plan of its page query (the one reading ``table`` with a ``LIMIT``, not a bounded count), a
    partition's index named by the partitioned table's."""
    statements, capture = _captured(engine)
    try:
        with session_factory() as session:
            run(session)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(page_sql, parameters)] = [
        (s, p)
        for s, p in statements
        if f"FROM {table}" in s and "LIMIT" in s and not s.startswith("SELECT count(")
    ]
    with session_factory() as session:
        plan = _plan(session, page_sql, parameters)
        names = [str(node["Index Name"]) for node in _nodes(plan) if "Index Name" in node]
        used = {_root_index(session, name) for name in names}
    return [node["Node Type"] for node in _nodes(plan)], used


def _root_index(session: Session, name: str) -> str:
    """The index a partition's index was made from (``case_reports__tha_..._idx`` is a part of
    ``ix_case_reports_country_report``); any other index's own name."""
    root = session.execute(
        text("SELECT pg_partition_root(to_regclass(:name))::regclass::text"), {"name": name}
    ).scalar_one()
    return str(root or name)


def _served_in_order(found: tuple[list[str], set[str]], index: str) -> None:
    kinds, used = found
    assert index in used, (kinds, used)
    assert not {"Sort", "Incremental Sort"} & set(kinds), kinds


@pytest.mark.parametrize("sort", ["-report_date", "report_date"])
def test_a_countrys_case_list_reads_its_page_from_the_index(
    engine: Engine, session_factory: sessionmaker[Session], sort: str
) -> None:
    reader = _actor(Role.EPIDEMIOLOGIST, "THA")

    def run(session: Session) -> object:
        return case_queries.list_cases(
            session=session, actor=reader, page=PageRequest(limit=50, offset=0, sort=sort)
        )

    found = _page_plan(engine, session_factory, run, "case_reports")
    _served_in_order(found, "ix_case_reports_country_report")


@pytest.mark.parametrize(
    ("country", "index"),
    [("THA", "ix_signals_country_week"), (None, "ix_signals_week")],
    ids=["a country", "the region"],
)
def test_the_signal_queue_reads_its_page_from_an_index(
    engine: Engine,
    session_factory: sessionmaker[Session],
    country: str | None,
    index: str,
) -> None:
    reader = _actor(Role.EOC_OFFICER, "THA")

    def run(session: Session) -> object:
        where = signal_queue.check_filter(country=country)
        return signal_queue.list_signals(
            session=session, actor=reader, page=PageRequest(limit=50), where=where
        )

    _served_in_order(_page_plan(engine, session_factory, run, "signals"), index)


def test_a_countrys_weekly_counts_of_a_disease_read_their_page_from_the_index(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    reader = _actor(Role.FOCAL_POINT, "THA")

    def run(session: Session) -> object:
        where = weekly.check_filter(session=session, actor=reader, country="THA", disease="dengue")
        return weekly.list_weekly_counts(
            session=session, actor=reader, page=PageRequest(limit=100), where=where
        )

    found = _page_plan(engine, session_factory, run, "weekly_counts")
    _served_in_order(found, "ix_weekly_counts_country_disease_week")


@pytest.mark.parametrize("sort", ["-updated_at", "updated_at"])
@pytest.mark.parametrize(
    ("country", "open_only"),
    [("THA", False), (None, False), ("THA", True)],
    ids=["a country's officer", "a regional officer", "the situation room's open events"],
)
def test_the_event_board_reads_its_page_from_the_index(
    engine: Engine,
    session_factory: sessionmaker[Session],
    sort: str,
    country: str | None,
    open_only: bool,
) -> None:
    reader = _actor(Role.EOC_OFFICER, country)

    def run(session: Session) -> object:
        return eoc_queries.list_events(
            session=session,
            actor=reader,
            page=PageRequest(limit=50, sort=sort),
            where=eoc_queries.check_filter(open_only=open_only),
        )

    _served_in_order(_page_plan(engine, session_factory, run, "events"), "ix_events_updated")


@pytest.mark.parametrize("sort", ["-sample_date", "sample_date"])
def test_a_countrys_lab_results_read_their_page_from_the_index(
    engine: Engine, session_factory: sessionmaker[Session], sort: str
) -> None:
    reader = _actor(Role.EPIDEMIOLOGIST, "THA")

    def run(session: Session) -> object:
        return case_queries.list_lab_results(
            session=session, actor=reader, page=PageRequest(limit=50, sort=sort)
        )

    found = _page_plan(engine, session_factory, run, "lab_results")
    _served_in_order(found, "ix_lab_results_country_sample")


@pytest.mark.parametrize(
    ("action", "outcome", "country", "index"),
    [
        (None, None, None, "pk_audit_entries"),
        ("case_report.read", None, None, "ix_audit_entries_action_id"),
        (None, "denied", None, "ix_audit_entries_refused_id"),
        (None, None, "THA", "ix_audit_entries_country_id"),
    ],
    ids=["all", "an action", "the refusals", "a country"],
)
def test_the_audit_log_reads_its_page_from_an_index(
    engine: Engine,
    session_factory: sessionmaker[Session],
    action: str | None,
    outcome: str | None,
    country: str | None,
    index: str,
) -> None:
    reader = _actor(Role.REGIONAL_ADMIN, None)

    def run(session: Session) -> object:
        return audit.list_entries(
            session=session,
            actor=reader,
            action=action,
            outcome=outcome,
            country=country,
            limit=50,
        )

    found = _page_plan(engine, session_factory, run, "audit_entries")
    _served_in_order(found, index)
