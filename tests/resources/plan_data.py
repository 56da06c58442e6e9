"""Hand-made rows for the allocation plan tests: items, holders, transit times, lots (through
the ledger), pledges and approved requests, without any other module's demo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.policy import Principal, Role, operator_principal
from healthbridge.resources import ledger
from healthbridge.resources.models import (
    Holder,
    Item,
    Pledge,
    ResourceRequest,
    Team,
    TransitTime,
)

#: The tests' day: the real one, so that the API and pages (which plan for today) agree.
TODAY = utcnow().date()
#: The usual lot expiry, and the Korean lot's (earlier, still fresh enough on arrival).
EXPIRY = TODAY + dt.timedelta(days=216)
KOREAN_EXPIRY = TODAY + dt.timedelta(days=125)
OPERATOR = operator_principal("plan-tests")
REGIONAL_LOGISTICS = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)
THAI_LOGISTICS = Principal(email="log@tha", role=Role.LOGISTICS_OFFICER, country="THA")
LAO_LOGISTICS = Principal(email="log@lao", role=Role.LOGISTICS_OFFICER, country="LAO")
KOREAN_LOGISTICS = Principal(email="log@kor", role=Role.LOGISTICS_OFFICER, country="KOR")


@dataclass
class World:
    """Ids of the rows made by :func:`make_world`."""

    reserve_lot: int
    korean_lot: int
    viet_lot: int
    korean_pledge: int
    lao_request: int
    viet_request: int
    thai_request: int


def add_item(session: Session, code: str = "ors-sachet", shelf: int = 90) -> None:
    now = utcnow()
    session.add(
        Item(
            code=code,
            name=code,
            kind="medicine",
            unit_of_issue="sachet",
            pack_size=1,
            cold_chain="none",
            min_shelf_life_days=shelf,
            created_at=now,
            updated_at=now,
        )
    )


def add_holder(session: Session, code: str, kind: str, country: str) -> None:
    session.add(Holder(code=code, name=code, kind=kind, country_code=country, created_at=utcnow()))


def add_lot(
    session: Session,
    holder: str,
    number: str,
    quantity: int,
    expires_on: dt.date = EXPIRY,
    item: str = "ors-sachet",
) -> int:
    lot = ledger.find_or_create_lot(
        session=session,
        holder_code=holder,
        item_code=item,
        lot_number=number,
        expires_on=expires_on,
    )
    if quantity:
        ledger.record(
            session=session, actor=OPERATOR, lot_id=lot.id, kind="receipt", quantity=quantity
        )
    return lot.id


def add_request(
    session: Session,
    country: str,
    quantity: int,
    priority: str = "high",
    *,
    status: str = "approved",
    item: str = "ors-sachet",
    needed_by: dt.date | None = None,
    minutes: int = 0,
) -> int:
    at = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    needed_by = needed_by or TODAY + dt.timedelta(days=14)
    request = ResourceRequest(
        country_code=country,
        kind="item",
        item_code=item,
        quantity=quantity,
        priority=priority,
        needed_by=needed_by,
        delivery_point=f"{country} central store",
        status=status,
        requested_at=at,
        requested_by="someone@example.org",
        updated_at=at,
        skills=[],
        languages=[],
    )
    session.add(request)
    session.flush()
    return request.id


def add_pledge(
    session: Session, holder: str, lot_id: int, quantity: int, request_id: int | None = None
) -> int:
    pledge = Pledge(
        holder_code=holder,
        lot_id=lot_id,
        quantity=quantity,
        request_id=request_id,
        status="offered",
        pledged_at=utcnow(),
        pledged_by="someone@example.org",
    )
    session.add(pledge)
    session.flush()
    return pledge.id


def add_transit(session: Session, origin: str, destination: str, days: int) -> None:
    session.add(TransitTime(origin_code=origin, destination_code=destination, days=days))


def add_team(session: Session, code: str, holder: str, team_type: str, languages: list[str]) -> int:
    now = utcnow()
    team = Team(
        code=code,
        name=code,
        holder_code=holder,
        team_type=team_type,
        members=4,
        skills=["outbreak"],
        languages=languages,
        available_from=TODAY - dt.timedelta(days=25),
        available_until=None,
        created_at=now,
        updated_at=now,
    )
    session.add(team)
    session.flush()
    return team.id


def make_world(session: Session) -> World:
    """The regional reserve in Thailand (1,000 sachets), Korea's stockpile (800, 300 of them
    pledged), Viet Nam's (500, not pledged); approved requests from Lao PDR (600, critical) and
    Viet Nam (700, high), a Thai one only submitted. No route from Korea to Viet Nam."""
    add_item(session)
    add_holder(session, "ARRMS-THA", "regional_reserve", "THA")
    for country in ("THA", "LAO", "VNM", "KOR"):
        add_holder(session, f"{country}-NAT", "national_stockpile", country)
    add_transit(session, "THA", "LAO", 2)
    add_transit(session, "THA", "VNM", 3)
    add_transit(session, "KOR", "LAO", 4)
    session.flush()
    reserve = add_lot(session, "ARRMS-THA", "R-1", 1000)
    korean = add_lot(session, "KOR-NAT", "K-1", 800, KOREAN_EXPIRY)
    viet = add_lot(session, "VNM-NAT", "V-1", 500)
    pledge = add_pledge(session, "KOR-NAT", korean, 300)
    lao = add_request(session, "LAO", 600, "critical", minutes=10)
    viet_request = add_request(session, "VNM", 700, "high", minutes=0)
    thai = add_request(session, "THA", 100, "critical", status="submitted", minutes=5)
    return World(reserve, korean, viet, pledge, lao, viet_request, thai)
