"""The case table partitioned by country (PostgreSQL, migration 0019), and what refers to a case
by the pair (id, country) on both databases: lab results and event links."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_case

from healthbridge import migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work, utcnow
from healthbridge.eoc import lifecycle
from healthbridge.eoc import queries as eoc_queries
from healthbridge.eoc.models import EventLink
from healthbridge.geography.models import Country
from healthbridge.policy import Role
from healthbridge.surveillance.models import CaseReport, LabResult

MakeUser = Callable[..., User]


@pytest.fixture
def postgres(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite has no partitions")


def _linked_case(session: Session, make_user: MakeUser, case_id: str = "C-1") -> int:
    """A Thai case with a lab result, linked to a Thai event through the EOC service."""
    officer = accounts.principal_of(make_user(Role.EOC_OFFICER, "THA"))
    case = make_case(session, country="THA", case_id=case_id)
    event = lifecycle.create_event(
        session=session,
        actor=officer,
        new=lifecycle.NewEvent(country="THA", disease="dengue", title="Dengue cluster"),
    )
    eoc_queries.add_link(
        session=session, actor=officer, event_id=event.id, kind="case", target_id=case.id
    )
    return case.id


@pytest.mark.usefixtures("postgres")
def test_a_case_is_stored_in_its_countrys_partition(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        session.add(
            Country(
                code="ZZA",
                alpha2="ZZ",
                numeric="999",
                name_en="Newland",
                official_name_en="Republic of Newland",
                capital="Newtown",
                timezone="UTC",
            )
        )
        session.flush()
        for country, case_id in (("THA", "T-1"), ("VNM", "V-1"), ("ZZA", "Z-1")):
            make_case(session, country=country, case_id=case_id)
    with session_factory() as session:
        placed = dict(
            session.execute(
                text("SELECT case_id, tableoid::regclass::text FROM case_reports")
            ).all()
        )
    # A country added after the migration has no partition of its own: the default one holds it.
    assert placed == {
        "T-1": "case_reports__tha",
        "V-1": "case_reports__vnm",
        "Z-1": "case_reports__other",
    }


@pytest.mark.usefixtures("postgres")
def test_a_countrys_case_query_reads_only_its_partition(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        driver: Any = session.connection().connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT id FROM case_reports WHERE country_code = %s"
                " ORDER BY report_date DESC, id DESC LIMIT 50",
                ("THA",),
            )
            found = cursor.fetchone()[0]
    document = found if isinstance(found, list) else json.loads(found)
    relations: set[str] = set()
    pending = [document[0]["Plan"]]
    while pending:
        node = pending.pop()
        if "Relation Name" in node:
            relations.add(node["Relation Name"])
        pending.extend(node.get("Plans", []))
    assert relations == {"case_reports__tha"}


def test_a_lab_result_cannot_refer_to_a_case_of_another_country(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        case_id = make_case(session, country="THA").id
    now = utcnow()
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as session:
        session.add(
            LabResult(
                case_report_id=case_id,
                country_code="VNM",
                sample_id="S-X",
                test_type="pcr",
                pathogen="DENV",
                result="positive",
                sample_date=now.date(),
                content_hash="0" * 32,
                created_at=now,
                updated_at=now,
            )
        )
    with session_factory() as session:
        assert session.scalars(select(LabResult.country_code)).all() == ["THA"]


def test_an_event_link_names_its_cases_country_and_goes_with_the_case(
    session_factory: sessionmaker[Session], make_user: MakeUser
) -> None:
    with unit_of_work(session_factory) as session:
        case_id = _linked_case(session, make_user)
    with session_factory() as session:
        link = session.scalars(select(EventLink).where(EventLink.kind == "case")).one()
        assert (link.case_report_id, link.case_country_code) == (case_id, "THA")
    with unit_of_work(session_factory) as session:
        session.execute(delete(CaseReport).where(CaseReport.id == case_id))
    with session_factory() as session:
        assert session.scalars(select(LabResult)).all() == []
        assert session.scalars(select(EventLink).where(EventLink.kind == "case")).all() == []


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "case_reports": "SELECT id, country_code, case_id, report_date FROM case_reports",
        "lab_results": "SELECT id, case_report_id, country_code, sample_id FROM lab_results",
        "event_links": "SELECT id, kind, case_report_id, signal_id FROM event_links",
    }
    with engine.connect() as connection:
        return {
            table: sorted(connection.execute(text(sql)).all()) for table, sql in queries.items()
        }


def test_the_migration_keeps_every_case_lab_result_and_link_both_ways(
    engine: Engine, session_factory: sessionmaker[Session], make_user: MakeUser
) -> None:
    with unit_of_work(session_factory) as session:
        _linked_case(session, make_user, "C-1")
        make_case(session, country="VNM", case_id="V-1")
    before = _rows(engine)
    assert [len(rows) for rows in before.values()] == [2, 2, 1]
    migrate.downgrade(engine, "0018")
    assert _rows(engine) == before
    migrate.upgrade(engine)
    assert _rows(engine) == before
    with engine.connect() as connection:
        country = connection.execute(
            text("SELECT case_country_code FROM event_links WHERE kind = 'case'")
        ).scalar_one()
    assert country == "THA"
    # New cases still get new ids after the table was rebuilt.
    with unit_of_work(session_factory) as session:
        newest = make_case(session, country="THA", case_id="C-2").id
    assert newest > max(row[0] for row in before["case_reports"])
