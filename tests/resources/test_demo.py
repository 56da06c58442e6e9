"""The demo catalogue and stock: loaded twice, stored once; balances as received; the expired
and short-dated lots flagged; the codes the other demos rely on present."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.db import unit_of_work
from healthbridge.policy import Principal
from healthbridge.resources import demo, stock
from healthbridge.resources.models import Holder, Item, Lot, StockMovement, Team, TransitTime


def test_the_demo_loads_twice_and_flags_its_expired_lot(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(Item) == 8
        assert count(Holder) == 17
        assert count(Team) == 4
        assert count(TransitTime) == 14 * 14
        assert count(Lot) == len(demo.LOTS)
        assert count(StockMovement) == len(demo.LOTS)
        unicef = session.get(Holder, "PARTNER-UNICEF")
        assert unicef is not None and unicef.country_code == "SGP"
        assert unicef.organisation_code is None  # no UNICEF in the organisations' reference
        kor = session.scalar(select(Team).where(Team.code == "KOR-EMT2"))
        assert kor is not None and kor.holder_code == "KOR-NAT"
        assert kor.skills == ["surgery", "trauma"] and kor.languages == ["en", "ko"]
        days = {
            (t.origin_code, t.destination_code): t.days
            for t in session.scalars(select(TransitTime))
        }
        assert days[("THA", "THA")] == 0
        assert all(1 <= d <= 7 for (o, e), d in days.items() if o != e)
        assert days[("THA", "LAO")] < days[("THA", "JPN")]
        assert days[("KOR", "LAO")] == days[("LAO", "KOR")]

        lines = stock.stock_picture(session=session, actor=operator, values=stock.StockFilter())
        by_pair = {(line.item.code, line.holder.code): line for line in lines}
        assert by_pair[("ors-sachet", "ARRMS-THA")].balance == 100_000
        assert by_pair[("mr-vaccine-10dose", "KOR-NAT")].balance == 8_000
        expired = by_pair[("ors-sachet", "VNM-NAT")]
        assert expired.balance == expired.expired_quantity == 15_000
        # 60 days left but the test needs 120: short-dated.
        assert by_pair[("rdt-dengue-ns1", "THA-NAT")].short_dated_quantity == 2_000
        assert by_pair[("ors-sachet", "PHL-NAT")].short_dated_quantity == 10_000
        assert by_pair[("ors-sachet", "THA-NAT")].short_dated_quantity == 0
        soon = stock.expiring(session=session, actor=operator, values=stock.StockFilter())
        assert [v.lot.lot_number for v in soon if v.expired] == ["ORS-VN-2501"]
        assert soon[0].lot.expires_on < stock.today() <= soon[1].lot.expires_on
        assert {v.lot.lot_number for v in soon} >= {"NS1-TH-2602", "ORS-PH-2601"}
        assert all(v.lot.expires_on <= stock.today() + dt.timedelta(days=180) for v in soon)
