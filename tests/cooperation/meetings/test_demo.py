"""The meetings demo: the two series, the seven meetings, their statements, the planned 3rd HMM."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings import demo, search, service
from healthbridge.cooperation.meetings.models import Document, Meeting, MeetingSeries
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal

TITLES = {
    ("Korea–ASEAN Secretariat meeting on the health dialogue channel", dt.date(2019, 11, 26)),
    ("1st ASEAN–Republic of Korea Health Ministers' Meeting", dt.date(2022, 5, 15)),
    ("9th ASEAN Plus Three Health Ministers' Meeting", dt.date(2022, 5, 15)),
    ("Korea–Indonesia bilateral talks", dt.date(2022, 5, 16)),
    ("Korea–United States bilateral talks", dt.date(2022, 5, 16)),
    ("2nd ASEAN–Republic of Korea Health Ministers' Meeting", dt.date(2024, 8, 29)),
    ("10th ASEAN Plus Three Health Ministers' Meeting", dt.date(2024, 8, 29)),
}


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (MeetingSeries, Meeting, Document)
    )


def test_the_demo_loads_once(session: Session, operator: Principal) -> None:
    demo.load_demo(session=session, actor=operator)
    session.commit()
    first = counts(session)
    assert first == (2, 8, 4)
    demo.load_demo(session=session, actor=operator)
    session.commit()
    assert counts(session) == first


def test_the_demo_meetings(session: Session, operator: Principal) -> None:
    demo.load_demo(session=session, actor=operator)
    session.commit()
    for title, day in TITLES:
        meeting = service.find_meeting(session=session, title=title, starts_on=day)
        assert meeting is not None, title
        assert meeting.status == "held"
        assert meeting.source_note and "Demo data" in meeting.source_note
        assert meeting.agenda and all(item.outcome for item in meeting.agenda)

    first = service.find_meeting(
        session=session,
        title="1st ASEAN–Republic of Korea Health Ministers' Meeting",
        starts_on=dt.date(2022, 5, 15),
    )
    assert first is not None
    assert (first.city, first.country_code) == ("Bali", "IDN")
    assert [c.country_code for c in first.co_chairs] == ["KOR", "IDN"]
    countries = {p.country_code for p in first.participants if p.country_code}
    assert countries == set(demo.ASEAN_10) | {"KOR"}
    assert {p.organisation_code for p in first.participants if p.organisation_code} == {
        "WHO",
        "ASEC",
    }
    [statement] = first.documents
    assert statement.kind == "joint_statement"
    assert statement.text is not None and statement.text.startswith(first.title)
    assert "DEMO SUMMARY - not the official text" in statement.text

    apt = service.find_meeting(
        session=session,
        title="10th ASEAN Plus Three Health Ministers' Meeting",
        starts_on=dt.date(2024, 8, 29),
    )
    assert apt is not None
    roles = {p.country_code: p.role for p in apt.participants if p.country_code}
    assert {roles["CHN"], roles["JPN"], roles["KOR"]} == {"member"}
    assert roles["TLS"] == "observer"  # an ASEAN member only since October 2025
    assert apt.number_in_series == 10


def test_the_3rd_asean_rok_meeting_is_planned_in_malaysia(
    session: Session, operator: Principal
) -> None:
    demo.load_demo(session=session, actor=operator)
    session.commit()
    third = service.find_meeting(
        session=session,
        title="3rd ASEAN–Republic of Korea Health Ministers' Meeting",
        starts_on=dt.date(2026, 8, 29),
    )
    assert third is not None
    assert third.status == "planned"
    assert third.country_code == "MYS"
    assert [c.country_code for c in third.co_chairs] == ["KOR", "MYS"]


def test_search_finds_the_demo_statements(session: Session, operator: Principal) -> None:
    demo.load_demo(session=session, actor=operator)
    session.commit()

    def titles(q: str) -> set[str]:
        hits, _ = search.search_documents(session=session, actor=operator, page=PageRequest(), q=q)
        return {hit.meeting_title or "" for hit in hits}

    assert titles("biomanufacturing") == {
        "1st ASEAN–Republic of Korea Health Ministers' Meeting",
        "2nd ASEAN–Republic of Korea Health Ministers' Meeting",
    }
    assert "10th ASEAN Plus Three Health Ministers' Meeting" in titles('"dialogue channel"')
    assert len(titles("dialogue channel")) == 3
