"""Resource requests: what a request must say, the event it may name, each approval step and
who may take it, the board's filters and order, and the progress figures."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.resources.request_world import (
    KOR_LOGISTICS,
    LAO_EOC,
    LAO_FOCAL,
    OPERATOR,
    PHL_EOC,
    REGIONAL_LOGISTICS,
    SECRETARIAT,
    THA_FOCAL,
    VIEWER,
    World,
    build,
    in_days,
)

from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work, utcnow
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal
from healthbridge.resources import requests
from healthbridge.resources.models import (
    AllocationPlan,
    PlanLine,
    RequestStep,
    ResourceRequest,
    Shipment,
)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return build(session)


def item_request(**changes: object) -> requests.RequestInput:
    values: dict[str, object] = {
        "kind": "item",
        "item": "ors-sachet",
        "quantity": 500,
        "priority": "high",
        "needed_by": in_days(10),
        "delivery_point": "Central medical store, Vientiane",
    }
    values.update(changes)
    return requests.RequestInput(**values)  # type: ignore[arg-type]


def make(
    session_factory: sessionmaker[Session],
    actor: Principal = LAO_EOC,
    **changes: object,
) -> int:
    with unit_of_work(session_factory) as session:
        return requests.create_request(session=session, actor=actor, new=item_request(**changes)).id


def step(
    session_factory: sessionmaker[Session],
    actor: Principal,
    request_id: int,
    name: str,
    note: str | None = None,
) -> str:
    with unit_of_work(session_factory) as session:
        made = requests.take_step(
            session=session, actor=actor, request_id=request_id, step=name, note=note
        )
        return made.status


def fields(error: Invalid) -> set[str]:
    return {e.field for e in error.errors}


# -- asking ----------------------------------------------------------------------------------


def test_a_country_asks_for_its_own_country_by_default(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    with session_factory() as session:
        made = session.get(ResourceRequest, request_id)
        assert made is not None
        assert (made.country_code, made.status, made.kind) == ("LAO", "submitted", "item")
        assert made.requested_by == LAO_EOC.actor_label
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "resource_request")
        ).all()
        assert audited == ["resource_request.submit"]


def test_a_country_cannot_ask_in_another_countrys_name(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(Forbidden):
        make(session_factory, LAO_EOC, country="THA")
    with pytest.raises(Forbidden):
        make(session_factory, VIEWER, country="IDN")
    with session_factory() as session:
        assert session.scalar(select(func.count(ResourceRequest.id))) == 0


def test_a_regional_user_names_the_country(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(Invalid) as refused:
        make(session_factory, OPERATOR)
    assert fields(refused.value) == {"country"}
    assert make(session_factory, OPERATOR, country="mmr") > 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"item": "no-such-item"}, {"item"}),
        ({"item": None}, {"item"}),
        ({"quantity": 0}, {"quantity"}),
        ({"quantity": -5}, {"quantity"}),
        ({"priority": "urgent"}, {"priority"}),
        ({"needed_by": dt.date(2020, 1, 1)}, {"needed_by"}),
        ({"needed_by": None}, {"needed_by"}),
        ({"delivery_point": "  "}, {"delivery_point"}),
        ({"kind": "drone"}, {"kind"}),
        ({"country": "XYZ"}, {"country"}),
        ({"team_type": "emt_type_2"}, {"team_type"}),
        ({"needed_until": in_days(20)}, {"needed_until"}),
        ({"quantity": 0, "priority": "x", "item": "nope"}, {"quantity", "priority", "item"}),
    ],
)
def test_bad_item_requests_name_the_fields_and_store_nothing(
    session_factory: sessionmaker[Session],
    world: World,
    changes: dict[str, object],
    expected: set[str],
) -> None:
    actor = OPERATOR if "country" in changes else LAO_EOC
    with pytest.raises(Invalid) as refused:
        make(session_factory, actor, **changes)
    assert fields(refused.value) == expected
    with session_factory() as session:
        assert session.scalar(select(func.count(ResourceRequest.id))) == 0


def team(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "team",
        "item": None,
        "team_type": "field_epidemiologist",
        "quantity": 1,
        "needed_by": in_days(5),
        "needed_until": in_days(26),
        "skills": ["Outbreak", "outbreak"],
        "languages": ["EN", "tl"],
    }
    values.update(changes)
    return values


def test_a_team_request_keeps_its_window_skills_and_languages(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory, PHL_EOC, **team())
    with session_factory() as session:
        made = session.get(ResourceRequest, request_id)
        assert made is not None
        assert made.team_type == "field_epidemiologist"
        assert made.item_code is None
        assert made.skills == ["outbreak"]
        assert made.languages == ["en", "tl"]
        assert made.needed_until == in_days(26)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"team_type": "astronauts"}, {"team_type"}),
        ({"team_type": None}, {"team_type"}),
        ({"needed_until": in_days(1)}, {"needed_until"}),
        ({"languages": ["english"]}, {"languages"}),
        ({"skills": ["bad skill!"]}, {"skills"}),
        ({"item": "ors-sachet"}, {"item"}),
    ],
)
def test_bad_team_requests_name_the_fields(
    session_factory: sessionmaker[Session],
    world: World,
    changes: dict[str, object],
    expected: set[str],
) -> None:
    with pytest.raises(Invalid) as refused:
        make(session_factory, PHL_EOC, **team(**changes))
    assert fields(refused.value) == expected


# -- the event link --------------------------------------------------------------------------


def test_a_request_links_to_its_countrys_event_and_resources_assistance(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(
        session_factory,
        PHL_EOC,
        event_id=world.phl_event,
        assistance_request_id=world.phl_resources,
    )
    # The event follows from the assistance request when only that is given.
    other = make(session_factory, PHL_EOC, assistance_request_id=world.phl_resources)
    with session_factory() as session:
        for rid in (request_id, other):
            made = session.get(ResourceRequest, rid)
            assert made is not None
            assert (made.event_id, made.assistance_request_id) == (
                world.phl_event,
                world.phl_resources,
            )


def test_an_unseen_event_is_refused_like_a_missing_one(
    session_factory: sessionmaker[Session], world: World
) -> None:
    # The Lao event is shared with nobody: a regional user does not see it.
    with pytest.raises(Invalid) as unseen:
        make(session_factory, REGIONAL_LOGISTICS, country="LAO", event_id=world.lao_event)
    with pytest.raises(Invalid) as missing:
        make(session_factory, REGIONAL_LOGISTICS, country="LAO", event_id=999_999)
    assert [e.as_dict() for e in unseen.value.errors] == [
        {"field": "event_id", "message": f"no event with id {world.lao_event}"}
    ]
    assert fields(missing.value) == {"event_id"}
    # Laos sees its own event.
    assert make(session_factory, LAO_EOC, event_id=world.lao_event) > 0


def test_the_event_must_be_of_the_asking_country(
    session_factory: sessionmaker[Session], world: World
) -> None:
    # Laos sees the Philippines' event (shared with the region) but cannot ask for it.
    with pytest.raises(Invalid) as refused:
        make(session_factory, LAO_EOC, event_id=world.phl_event)
    assert fields(refused.value) == {"event_id"}


def test_the_assistance_request_must_be_of_the_event_and_of_a_fitting_kind(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(Invalid) as wrong_event:
        make(
            session_factory,
            LAO_EOC,
            event_id=world.lao_event,
            assistance_request_id=world.phl_resources,
        )
    assert fields(wrong_event.value) == {"assistance_request_id"}
    with pytest.raises(Invalid) as wrong_kind:
        make(session_factory, PHL_EOC, assistance_request_id=world.phl_field_team)
    assert fields(wrong_kind.value) == {"assistance_request_id"}
    # A team request may answer a field-team assistance request.
    assert make(session_factory, PHL_EOC, assistance_request_id=world.phl_field_team, **team()) > 0


# -- steps -----------------------------------------------------------------------------------


def test_the_full_path_records_every_step_and_audits_it(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    assert step(session_factory, LAO_FOCAL, request_id, "endorse") == "endorsed"
    assert step(session_factory, REGIONAL_LOGISTICS, request_id, "approve") == "approved"
    assert step(session_factory, SECRETARIAT, request_id, "close", "all delivered") == "closed"
    with session_factory() as session:
        steps = session.scalars(
            select(RequestStep).where(RequestStep.request_id == request_id).order_by(RequestStep.id)
        ).all()
        assert [(s.step, s.from_status, s.to_status) for s in steps] == [
            ("endorse", "submitted", "endorsed"),
            ("approve", "endorsed", "approved"),
            ("close", "approved", "closed"),
        ]
        assert steps[-1].note == "all delivered"
        assert steps[0].actor == LAO_FOCAL.actor_label
        audited = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "resource_request")
            .order_by(AuditEntry.id)
        ).all()
        assert audited == [
            "resource_request.submit",
            "resource_request.endorse",
            "resource_request.approve",
            "resource_request.close",
        ]


@pytest.mark.parametrize(
    ("path", "wrong", "allowed"),
    [
        ([], "approve", "endorse, reject, cancel"),
        ([], "close", "endorse, reject, cancel"),
        (["endorse"], "endorse", "approve, reject, cancel"),
        (["endorse", "approve"], "reject", "cancel, close"),
        (["endorse", "approve"], "approve", "cancel, close"),
        (["cancel"], "endorse", "it is final"),
    ],
)
def test_a_wrong_step_is_a_conflict_naming_the_allowed_ones(
    session_factory: sessionmaker[Session],
    world: World,
    path: list[str],
    wrong: str,
    allowed: str,
) -> None:
    request_id = make(session_factory)
    for name in path:
        step(session_factory, OPERATOR, request_id, name)
    with pytest.raises(Conflict) as refused:
        step(session_factory, OPERATOR, request_id, wrong, "note")
    assert allowed in refused.value.detail


def test_reject_and_close_need_a_note_and_unknown_steps_are_invalid(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    with pytest.raises(Invalid) as no_note:
        step(session_factory, LAO_FOCAL, request_id, "reject", "  ")
    assert fields(no_note.value) == {"note"}
    with pytest.raises(Invalid) as unknown:
        step(session_factory, LAO_FOCAL, request_id, "fast-track")
    assert fields(unknown.value) == {"step"}
    assert step(session_factory, LAO_FOCAL, request_id, "reject", "not needed") == "rejected"


def test_a_thai_focal_point_cannot_endorse_a_lao_request(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    with pytest.raises(Forbidden):
        step(session_factory, THA_FOCAL, request_id, "endorse")
    with pytest.raises(Forbidden):
        step(session_factory, THA_FOCAL, request_id, "reject", "no")
    with pytest.raises(Forbidden):
        step(session_factory, THA_FOCAL, request_id, "cancel")
    # Nor may Laos' EOC officer endorse (only its focal point), nor a country approve.
    with pytest.raises(Forbidden):
        step(session_factory, LAO_EOC, request_id, "endorse")
    step(session_factory, LAO_FOCAL, request_id, "endorse")
    with pytest.raises(Forbidden):
        step(session_factory, LAO_FOCAL, request_id, "approve")
    with pytest.raises(Forbidden):
        step(session_factory, KOR_LOGISTICS, request_id, "approve")
    # An endorsed request is rejected by the region, not by the country.
    with pytest.raises(Forbidden):
        step(session_factory, LAO_FOCAL, request_id, "reject", "changed our mind")
    with session_factory() as session:
        made = session.get(ResourceRequest, request_id)
        assert made is not None and made.status == "endorsed"
        assert len(made.steps) == 1


def test_the_asking_country_cancels_until_the_request_is_final(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    step(session_factory, LAO_FOCAL, request_id, "endorse")
    step(session_factory, REGIONAL_LOGISTICS, request_id, "approve")
    assert step(session_factory, LAO_EOC, request_id, "cancel") == "cancelled"
    with pytest.raises(Conflict):
        step(session_factory, LAO_EOC, request_id, "cancel")


def test_allowed_steps_follow_status_and_role(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    with session_factory() as session:
        made = session.get(ResourceRequest, request_id)
        assert made is not None
        assert requests.allowed_steps(LAO_FOCAL, made) == ["endorse", "reject", "cancel"]
        assert requests.allowed_steps(LAO_EOC, made) == ["cancel"]
        assert requests.allowed_steps(THA_FOCAL, made) == []
        # A regional user may act for any country (RESOURCE_REQUEST), but not endorse for it.
        assert requests.allowed_steps(REGIONAL_LOGISTICS, made) == ["cancel"]
        assert requests.allowed_steps(VIEWER, made) == []
    step(session_factory, LAO_FOCAL, request_id, "endorse")
    with session_factory() as session:
        made = session.get(ResourceRequest, request_id)
        assert made is not None
        assert requests.allowed_steps(SECRETARIAT, made) == ["approve", "reject"]


def test_a_missing_request_is_not_found(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(NotFound):
        step(session_factory, OPERATOR, 424242, "endorse")


# -- the board -------------------------------------------------------------------------------


def _board(session: Session, actor: Principal, **filters: object) -> requests.Board:
    sort = filters.pop("sort", None)
    return requests.list_requests(
        session=session,
        actor=actor,
        values=requests.RequestFilter(**filters),  # type: ignore[arg-type]
        page=PageRequest(limit=50, sort=sort),  # type: ignore[arg-type]
    )


def test_the_board_is_regional_and_sorted_by_priority_then_needed_by(
    session_factory: sessionmaker[Session], world: World
) -> None:
    low = make(session_factory, LAO_EOC, priority="low", needed_by=in_days(1))
    late_critical = make(session_factory, PHL_EOC, priority="critical", needed_by=in_days(30))
    soon_critical = make(
        session_factory, PHL_EOC, priority="critical", needed_by=in_days(3), item="mr-vaccine"
    )
    medium = make(session_factory, LAO_EOC, priority="medium", needed_by=in_days(2))
    with session_factory() as session:
        # A viewer of another country sees every country's requests.
        board = _board(session, VIEWER)
        assert [r.id for r in board.rows] == [soon_critical, late_critical, medium, low]
        assert board.total == 4
        by_date = _board(session, VIEWER, sort="needed_by")
        assert [r.id for r in by_date.rows] == [low, medium, soon_critical, late_critical]
        reverse = _board(session, VIEWER, sort="-priority")
        assert reverse.rows[0].id == low
        assert [r.id for r in _board(session, VIEWER, country="lao").rows] == [medium, low]
        assert [r.id for r in _board(session, VIEWER, item="mr-vaccine").rows] == [soon_critical]
        assert [r.id for r in _board(session, VIEWER, priority="critical").rows] == [
            soon_critical,
            late_critical,
        ]
        assert _board(session, VIEWER, status="approved").total == 0


def test_board_paging_neither_repeats_nor_skips(
    session_factory: sessionmaker[Session], world: World
) -> None:
    made = [make(session_factory, LAO_EOC, priority="high") for _ in range(5)]
    seen: list[int] = []
    with session_factory() as session:
        for offset in (0, 2, 4):
            page = requests.list_requests(
                session=session,
                actor=VIEWER,
                values=requests.RequestFilter(),
                page=PageRequest(limit=2, offset=offset),
            )
            seen.extend(r.id for r in page.rows)
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"country": "ZZZ"}, "country"),
        ({"kind": "drone"}, "kind"),
        ({"sort": "colour"}, "sort"),
    ],
)
def test_bad_board_filters_name_the_field(
    session_factory: sessionmaker[Session],
    world: World,
    filters: dict[str, object],
    field: str,
) -> None:
    with session_factory() as session, pytest.raises(Invalid) as refused:
        _board(session, VIEWER, **filters)
    assert fields(refused.value) == {field}


def test_the_event_filter_needs_an_event_the_user_sees(
    session_factory: sessionmaker[Session], world: World
) -> None:
    linked = make(session_factory, LAO_EOC, event_id=world.lao_event)
    make(session_factory, LAO_EOC)
    with session_factory() as session:
        assert [r.id for r in _board(session, LAO_FOCAL, event_id=world.lao_event).rows] == [linked]
        with pytest.raises(NotFound):
            _board(session, THA_FOCAL, event_id=world.lao_event)
        # The request itself is regional; its event stays hidden from those who do not see it.
        rows = _board(session, THA_FOCAL).rows
        assert linked in [r.id for r in rows]
        assert requests.visible_events(session, THA_FOCAL, rows) == {}
        assert set(requests.visible_events(session, LAO_FOCAL, rows)) == {world.lao_event}


# -- progress --------------------------------------------------------------------------------


def test_progress_sums_approved_plan_lines_and_received_shipments(
    session_factory: sessionmaker[Session], world: World
) -> None:
    request_id = make(session_factory)
    untouched = make(session_factory)
    now = utcnow()
    with unit_of_work(session_factory) as session:
        plans = []
        for status in ("approved", "proposed", "approved"):
            plan = AllocationPlan(
                status=status,
                today=now.date(),
                problem={},
                summary={},
                created_at=now,
                created_by="test",
            )
            session.add(plan)
            plans.append(plan)
        session.flush()
        lines = []
        for plan, quantity in zip(plans, (100, 300, 50), strict=True):
            line = PlanLine(
                plan_id=plan.id,
                lot_id=world.reserve_lot,
                request_id=request_id,
                quantity=quantity,
                arrives_on=now.date(),
            )
            session.add(line)
            lines.append(line)
        session.flush()
        for line, status, received in ((lines[0], "received", 90), (lines[2], "dispatched", None)):
            session.add(
                Shipment(
                    plan_line_id=line.id,
                    lot_id=world.reserve_lot,
                    request_id=request_id,
                    destination_holder_code="LAO-NAT",
                    quantity=line.quantity,
                    status=status,
                    expected_on=now.date(),
                    created_at=now,
                    quantity_received=received,
                )
            )
    with session_factory() as session:
        progress = requests.progress_of(session, [request_id, untouched, request_id])
    assert progress == {request_id: (150, 90), untouched: (0, 0)}


_JUNK_TEXT = st.one_of(
    st.none(),
    st.sampled_from(["ors-sachet", "mr-vaccine", "field_epidemiologist", "emt_type_2", "LAO"]),
    st.text(max_size=12),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["item", "team", "", "drone"]),
    item=_JUNK_TEXT,
    team_type=_JUNK_TEXT,
    country=_JUNK_TEXT,
    quantity=st.one_of(st.integers(min_value=-5, max_value=2 * 10**9), st.booleans()),
    priority=st.sampled_from(["critical", "low", "", "urgent"]),
    needed_by=st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1))),
    needed_until=st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2035, 1, 1))),
    skills=st.lists(st.text(max_size=70), max_size=25),
    languages=st.lists(st.text(max_size=4), max_size=3),
    delivery_point=st.text(max_size=250),
    event_id=st.one_of(st.none(), st.integers(min_value=-1, max_value=5)),
)
def test_junk_requests_are_refused_cleanly_and_store_nothing(
    session_factory: sessionmaker[Session],
    world: World,
    kind: str,
    item: str | None,
    team_type: str | None,
    country: str | None,
    quantity: int,
    priority: str,
    needed_by: dt.date | None,
    needed_until: dt.date | None,
    skills: list[str],
    languages: list[str],
    delivery_point: str,
    event_id: int | None,
) -> None:
    new = requests.RequestInput(
        kind=kind,
        item=item,
        team_type=team_type,
        country=country,
        quantity=quantity,
        priority=priority,
        needed_by=needed_by,
        needed_until=needed_until,
        skills=skills,
        languages=languages,
        delivery_point=delivery_point,
        event_id=event_id,
    )
    with session_factory() as session:
        try:
            made = requests.create_request(session=session, actor=OPERATOR, new=new)
        except Invalid as refused:
            assert refused.errors
            session.rollback()
            assert session.scalar(select(func.count(ResourceRequest.id))) == 0
        else:
            # What is accepted satisfies every rule.
            assert made.kind in ("item", "team") and 1 <= made.quantity <= 10**9
            assert made.needed_by >= requests.today()
            assert made.needed_until is None or made.needed_until >= made.needed_by
            assert made.delivery_point.strip() == made.delivery_point != ""
            session.rollback()
