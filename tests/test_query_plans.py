"""The plans PostgreSQL chooses for the hot list queries, captured from the services themselves
(not rewritten by hand): a country's case list reads its page from an index, in order, without
sorting the country's cases. Checked with sequential scans discouraged, so the test asks whether
an index *can* serve the query, whatever the size of the test's tables."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts import service as accounts
from healthbridge.paging import PageRequest
from healthbridge.policy import Role
from healthbridge.surveillance import case_queries


@pytest.fixture
def postgres(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("query plans are PostgreSQL's")


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
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        found = cursor.fetchone()[0]
    document = found if isinstance(found, list) else json.loads(found)
    return dict(document[0]["Plan"])


@pytest.mark.usefixtures("postgres")
@pytest.mark.parametrize("sort", ["-report_date", "report_date"])
def test_a_countrys_case_list_reads_its_page_from_the_index(
    engine: Engine, session_factory: sessionmaker[Session], make_user: Any, sort: str
) -> None:
    reader = accounts.principal_of(make_user(Role.EPIDEMIOLOGIST, "THA"))
    statements, capture = _captured(engine)
    try:
        with session_factory() as session:
            case_queries.list_cases(
                session=session, actor=reader, page=PageRequest(limit=50, offset=0, sort=sort)
            )
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(page_sql, parameters)] = [
        (s, p) for s, p in statements if "FROM case_reports" in s and "LIMIT" in s
    ]
    with session_factory() as session:
        plan = _plan(session, page_sql, parameters)
    kinds = [node["Node Type"] for node in _nodes(plan)]
    used = {node.get("Index Name") for node in _nodes(plan)}
    assert "ix_case_reports_country_report" in used, kinds
    assert not {"Sort", "Incremental Sort"} & set(kinds), kinds
