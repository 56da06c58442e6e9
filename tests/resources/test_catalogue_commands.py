"""``healthbridge import catalogue``, ``stock list`` and ``stock write-off-expired``: output,
idempotence, and one clear error line with a non-zero exit on a bad file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal
from healthbridge.resources import demo, ledger
from healthbridge.resources.models import Item, Lot
from healthbridge.settings import get_settings

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_import_catalogue(cli: Run, tmp_path: Path, session_factory: sessionmaker[Session]) -> None:
    good = tmp_path / "items.csv"
    good.write_text(
        "code,name,kind,unit_of_issue,cold_chain,min_shelf_life_days\n"
        "ors-sachet,ORS,medicine,sachet,none,90\n"
        "mr-vaccine,MR vaccine,vaccine,vial,2_8c,180\n",
        encoding="utf-8",
    )
    first = cli("import", "catalogue", str(good))
    assert first.exit_code == 0, first.output
    assert "2 items — 2 created, 0 updated, 0 unchanged" in first.output
    second = cli("import", "catalogue", str(good))
    assert "0 created, 0 updated, 2 unchanged" in second.output
    bad = tmp_path / "bad.json"
    bad.write_text('[{"code": "x", "name": "X", "kind": "drug", "unit_of_issue": "u"}]')
    refused = cli("import", "catalogue", str(bad))
    assert refused.exit_code == 1
    assert "kind: one of medicine" in refused.output and "(row 1)" in refused.output
    with session_factory() as session:
        assert session.scalar(select(func.count(Item.code))) == 2


def test_stock_list_and_write_off_expired(
    cli: Run, session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    listed = cli("stock", "list", "--item", "ors-sachet")
    assert listed.exit_code == 0, listed.output
    assert "ARRMS-THA" in listed.output and "100000 sachet" in listed.output
    assert "oseltamivir" not in listed.output
    soon = cli("stock", "list", "--expiring-within", "50")
    assert "VNM-NAT" in soon.output and "PHL-NAT" in soon.output
    assert "KOR-NAT" not in soon.output
    assert cli("stock", "list", "--holder", "NOWHERE").output.strip() == "No stock matches."
    assert cli("stock", "list", "--expiring-within", "-4").exit_code != 0

    done = cli("stock", "write-off-expired")
    assert done.exit_code == 0, done.output
    assert "ors-sachet lot ORS-VN-2501 at VNM-NAT: 15000" in done.output
    assert "Wrote off 1 expired lot(s)." in done.output
    assert "Wrote off 0 expired lot(s)." in cli("stock", "write-off-expired").output
    with session_factory() as session:
        lot = session.scalar(select(Lot).where(Lot.lot_number == "ORS-VN-2501"))
        assert lot is not None and ledger.balance(session, lot.id) == 0
