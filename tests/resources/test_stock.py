"""The stock picture and its movements: balances from the ledger per item and holder, lots
flagged expired (after their expiry day) and short-dated (within the item's shelf life or N
days, whichever is longer), receipts into new and existing lots, issues, adjustments,
transfers, write-offs of expired lots only, and ``write_off_expired`` (idempotent, within the
holders the actor manages)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.db import unit_of_work
from healthbridge.errors import Conflict, Forbidden, Invalid
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.resources import catalogue, ledger, stock
from healthbridge.resources.models import StockMovement

REGIONAL = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)
THAI = Principal(email="log@tha", role=Role.LOGISTICS_OFFICER, country="THA")
VIET = Principal(email="log@vnm", role=Role.LOGISTICS_OFFICER, country="VNM")
VIEWER = Principal(email="viewer@tha", role=Role.VIEWER, country="THA")
TODAY = stock.today()


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        for item in (
            catalogue.ItemInput("ors", "ORS", "medicine", "sachet", min_shelf_life_days=30),
            catalogue.ItemInput("rdt", "Dengue RDT", "diagnostic", "test", min_shelf_life_days=120),
            catalogue.ItemInput("old", "Old item", "other", "piece"),
        ):
            catalogue.create_item(session=session, actor=REGIONAL, new=item)
        catalogue.deactivate_item(session=session, actor=REGIONAL, code="old")
        for holder in (
            catalogue.HolderInput("THA-NAT", "Thai stockpile", "national_stockpile", "THA"),
            catalogue.HolderInput("VNM-NAT", "Viet stockpile", "national_stockpile", "VNM"),
            catalogue.HolderInput("ARRMS-THA", "Reserve", "regional_reserve", "THA"),
        ):
            catalogue.create_holder(session=session, actor=REGIONAL, new=holder)


def _receive(
    session: Session, actor: Principal, holder: str, item: str, number: str, days: int, qty: int
) -> int:
    made = stock.receive(
        session=session,
        actor=actor,
        new=stock.ReceiptInput(holder, item, number, _days(days), qty),
    )
    return made.lot_id


def test_flags_follow_expiry_and_shelf_life(
    session_factory: sessionmaker[Session], world: None
) -> None:
    with unit_of_work(session_factory) as session:
        lots = {
            name: _receive(session, THAI, "THA-NAT", item, name, days, 10)
            for name, item, days in (
                ("yesterday", "ors", -1),
                ("today", "ors", 0),
                ("in90", "ors", 90),
                ("in91", "ors", 91),
                ("rdt100", "rdt", 100),
                ("rdt121", "rdt", 121),
            )
        }
    with session_factory() as session:
        rows, total = stock.list_lots(
            session=session, actor=VIEWER, values=stock.StockFilter(), page=PageRequest()
        )
        assert total == 6
        flags = {v.lot.lot_number: (v.expired, v.short_dated, v.days_left) for v in rows}
        assert flags == {
            "yesterday": (True, False, -1),
            "today": (False, True, 0),
            "in90": (False, True, 90),
            "in91": (False, False, 91),
            # The RDT needs 120 days of shelf life: more than 90.
            "rdt100": (False, True, 100),
            "rdt121": (False, False, 121),
        }
        wider, _ = stock.list_lots(
            session=session,
            actor=VIEWER,
            values=stock.StockFilter(item="ors"),
            page=PageRequest(),
            within=200,
        )
        assert all(v.short_dated or v.expired for v in wider)
        soon, total = stock.list_lots(
            session=session,
            actor=VIEWER,
            values=stock.StockFilter(expiring_within=0),
            page=PageRequest(),
        )
        assert [v.lot.lot_number for v in soon] == ["yesterday", "today"]
        seen, movements = stock.get_lot(session=session, actor=VIEWER, lot_id=lots["in90"])
        assert seen.balance == 10 and [m.kind for m in movements] == ["receipt"]
        with pytest.raises(Invalid) as bad:
            stock.stock_picture(
                session=session,
                actor=VIEWER,
                values=stock.StockFilter(kind="drug", expiring_within=-1),
            )
        assert [e.field for e in bad.value.errors] == ["kind", "expiring_within"]


def test_the_picture_adds_lots_up_by_item_and_holder(
    session_factory: sessionmaker[Session], world: None
) -> None:
    with unit_of_work(session_factory) as session:
        a = _receive(session, THAI, "THA-NAT", "ors", "A", 400, 1000)
        _receive(session, THAI, "THA-NAT", "ors", "B", 10, 50)
        _receive(session, THAI, "THA-NAT", "ors", "C", -5, 7)
        # The same lot again adds to it.
        assert _receive(session, THAI, "THA-NAT", "ors", "A", 400, 500) == a
        _receive(session, VIET, "VNM-NAT", "ors", "V", 300, 200)
        _receive(session, REGIONAL, "ARRMS-THA", "rdt", "R", 300, 80)
        empty = _receive(session, THAI, "THA-NAT", "rdt", "E", 300, 5)
        stock.move(
            session=session,
            actor=THAI,
            lot_id=empty,
            new=stock.MovementInput("issue", 5, reference="IV-1"),
        )
    with session_factory() as session:
        lines = stock.stock_picture(session=session, actor=VIEWER, values=stock.StockFilter())
        summary = {
            (line.item.code, line.holder.code): (
                line.balance,
                line.lots,
                line.expired_quantity,
                line.short_dated_quantity,
                line.earliest_expiry,
            )
            for line in lines
        }
        assert summary == {
            ("ors", "THA-NAT"): (1557, 3, 7, 50, _days(-5)),
            ("ors", "VNM-NAT"): (200, 1, 0, 0, _days(300)),
            ("rdt", "ARRMS-THA"): (80, 1, 0, 0, _days(300)),
        }
        by = lambda **kw: [  # noqa: E731
            (line.item.code, line.holder.code)
            for line in stock.stock_picture(
                session=session, actor=VIEWER, values=stock.StockFilter(**kw)
            )
        ]
        assert by(country="vnm") == [("ors", "VNM-NAT")]
        assert by(kind="diagnostic") == [("rdt", "ARRMS-THA")]
        assert by(holder="ARRMS-THA", item="ors") == []
        assert by(expiring_within=30) == [("ors", "THA-NAT")]
        soon = stock.expiring(session=session, actor=VIEWER, values=stock.StockFilter())
        assert [v.lot.lot_number for v in soon] == ["C", "B"]


def test_receipts_and_movements_refuse_bad_input_and_strangers(
    session_factory: sessionmaker[Session], world: None
) -> None:
    with unit_of_work(session_factory) as session:
        lot = _receive(session, THAI, "THA-NAT", "ors", "A1", 200, 100)
        with pytest.raises(Invalid) as bad:
            stock.receive(
                session=session,
                actor=THAI,
                new=stock.ReceiptInput("NOWHERE", "nothing", " ", _days(1), 0),
            )
        assert [e.field for e in bad.value.errors] == ["holder", "item", "lot_number", "quantity"]
        with pytest.raises(Invalid) as moved_expiry:
            _receive(session, THAI, "THA-NAT", "ors", "A1", 201, 1)
        assert [e.field for e in moved_expiry.value.errors] == ["expires_on"]
        with pytest.raises(Conflict):
            _receive(session, THAI, "THA-NAT", "old", "O1", 200, 1)
        with pytest.raises(Forbidden):
            _receive(session, VIET, "THA-NAT", "ors", "X", 200, 1)
        with pytest.raises(Forbidden):
            _receive(session, THAI, "ARRMS-THA", "ors", "X", 200, 1)
        with pytest.raises(Forbidden):
            stock.move(session=session, actor=VIET, lot_id=lot, new=stock.MovementInput("issue", 1))
        for new, fields in (
            (stock.MovementInput("teleport", 1), ["kind"]),
            (stock.MovementInput("issue", 0), ["quantity"]),
            (stock.MovementInput("issue", -3), ["quantity"]),
            (stock.MovementInput("transfer", 1, to_holder="NOWHERE"), ["to_holder"]),
            (stock.MovementInput("issue", 1, to_holder="VNM-NAT"), ["to_holder"]),
            (stock.MovementInput("adjustment", -2), ["reason"]),
            (stock.MovementInput("adjustment", 0, reason="Count"), ["quantity"]),
        ):
            with pytest.raises(Invalid) as refused:
                stock.move(session=session, actor=THAI, lot_id=lot, new=new)
            assert [e.field for e in refused.value.errors] == fields, new
        with pytest.raises(Conflict) as short:
            stock.move(
                session=session, actor=THAI, lot_id=lot, new=stock.MovementInput("issue", 101)
            )
        assert "holds 100" in short.value.detail
        with pytest.raises(Conflict) as not_expired:
            stock.move(
                session=session, actor=THAI, lot_id=lot, new=stock.MovementInput("write_off", 1)
            )
        assert "only expired stock" in not_expired.value.detail

        stock.move(session=session, actor=THAI, lot_id=lot, new=stock.MovementInput("issue", 30))
        stock.move(
            session=session,
            actor=THAI,
            lot_id=lot,
            new=stock.MovementInput("adjustment", -5, reason="Damaged by water"),
        )
        stock.move(
            session=session,
            actor=THAI,
            lot_id=lot,
            new=stock.MovementInput("adjustment", 2, reason="Recount"),
        )
        _out, into = stock.move(
            session=session,
            actor=THAI,
            lot_id=lot,
            new=stock.MovementInput("transfer", 40, reference="WB-7", to_holder="ARRMS-THA"),
        )
        assert into.lot.holder_code == "ARRMS-THA" and into.lot.expires_on == _days(200)
        reserve_lot = into.lot_id
    with session_factory() as session:
        assert ledger.balances(session, [lot, reserve_lot]) == {lot: 27, reserve_lot: 40}
        seen, movements = stock.get_lot(session=session, actor=VIEWER, lot_id=lot)
        assert [(m.kind, m.quantity) for m in movements] == [
            ("receipt", 100),
            ("issue", -30),
            ("adjustment", -5),
            ("adjustment", 2),
            ("transfer_out", -40),
        ]
        assert seen.balance == 27


def test_write_off_expired_is_idempotent_and_scoped(
    session_factory: sessionmaker[Session], world: None
) -> None:
    with unit_of_work(session_factory) as session:
        tha = _receive(session, THAI, "THA-NAT", "ors", "T-OLD", -3, 60)
        vnm = _receive(session, VIET, "VNM-NAT", "ors", "V-OLD", -1, 25)
        fresh = _receive(session, THAI, "THA-NAT", "ors", "T-NEW", 100, 10)
        gone = _receive(session, THAI, "THA-NAT", "ors", "T-GONE", -9, 5)
        stock.move(
            session=session, actor=THAI, lot_id=gone, new=stock.MovementInput("write_off", 5)
        )
    with unit_of_work(session_factory) as session:
        # A Thai officer writes off Thailand's expired stock only.
        done = stock.write_off_expired(session=session, actor=THAI)
        assert [(w.lot.lot_number, w.quantity) for w in done] == [("T-OLD", 60)]
        with pytest.raises(Forbidden):
            stock.write_off_expired(session=session, actor=VIEWER)
    with unit_of_work(session_factory) as session:
        done = stock.write_off_expired(session=session, actor=REGIONAL)
        assert [(w.lot.lot_number, w.quantity) for w in done] == [("V-OLD", 25)]
    with unit_of_work(session_factory) as session:
        assert stock.write_off_expired(session=session, actor=REGIONAL) == []
    with session_factory() as session:
        assert ledger.balances(session, [tha, vnm, fresh, gone]) == {
            tha: 0,
            vnm: 0,
            fresh: 10,
            gone: 0,
        }
        kinds = session.scalars(
            select(StockMovement.kind)
            .where(StockMovement.kind == "expiry_write_off")
            .order_by(StockMovement.id)
        )
        assert len(list(kinds)) == 3
        assert session.scalar(select(func.count(StockMovement.id))) == 7
        lines = stock.stock_picture(session=session, actor=VIEWER, values=stock.StockFilter())
        assert [(line.holder.code, line.balance, line.expired_quantity) for line in lines] == [
            ("THA-NAT", 10, 0)
        ]
