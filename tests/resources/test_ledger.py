"""The stock ledger: balances are sums of movements, signs follow kinds, nothing goes below
zero, transfers move a lot between holders, lots keep their expiry, and who may move which
holder's stock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.db import unit_of_work, utcnow
from healthbridge.errors import Conflict, Forbidden, Invalid
from healthbridge.policy import Principal, Role
from healthbridge.resources import ledger
from healthbridge.resources.models import Holder, Item, StockMovement

THAI_LOGISTICS = Principal(email="log@tha", role=Role.LOGISTICS_OFFICER, country="THA")
VIET_LOGISTICS = Principal(email="log@vnm", role=Role.LOGISTICS_OFFICER, country="VNM")
REGIONAL_LOGISTICS = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)


@pytest.fixture
def lot_id(session_factory: sessionmaker[Session]) -> int:
    now = utcnow()
    with unit_of_work(session_factory) as session:
        session.add(
            Item(
                code="ors-sachet",
                name="Oral rehydration salts",
                kind="medicine",
                unit_of_issue="sachet",
                pack_size=1,
                cold_chain="none",
                min_shelf_life_days=90,
                created_at=now,
                updated_at=now,
            )
        )
        session.add_all(
            [
                Holder(
                    code="THA-NAT",
                    name="Thai stockpile",
                    kind="national_stockpile",
                    country_code="THA",
                    created_at=now,
                ),
                Holder(
                    code="ARRMS-TH",
                    name="Reserve, Chonburi",
                    kind="regional_reserve",
                    country_code="THA",
                    created_at=now,
                ),
            ]
        )
        session.flush()
        lot = ledger.find_or_create_lot(
            session=session,
            holder_code="THA-NAT",
            item_code="ors-sachet",
            lot_number="A1",
            expires_on=dt.date(2027, 6, 30),
        )
        return lot.id


def test_balances_are_sums_of_signed_movements(
    session_factory: sessionmaker[Session], lot_id: int
) -> None:
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session,
            actor=THAI_LOGISTICS,
            lot_id=lot_id,
            kind="receipt",
            quantity=1000,
            reference="GRN-1",
        )
        ledger.record(
            session=session, actor=THAI_LOGISTICS, lot_id=lot_id, kind="issue", quantity=-300
        )
        ledger.record(
            session=session,
            actor=THAI_LOGISTICS,
            lot_id=lot_id,
            kind="adjustment",
            quantity=-5,
            reason="Damaged in storage",
        )
    with session_factory() as session:
        assert ledger.balance(session, lot_id) == 695
        assert ledger.balances(session, [lot_id, 999]) == {lot_id: 695, 999: 0}

    with unit_of_work(session_factory) as session:
        for kind, quantity, reason, field in (
            ("receipt", -1, None, "quantity"),
            ("issue", 5, None, "quantity"),
            ("adjustment", 3, None, "reason"),
            ("teleport", 3, None, "kind"),
            ("issue", 0, None, "quantity"),
        ):
            with pytest.raises(Invalid) as refused:
                ledger.record(
                    session=session,
                    actor=THAI_LOGISTICS,
                    lot_id=lot_id,
                    kind=kind,
                    quantity=quantity,
                    reason=reason,
                )
            assert [e.field for e in refused.value.errors] == [field]
        with pytest.raises(Conflict) as short:
            ledger.record(
                session=session, actor=THAI_LOGISTICS, lot_id=lot_id, kind="issue", quantity=-696
            )
        assert "holds 695" in short.value.detail
        # Viet Nam does not move Thailand's stockpile.
        with pytest.raises(Forbidden):
            ledger.record(
                session=session, actor=VIET_LOGISTICS, lot_id=lot_id, kind="receipt", quantity=1
            )
    with session_factory() as session:
        assert session.scalar(select(func.count(StockMovement.id))) == 3


def test_transfers_move_the_lot_and_keep_its_expiry(
    session_factory: sessionmaker[Session], lot_id: int
) -> None:
    with unit_of_work(session_factory) as session:
        ledger.record(
            session=session, actor=THAI_LOGISTICS, lot_id=lot_id, kind="receipt", quantity=100
        )
        _out, into = ledger.transfer(
            session=session, actor=THAI_LOGISTICS, lot_id=lot_id, to_holder="ARRMS-TH", quantity=40
        )
        target = into.lot_id
    with session_factory() as session:
        assert ledger.balances(session, [lot_id, target]) == {lot_id: 60, target: 40}
        moved = session.get(StockMovement, into.id)
        assert moved is not None and moved.lot.holder_code == "ARRMS-TH"
        assert moved.lot.expires_on == dt.date(2027, 6, 30) and moved.lot.lot_number == "A1"
    with unit_of_work(session_factory) as session:
        # The reserve's stock is the region's: a Thai officer cannot move it.
        with pytest.raises(Forbidden):
            ledger.record(
                session=session, actor=THAI_LOGISTICS, lot_id=target, kind="issue", quantity=-1
            )
        ledger.record(
            session=session, actor=REGIONAL_LOGISTICS, lot_id=target, kind="issue", quantity=-1
        )
        with pytest.raises(Invalid) as changed:
            ledger.find_or_create_lot(
                session=session,
                holder_code="ARRMS-TH",
                item_code="ors-sachet",
                lot_number="A1",
                expires_on=dt.date(2028, 1, 1),
            )
        assert [e.field for e in changed.value.errors] == ["expires_on"]
        with pytest.raises(Conflict):
            ledger.transfer(
                session=session,
                actor=THAI_LOGISTICS,
                lot_id=lot_id,
                to_holder="ARRMS-TH",
                quantity=61,
            )
