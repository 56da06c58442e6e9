"""The command line of allocation plans: ``healthbridge plan propose``, ``plan show``, ``plan
approve`` and ``healthbridge shipment list``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.resources.plan_data import TODAY, make_world
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.resources.models import AllocationPlan, Shipment
from healthbridge.settings import get_settings

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def test_propose_show_approve_and_list(cli: Run, session_factory: sessionmaker[Session]) -> None:
    nothing = cli("plan", "propose", "--today", TODAY.isoformat())
    assert nothing.exit_code == 1 and "nothing to allocate" in nothing.output
    with unit_of_work(session_factory) as session:
        make_world(session)

    assert cli("plan", "propose", "--today", "26/11/2026").exit_code != 0
    proposed = cli("plan", "propose", "--today", TODAY.isoformat())
    assert proposed.exit_code == 0, proposed.output
    assert "First come, first served" in proposed.output
    assert "Fill rate by requesting country" in proposed.output
    found = re.search(r"Proposed plan (\d+)", proposed.output)
    assert found is not None
    plan_id = found.group(1)

    shown = cli("plan", "show", plan_id)
    assert shown.exit_code == 0 and "KOR-NAT" in shown.output and "3 lines" in shown.output
    missing = cli("plan", "show", "999")
    assert missing.exit_code == 1 and "no allocation plan 999" in missing.output

    approved = cli("plan", "approve", plan_id, "--note", "Agreed by e-mail")
    assert approved.exit_code == 0, approved.output
    assert f"Approved plan {plan_id}: 3 shipments planned" in approved.output
    again = cli("plan", "approve", plan_id)
    assert again.exit_code == 1 and "only a proposed plan" in again.output
    with session_factory() as session:
        plan = session.get(AllocationPlan, int(plan_id))
        assert plan is not None and plan.status == "approved"
        assert plan.decision_note == "Agreed by e-mail"
        assert session.scalar(select(func.count(Shipment.id))) == 3

    listed = cli("shipment", "list", "--country", "LAO")
    assert listed.exit_code == 0 and "Shipments (2)" in listed.output
    assert "LAO-NAT" in listed.output and "VNM-NAT" not in listed.output
    bad = cli("shipment", "list", "--status", "lost")
    assert bad.exit_code == 1 and "status" in bad.output
