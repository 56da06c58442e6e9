"""Rows the request and pledge tests stand on: two items, national stockpiles of KOR, THA and
LAO and a regional reserve, lots with stock (through the ledger), a team, and events (one of
Laos shared with nobody, one of the Philippines shared with the region, with a resources
assistance request and a field-team one). Made directly, not through the catalogue's code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from healthbridge.db import utcnow
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.policy import Principal, Role, operator_principal
from healthbridge.resources import ledger
from healthbridge.resources.models import Holder, Item, Team

KOR_LOGISTICS = Principal(email="log@kor", role=Role.LOGISTICS_OFFICER, country="KOR")
THA_FOCAL = Principal(email="focal@tha", role=Role.FOCAL_POINT, country="THA")
LAO_FOCAL = Principal(email="focal@lao", role=Role.FOCAL_POINT, country="LAO")
LAO_EOC = Principal(email="eoc@lao", role=Role.EOC_OFFICER, country="LAO")
PHL_FOCAL = Principal(email="focal@phl", role=Role.FOCAL_POINT, country="PHL")
PHL_EOC = Principal(email="eoc@phl", role=Role.EOC_OFFICER, country="PHL")
REGIONAL_LOGISTICS = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)
SECRETARIAT = Principal(email="sec@asean", role=Role.SECRETARIAT, country=None)
VIEWER = Principal(email="viewer@idn", role=Role.VIEWER, country="IDN")
OPERATOR = operator_principal("test")


@dataclass(frozen=True)
class World:
    kor_lot: int
    reserve_lot: int
    kor_vaccine_lot: int
    team_id: int
    lao_event: int
    phl_event: int
    phl_resources: int
    phl_field_team: int


def _item(code: str, kind: str, now: dt.datetime) -> Item:
    return Item(
        code=code,
        name=code.replace("-", " ").capitalize(),
        kind=kind,
        unit_of_issue="piece",
        pack_size=1,
        cold_chain="none",
        min_shelf_life_days=0,
        active=True,
        created_at=now,
        updated_at=now,
    )


def _event(country: str, title: str, *, shared: bool, now: dt.datetime) -> Event:
    return Event(
        country_code=country,
        title=title,
        hazard="test hazard",
        status="responding",
        shared_with_region=shared,
        opened_at=now,
        created_by="test",
        updated_at=now,
    )


def build(session: Session) -> World:
    """Arrange the world in ``session`` (the caller commits)."""
    now = utcnow()
    session.add_all([_item("ors-sachet", "medicine", now), _item("mr-vaccine", "vaccine", now)])
    for code, kind, country in (
        ("KOR-NAT", "national_stockpile", "KOR"),
        ("THA-NAT", "national_stockpile", "THA"),
        ("LAO-NAT", "national_stockpile", "LAO"),
        ("ARRMS-T", "regional_reserve", "THA"),
    ):
        session.add(Holder(code=code, name=code, kind=kind, country_code=country, created_at=now))
    session.flush()
    lots = {}
    for holder, item, number in (
        ("KOR-NAT", "ors-sachet", "K1"),
        ("ARRMS-T", "ors-sachet", "R1"),
        ("KOR-NAT", "mr-vaccine", "KV1"),
    ):
        lot = ledger.find_or_create_lot(
            session=session,
            holder_code=holder,
            item_code=item,
            lot_number=number,
            expires_on=dt.date(2030, 1, 31),
        )
        ledger.record(session=session, actor=OPERATOR, lot_id=lot.id, kind="receipt", quantity=1000)
        lots[number] = lot.id
    team = Team(
        code="KOR-FETP",
        name="Korean field epidemiologists",
        holder_code="KOR-NAT",
        team_type="field_epidemiologist",
        members=4,
        skills=["outbreak"],
        languages=["en", "ko"],
        available_from=dt.date(2026, 1, 1),
        created_at=now,
        updated_at=now,
    )
    lao = _event("LAO", "Lao event shared with nobody", shared=False, now=now)
    phl = _event("PHL", "Measles in the Philippines", shared=True, now=now)
    session.add_all([team, lao, phl])
    session.flush()
    assistance = [
        AssistanceRequest(
            event_id=phl.id,
            kind=kind,
            title=title,
            description="needed",
            status="open",
            created_at=now,
            created_by="test",
            updated_at=now,
        )
        for kind, title in (("resources", "Vaccines"), ("field_team", "Epidemiologists"))
    ]
    session.add_all(assistance)
    session.flush()
    return World(
        kor_lot=lots["K1"],
        reserve_lot=lots["R1"],
        kor_vaccine_lot=lots["KV1"],
        team_id=team.id,
        lao_event=lao.id,
        phl_event=phl.id,
        phl_resources=assistance[0].id,
        phl_field_team=assistance[1].id,
    )


def in_days(days: int) -> dt.date:
    return utcnow().date() + dt.timedelta(days=days)
