"""The meetings service: the rules of a meeting, its agenda, co-chair rotation and scheduling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cooperation.meetings.builders import load, meeting_body, simple_series

from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.meetings import agenda, series, service
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.cooperation.meetings.schemas import (
    AgendaItemCreate,
    AgendaItemUpdate,
    MeetingCreate,
    MeetingUpdate,
)
from healthbridge.errors import Conflict, Forbidden, HealthBridgeError, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal

MakeMeeting = Callable[..., int]


def fields_of(error: HealthBridgeError) -> list[str]:
    return [e.field for e in error.errors]


def create(session: Session, actor: Principal, **overrides: Any) -> Meeting:
    return service.create_meeting(
        session=session,
        actor=actor,
        meeting_in=MeetingCreate.model_validate(meeting_body(**overrides)),
    )


def meetings_count(session: Session) -> int:
    return len(session.scalars(select(Meeting.id)).all())


# --- creating and reading ---------------------------------------------------------------------


def test_a_meeting_is_stored_with_everything_it_holds_and_audited(
    session: Session, secretariat: Principal
) -> None:
    meeting = create(session, secretariat)
    session.commit()
    fresh = service.get_meeting(session=session, actor=secretariat, meeting_id=meeting.id)
    assert fresh.title == "Senior officials' meeting on health"
    assert (fresh.starts_on, fresh.ends_on) == (dt.date(2025, 3, 10), dt.date(2025, 3, 11))
    assert fresh.status == "planned"
    assert [(c.country_code, c.organisation_code) for c in fresh.co_chairs] == [
        ("THA", None),
        (None, "ASEC"),
    ]
    assert [(p.country_code or p.organisation_code, p.role) for p in fresh.participants] == [
        ("THA", "member"),
        ("KOR", "member"),
        ("WHO", "observer"),
    ]
    assert [d.full_name for d in fresh.delegates] == ["Somchai Wongsakul"]
    assert [(a.position, a.title, a.outcome) for a in fresh.agenda] == [
        (1, "Opening", None),
        (2, "Draft joint statement", "Agreed ad referendum"),
    ]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.create")).one()
    assert entry.object_id == str(meeting.id)
    assert entry.country_code == "THA"


def test_ends_on_defaults_to_starts_on(session: Session, secretariat: Principal) -> None:
    meeting = create(session, secretariat, ends_on=None)
    assert meeting.ends_on == meeting.starts_on


def test_a_meeting_cannot_end_before_it_starts(session: Session, secretariat: Principal) -> None:
    with pytest.raises(Invalid) as refused:
        create(session, secretariat, starts_on="2025-03-10", ends_on="2025-03-09")
    assert fields_of(refused.value) == ["ends_on"]
    assert meetings_count(session) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country_code": "USA"}, "country_code"),
        ({"co_chairs": [{"country_code": "XXX"}]}, "co_chairs[0].country_code"),
        ({"co_chairs": [{"organisation_code": "NOPE"}]}, "co_chairs[0].organisation_code"),
        (
            {"participants": [{"country_code": "THA"}, {"country_code": "tha"}]},
            "participants[1]",
        ),
        ({"delegates": [{"full_name": "X", "country_code": "ZZZ"}]}, "delegates[0].country_code"),
        ({"series": "NO-SUCH-SERIES"}, "series"),
        ({"number_in_series": 3}, "number_in_series"),
    ],
)
def test_bad_references_are_refused_naming_the_field_and_nothing_is_stored(
    session: Session, secretariat: Principal, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        create(session, secretariat, **overrides)
    assert fields_of(refused.value) == [field]
    session.rollback()
    assert meetings_count(session) == 0


def test_the_same_title_on_the_same_day_is_a_conflict(
    session: Session, secretariat: Principal
) -> None:
    create(session, secretariat)
    with pytest.raises(Conflict) as refused:
        create(session, secretariat)
    assert fields_of(refused.value) == ["title"]
    assert create(session, secretariat, starts_on="2026-01-05", ends_on=None).id


def test_only_writers_write_and_everyone_reads(
    session: Session, secretariat: Principal, viewer: Principal
) -> None:
    with pytest.raises(Forbidden):
        create(session, viewer)
    meeting = create(session, secretariat)
    assert service.get_meeting(session=session, actor=viewer, meeting_id=meeting.id) is meeting
    with pytest.raises(NotFound):
        service.get_meeting(session=session, actor=viewer, meeting_id=meeting.id + 1000)


def test_contract_functions(session: Session, secretariat: Principal) -> None:
    meeting = create(session, secretariat)
    assert service.require_meeting(session=session, meeting_id=meeting.id) is meeting
    assert service.require_meeting(session=session, meeting_id=None) is None
    with pytest.raises(Invalid) as refused:
        service.require_meeting(session=session, meeting_id=9999, field="meeting")
    assert fields_of(refused.value) == ["meeting"]
    with pytest.raises(Invalid):
        service.require_document(session=session, document_id=9999)
    found = service.find_meeting(session=session, title=meeting.title, starts_on=meeting.starts_on)
    assert found is meeting
    assert (
        service.find_meeting(session=session, title=meeting.title, starts_on=dt.date(2000, 1, 1))
        is None
    )


# --- listing ------------------------------------------------------------------------------------


def test_list_filters(session: Session, secretariat: Principal, viewer: Principal) -> None:
    a = create(session, secretariat, title="Bangkok meeting")
    b = create(
        session,
        secretariat,
        title="Seoul talks",
        meeting_type="bilateral",
        status="held",
        starts_on="2024-06-01",
        ends_on=None,
        country_code="KOR",
        city="Seoul",
        co_chairs=[{"country_code": "KOR"}, {"country_code": "VNM"}],
        participants=[],
    )

    def ids(**filters: Any) -> list[int]:
        rows, total = service.list_meetings(
            session=session, actor=viewer, page=PageRequest(), **filters
        )
        assert total == len(rows)
        return [m.id for m in rows]

    assert ids() == [a.id, b.id]  # newest first
    assert ids(meeting_type="bilateral") == [b.id]
    assert ids(year=2024) == [b.id]
    assert ids(status="planned") == [a.id]
    assert ids(q="seoul") == [b.id]
    assert ids(q="100%") == []
    assert ids(country="VNM") == [b.id]  # a co-chair
    assert set(ids(country="KOR")) == {a.id, b.id}  # a participant, and the host
    assert ids(between=(dt.date(2025, 3, 11), dt.date(2025, 3, 31))) == [a.id]
    assert ids(ended_before=dt.date(2025, 1, 1)) == [b.id]
    assert ids(not_ended_before=dt.date(2025, 3, 11)) == [a.id]
    with pytest.raises(Invalid) as refused:
        ids(country="XXX")
    assert fields_of(refused.value) == ["country"]
    with pytest.raises(Invalid) as refused:
        service.list_meetings(session=session, actor=viewer, page=PageRequest(sort="nonsense"))
    assert fields_of(refused.value) == ["sort"]


# --- updating -----------------------------------------------------------------------------------


def test_update_changes_the_fields_and_lists_given(
    session: Session, secretariat: Principal
) -> None:
    meeting = create(session, secretariat)
    service.update_meeting(
        session=session,
        actor=secretariat,
        meeting_id=meeting.id,
        changes=MeetingUpdate.model_validate(
            {"status": "held", "theme": "  ", "co_chairs": [{"country_code": "KOR"}]}
        ),
    )
    session.commit()
    fresh = load(session, meeting.id)
    assert fresh.status == "held"
    assert fresh.theme is None
    assert [c.country_code for c in fresh.co_chairs] == ["KOR"]
    assert len(fresh.participants) == 3  # not given: unchanged
    assert session.scalars(
        select(AuditEntry.detail).where(AuditEntry.action == "meeting.update")
    ).one() == {"fields": ["co_chairs", "status", "theme"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": "2025-03-01"}, "ends_on"),
        ({"starts_on": "2025-04-01"}, "ends_on"),
        ({"title": None}, "title"),
        ({"country_code": "ZZZ"}, "country_code"),
    ],
)
def test_bad_updates_are_refused(
    session: Session, secretariat: Principal, changes: dict[str, Any], field: str
) -> None:
    meeting = create(session, secretariat)
    session.commit()
    with pytest.raises(Invalid) as refused:
        service.update_meeting(
            session=session,
            actor=secretariat,
            meeting_id=meeting.id,
            changes=MeetingUpdate.model_validate(changes),
        )
    assert fields_of(refused.value) == [field]
    session.rollback()
    assert load(session, meeting.id).ends_on == dt.date(2025, 3, 11)


# --- agenda -------------------------------------------------------------------------------------


def test_agenda_items_are_appended_inserted_moved_and_updated(
    session: Session, secretariat: Principal
) -> None:
    meeting = create(session, secretariat)

    def add(title: str, position: int | None = None) -> int:
        return agenda.add_agenda_item(
            session=session,
            actor=secretariat,
            meeting_id=meeting.id,
            item_in=AgendaItemCreate(title=title, position=position),
        ).id

    def titles() -> list[str]:
        session.expire_all()
        return [a.title for a in load(session, meeting.id).agenda]

    add("Closing")
    first = add("Welcome", position=1)
    add("Far away", position=99)
    assert titles() == ["Welcome", "Opening", "Draft joint statement", "Closing", "Far away"]
    assert [a.position for a in load(session, meeting.id).agenda] == [1, 2, 3, 4, 5]

    item = agenda.update_agenda_item(
        session=session,
        actor=secretariat,
        meeting_id=meeting.id,
        item_id=first,
        changes=AgendaItemUpdate(position=3, outcome="Delegates welcomed"),
    )
    assert item.outcome == "Delegates welcomed"
    assert titles() == ["Opening", "Draft joint statement", "Welcome", "Closing", "Far away"]

    other = create(session, secretariat, title="Another")
    with pytest.raises(NotFound):
        agenda.update_agenda_item(
            session=session,
            actor=secretariat,
            meeting_id=other.id,
            item_id=first,
            changes=AgendaItemUpdate(title="moved across meetings"),
        )
    with pytest.raises(Invalid):
        agenda.update_agenda_item(
            session=session,
            actor=secretariat,
            meeting_id=meeting.id,
            item_id=first,
            changes=AgendaItemUpdate.model_validate({"title": None}),
        )


# --- series, rotation and scheduling ----------------------------------------------------------


def test_months_and_ordinals() -> None:
    assert series.add_months(dt.date(2024, 8, 29), 24) == dt.date(2026, 8, 29)
    assert series.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert series.add_months(dt.date(2023, 11, 15), 2) == dt.date(2024, 1, 15)
    assert [series.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip


def test_asean_members_follow_the_date(session: Session, viewer: Principal) -> None:
    before = series.asean_members_on(session=session, actor=viewer, on=dt.date(2024, 8, 29))
    after = series.asean_members_on(session=session, actor=viewer, on=dt.date(2026, 8, 29))
    assert [code for code, _ in before] == [
        "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM",
    ]  # fmt: skip
    assert [code for code, _ in after] == [
        "BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("previous", "on", "expected"),
    [
        ("IDN", dt.date(2024, 8, 29), "LAO"),
        ("LAO", dt.date(2026, 8, 29), "MYS"),
        ("THA", dt.date(2024, 1, 1), "VNM"),  # before Timor-Leste joined
        ("THA", dt.date(2026, 1, 1), "TLS"),  # after
        ("VNM", dt.date(2026, 1, 1), "BRN"),  # round again
        (None, dt.date(2026, 1, 1), "BRN"),
    ],
)
def test_the_asean_co_chair_rotates_alphabetically(
    session: Session,
    secretariat: Principal,
    previous: str | None,
    on: dt.date,
    expected: str,
) -> None:
    rok = series.create_series(
        session=session, actor=secretariat, series_in=simple_series(fixed_co_chair_country="KOR")
    )
    last = None
    if previous:
        last = create(
            session, secretariat, co_chairs=[{"country_code": "KOR"}, {"country_code": previous}]
        )
    got = series.next_rotating_co_chair(
        session=session, actor=secretariat, series=rok, on=on, previous=last
    )
    assert got == expected


def test_a_series_without_rotation_has_no_rotating_co_chair(
    session: Session, secretariat: Principal
) -> None:
    plain = series.create_series(
        session=session, actor=secretariat, series_in=simple_series(rotation_rule=None)
    )
    got = series.next_rotating_co_chair(
        session=session, actor=secretariat, series=plain, on=dt.date(2026, 1, 1), previous=None
    )
    assert got is None


def test_series_codes_are_unique_and_checked(session: Session, secretariat: Principal) -> None:
    series.create_series(session=session, actor=secretariat, series_in=simple_series("abc-1"))
    assert series.get_series(session=session, actor=secretariat, code="ABC-1").code == "ABC-1"
    with pytest.raises(Conflict) as refused:
        series.create_series(session=session, actor=secretariat, series_in=simple_series("ABC-1"))
    assert fields_of(refused.value) == ["code"]
    with pytest.raises(Invalid) as refused:
        series.create_series(
            session=session,
            actor=secretariat,
            series_in=simple_series("ABC-2", fixed_co_chair_country="XYZ"),
        )
    assert fields_of(refused.value) == ["fixed_co_chair_country"]
    with pytest.raises(NotFound):
        series.get_series(session=session, actor=secretariat, code="nothing")


def test_meetings_of_a_series_are_numbered(session: Session, secretariat: Principal) -> None:
    series.create_series(session=session, actor=secretariat, series_in=simple_series())
    first = create(session, secretariat, series="test-series")
    second = create(session, secretariat, series="TEST-SERIES", title="Second")
    assert (first.number_in_series, second.number_in_series) == (1, 2)
    with pytest.raises(Conflict) as refused:
        create(session, secretariat, series="TEST-SERIES", title="Third", number_in_series=2)
    assert fields_of(refused.value) == ["number_in_series"]


def test_schedule_next_plans_the_3rd_asean_rok_meeting_in_malaysia(
    session: Session, secretariat: Principal, rok_series: str
) -> None:
    rok = series.get_series(session=session, actor=secretariat, code=rok_series)
    meeting, created = series.schedule_next(session=session, actor=secretariat, series=rok)
    session.commit()
    assert created
    assert meeting.title == "3rd ASEAN–Republic of Korea Health Ministers' Meeting"
    assert meeting.status == "planned"
    assert meeting.number_in_series == 3
    assert meeting.starts_on == meeting.ends_on == dt.date(2026, 8, 29)
    assert meeting.country_code == "MYS"
    assert [c.country_code for c in meeting.co_chairs] == ["KOR", "MYS"]
    assert meeting.meeting_type == "asean_rok_hmm"

    again, created_again = series.schedule_next(session=session, actor=secretariat, series=rok)
    assert not created_again
    assert again.id == meeting.id
    assert len(session.scalars(select(Meeting).where(Meeting.series_id == rok.id)).all()) == 3
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "meeting_series.schedule_next")
    ).all()
    assert len(actions) == 1


def test_schedule_next_skips_cancelled_meetings_and_needs_a_first_one(
    session: Session, secretariat: Principal, rok_series: str
) -> None:
    empty = series.create_series(session=session, actor=secretariat, series_in=simple_series())
    with pytest.raises(Conflict) as refused:
        series.schedule_next(session=session, actor=secretariat, series=empty)
    assert fields_of(refused.value) == ["series"]

    rok = series.get_series(session=session, actor=secretariat, code=rok_series)
    planned, _ = series.schedule_next(session=session, actor=secretariat, series=rok)
    planned.status = "cancelled"
    session.flush()
    replacement, created = series.schedule_next(session=session, actor=secretariat, series=rok)
    assert created
    assert replacement.id != planned.id
    # Counted from the 2nd meeting, numbered after the cancelled one.
    assert replacement.starts_on == dt.date(2026, 8, 29)
    assert replacement.number_in_series == 4
    assert replacement.title == "4th ASEAN–Republic of Korea Health Ministers' Meeting"


def test_schedule_next_after_a_planned_meeting_returns_it(
    session: Session, secretariat: Principal, rok_series: str, viewer: Principal
) -> None:
    rok = series.get_series(session=session, actor=secretariat, code=rok_series)
    with pytest.raises(Forbidden):
        series.schedule_next(session=session, actor=viewer, series=rok)
    planned, _ = series.schedule_next(session=session, actor=secretariat, series=rok)
    planned.status = "held"
    session.flush()
    fourth, created = series.schedule_next(session=session, actor=secretariat, series=rok)
    assert created
    assert fourth.starts_on == dt.date(2028, 8, 29)
    assert [c.country_code for c in fourth.co_chairs] == ["KOR", "MMR"]


def test_a_meeting_moves_into_and_out_of_a_series(session: Session, secretariat: Principal) -> None:
    series.create_series(session=session, actor=secretariat, series_in=simple_series())
    meeting = create(session, secretariat)

    def update(**changes: Any) -> Meeting:
        return service.update_meeting(
            session=session,
            actor=secretariat,
            meeting_id=meeting.id,
            changes=MeetingUpdate.model_validate(changes),
        )

    moved = update(series="TEST-SERIES")
    assert moved.series is not None and moved.series.code == "TEST-SERIES"
    assert moved.number_in_series == 1
    assert update(number_in_series=5).number_in_series == 5
    assert update(title="Renamed").number_in_series == 5
    out = update(series=None)
    assert (out.series, out.number_in_series) == (None, None)
    with pytest.raises(Invalid) as refused:
        update(number_in_series=2)
    assert fields_of(refused.value) == ["number_in_series"]
