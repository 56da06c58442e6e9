"""Pledges: who pledges which holder's lots and teams, the quantity against the lot's balance,
pledges for one request, the region's decision, withdrawal, and listing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.resources.request_world import (
    KOR_LOGISTICS,
    LAO_EOC,
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
from healthbridge.db import unit_of_work
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.resources import ledger, pledges, requests
from healthbridge.resources.models import Pledge

KOR_FOCAL = Principal(email="focal@kor", role=Role.FOCAL_POINT, country="KOR")


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return build(session)


def pledge(session_factory: sessionmaker[Session], actor: Principal, **values: object) -> int:
    with unit_of_work(session_factory) as session:
        made = pledges.pledge(
            session=session,
            actor=actor,
            new=pledges.PledgeInput(**values),  # type: ignore[arg-type]
        )
        return made.id


def decide(
    session_factory: sessionmaker[Session], actor: Principal, pledge_id: int, decision: str
) -> str:
    with unit_of_work(session_factory) as session:
        made = pledges.decide(
            session=session, actor=actor, pledge_id=pledge_id, decision=decision, note="n"
        )
        return made.status


def ask(session_factory: sessionmaker[Session], **changes: object) -> int:
    values: dict[str, object] = {
        "kind": "item",
        "item": "ors-sachet",
        "quantity": 300,
        "priority": "critical",
        "needed_by": in_days(7),
        "delivery_point": "Vientiane",
    }
    values.update(changes)
    with unit_of_work(session_factory) as session:
        return requests.create_request(
            session=session,
            actor=LAO_EOC if values.get("kind") == "item" else PHL_EOC,
            new=requests.RequestInput(**values),  # type: ignore[arg-type]
        ).id


def count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count(Pledge.id))) or 0)


def test_a_national_stockpile_pledges_its_lot_up_to_its_balance(
    session_factory: sessionmaker[Session], world: World
) -> None:
    pledge_id = pledge(
        session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=1000, conditions="by air"
    )
    with session_factory() as session:
        made = session.get(Pledge, pledge_id)
        assert made is not None
        assert (made.holder_code, made.quantity, made.status) == ("KOR-NAT", 1000, "offered")
        assert made.conditions == "by air"
        assert session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "pledge")
        ).all() == ["pledge.offer"]
    with pytest.raises(Invalid) as too_much:
        pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=1001)
    assert [e.field for e in too_much.value.errors] == ["quantity"]
    assert "1000" in too_much.value.errors[0].message
    assert count(session_factory) == 1


def test_the_balance_at_pledge_time_counts(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session, actor=OPERATOR, lot_id=world.kor_lot, kind="issue", quantity=-900
        )
    with pytest.raises(Invalid):
        pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=101)
    assert pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=100) > 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 5, "conditions": "x" * 5000}, "conditions"),
    ],
)
def test_bad_lot_pledges_name_the_field(
    session_factory: sessionmaker[Session],
    world: World,
    values: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(Invalid) as refused:
        pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, **values)
    assert [e.field for e in refused.value.errors] == [field]
    assert count(session_factory) == 0


def test_a_lot_or_a_team_not_both_nor_neither(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(Invalid) as neither:
        pledge(session_factory, KOR_LOGISTICS)
    assert [e.field for e in neither.value.errors] == ["lot_id"]
    with pytest.raises(Invalid):
        pledge(
            session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, team_id=world.team_id, quantity=1
        )
    with pytest.raises(Invalid) as missing:
        pledge(session_factory, KOR_LOGISTICS, lot_id=987654, quantity=1)
    assert [e.field for e in missing.value.errors] == ["lot_id"]
    with pytest.raises(Invalid) as team_quantity:
        pledge(session_factory, KOR_LOGISTICS, team_id=world.team_id, quantity=3)
    assert [e.field for e in team_quantity.value.errors] == ["quantity"]


def test_who_pledges_which_holder(session_factory: sessionmaker[Session], world: World) -> None:
    # Another country's stockpile: refused; the reserve: regional users only.
    with pytest.raises(Forbidden):
        pledge(session_factory, THA_FOCAL, lot_id=world.kor_lot, quantity=1)
    with pytest.raises(Forbidden):
        pledge(session_factory, KOR_LOGISTICS, lot_id=world.reserve_lot, quantity=1)
    with pytest.raises(Forbidden):
        pledge(session_factory, VIEWER, lot_id=world.kor_lot, quantity=1)
    assert pledge(session_factory, KOR_FOCAL, lot_id=world.kor_lot, quantity=1) > 0
    assert pledge(session_factory, REGIONAL_LOGISTICS, lot_id=world.reserve_lot, quantity=1) > 0
    assert pledge(session_factory, KOR_LOGISTICS, team_id=world.team_id) > 0
    with pytest.raises(Forbidden):
        pledge(session_factory, THA_FOCAL, team_id=world.team_id)


def test_a_pledge_for_a_request_must_match_it_and_the_request_be_open(
    session_factory: sessionmaker[Session], world: World
) -> None:
    ors = ask(session_factory)
    epi = ask(
        session_factory,
        kind="team",
        item=None,
        team_type="field_epidemiologist",
        quantity=1,
    )
    emt = ask(session_factory, kind="team", item=None, team_type="emt_type_2", quantity=1)
    assert pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=5, request_id=ors)
    assert pledge(session_factory, KOR_LOGISTICS, team_id=world.team_id, request_id=epi)
    for values in (
        {"lot_id": world.kor_vaccine_lot, "quantity": 5, "request_id": ors},
        {"lot_id": world.kor_lot, "quantity": 5, "request_id": epi},
        {"team_id": world.team_id, "request_id": emt},
        {"team_id": world.team_id, "request_id": 999_999},
    ):
        with pytest.raises(Invalid) as refused:
            pledge(session_factory, KOR_LOGISTICS, **values)
        assert [e.field for e in refused.value.errors] == ["request_id"]
    with unit_of_work(session_factory) as session:
        requests.take_step(
            session=session, actor=OPERATOR, request_id=ors, step="reject", note="no"
        )
    with pytest.raises(Conflict):
        pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=5, request_id=ors)


def test_the_region_accepts_or_declines_and_the_pledger_withdraws(
    session_factory: sessionmaker[Session], world: World
) -> None:
    first = pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=10)
    second = pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=10)
    # Countries do not decide; the pledging side does not accept its own.
    with pytest.raises(Forbidden):
        decide(session_factory, KOR_LOGISTICS, first, "accept")
    with pytest.raises(Forbidden):
        decide(session_factory, THA_FOCAL, first, "decline")
    assert decide(session_factory, REGIONAL_LOGISTICS, first, "accept") == "accepted"
    assert decide(session_factory, SECRETARIAT, second, "decline") == "declined"
    with pytest.raises(Conflict):
        decide(session_factory, REGIONAL_LOGISTICS, first, "decline")
    with pytest.raises(Conflict):
        decide(session_factory, KOR_LOGISTICS, second, "withdraw")
    # Another country cannot withdraw Korea's pledge; Korea can, even once accepted.
    with pytest.raises(Forbidden):
        decide(session_factory, THA_FOCAL, first, "withdraw")
    assert decide(session_factory, KOR_LOGISTICS, first, "withdraw") == "withdrawn"
    with session_factory() as session:
        made = session.get(Pledge, first)
        assert made is not None and made.decided_by == KOR_LOGISTICS.actor_label
        assert session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "pledge", AuditEntry.object_id == str(first))
            .order_by(AuditEntry.id)
        ).all() == ["pledge.offer", "pledge.accept", "pledge.withdraw"]


def test_bad_decisions(session_factory: sessionmaker[Session], world: World) -> None:
    made = pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=10)
    with pytest.raises(Invalid) as unknown:
        decide(session_factory, REGIONAL_LOGISTICS, made, "maybe")
    assert [e.field for e in unknown.value.errors] == ["decision"]
    with pytest.raises(NotFound):
        decide(session_factory, REGIONAL_LOGISTICS, 123_456, "accept")


def test_listing_pledges_with_filters(session_factory: sessionmaker[Session], world: World) -> None:
    ors = ask(session_factory)
    korean = pledge(
        session_factory, KOR_LOGISTICS, lot_id=world.kor_lot, quantity=5, request_id=ors
    )
    reserve = pledge(session_factory, REGIONAL_LOGISTICS, lot_id=world.reserve_lot, quantity=5)
    vaccine = pledge(session_factory, KOR_LOGISTICS, lot_id=world.kor_vaccine_lot, quantity=5)
    decide(session_factory, REGIONAL_LOGISTICS, reserve, "accept")

    def ids(**filters: object) -> list[int]:
        with session_factory() as session:
            rows, _ = pledges.list_pledges(
                session=session,
                actor=VIEWER,
                values=pledges.PledgeFilter(**filters),  # type: ignore[arg-type]
                page=PageRequest(limit=50),
            )
            return [p.id for p in rows]

    assert ids() == [vaccine, reserve, korean]
    assert ids(status="accepted") == [reserve]
    assert ids(holder="KOR-NAT") == [vaccine, korean]
    assert ids(country="tha") == [reserve]
    assert ids(item="mr-vaccine") == [vaccine]
    assert ids(request_id=ors) == [korean]
    with pytest.raises(Invalid) as refused:
        ids(status="maybe")
    assert [e.field for e in refused.value.errors] == ["status"]


def test_pledgeable_lots_and_teams_follow_who_may_pledge(
    session_factory: sessionmaker[Session], world: World
) -> None:
    with session_factory() as session:
        korean = pledges.pledgeable_lots(session=session, actor=KOR_LOGISTICS, item="ors-sachet")
        assert [(lot.id, held) for lot, held in korean] == [(world.kor_lot, 1000)]
        regional = pledges.pledgeable_lots(session=session, actor=REGIONAL_LOGISTICS)
        assert {lot.id for lot, _ in regional} == {
            world.kor_lot,
            world.reserve_lot,
            world.kor_vaccine_lot,
        }
        assert pledges.pledgeable_lots(session=session, actor=THA_FOCAL) == []
        teams = pledges.pledgeable_teams(
            session=session, actor=KOR_LOGISTICS, team_type="field_epidemiologist"
        )
        assert [t.id for t in teams] == [world.team_id]
        assert pledges.pledgeable_teams(session=session, actor=THA_FOCAL) == []
