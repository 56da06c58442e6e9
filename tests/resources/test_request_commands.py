"""The command line: ``healthbridge request list`` (filters, order, bad filters) and
``healthbridge request show ID`` (steps and pledges; a missing id is one clear line)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.resources.request_world import (
    KOR_LOGISTICS,
    LAO_EOC,
    LAO_FOCAL,
    PHL_EOC,
    World,
    build,
    in_days,
)
from typer.testing import CliRunner, Result

from healthbridge import flows
from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.resources import pledges, requests
from healthbridge.resources.models import Pledge, ResourceRequest
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


@pytest.fixture
def asked(session_factory: sessionmaker[Session]) -> tuple[World, int, int]:
    with unit_of_work(session_factory) as session:
        world = build(session)
        lao = requests.create_request(
            session=session,
            actor=LAO_EOC,
            new=requests.RequestInput(
                kind="item",
                item="ors-sachet",
                quantity=1200,
                priority="medium",
                needed_by=in_days(12),
                delivery_point="Vientiane",
            ),
        )
        phl = requests.create_request(
            session=session,
            actor=PHL_EOC,
            new=requests.RequestInput(
                kind="team",
                team_type="field_epidemiologist",
                quantity=1,
                priority="critical",
                needed_by=in_days(4),
                needed_until=in_days(25),
                languages=["en"],
                delivery_point="Davao",
            ),
        )
        requests.take_step(session=session, actor=LAO_FOCAL, request_id=lao.id, step="endorse")
        pledges.pledge(
            session=session,
            actor=KOR_LOGISTICS,
            new=pledges.PledgeInput(lot_id=world.kor_lot, quantity=600, request_id=lao.id),
        )
        return world, lao.id, phl.id


def test_list_shows_the_board_most_urgent_first(cli: Run, asked: tuple[World, int, int]) -> None:
    result = cli("request", "list")
    assert result.exit_code == 0, result.output
    assert "Resource requests (2)" in result.output
    assert result.output.index("field_epidemiologist") < result.output.index("ors-sachet")
    assert "1,200 × ors-sachet" in result.output
    only = cli("request", "list", "--status", "endorsed", "--country", "LAO")
    assert only.exit_code == 0 and "Resource requests (1)" in only.output
    assert "field_epidemiologist" not in only.output


def test_list_refuses_unknown_filters_in_one_line(cli: Run, asked: tuple[World, int, int]) -> None:
    result = cli("request", "list", "--status", "lost")
    assert result.exit_code == 1
    assert "status: one of submitted" in result.output
    assert "Traceback" not in result.output


def test_show_prints_steps_and_pledges(cli: Run, asked: tuple[World, int, int]) -> None:
    _, lao, _ = asked
    result = cli("request", "show", str(lao))
    assert result.exit_code == 0, result.output
    assert f"Request {lao}" in result.output and "endorsed" in result.output
    assert "Approval steps" in result.output and "endorse" in result.output
    assert "Pledges (1)" in result.output and "600 of lot K1" in result.output
    missing = cli("request", "show", "999999")
    assert missing.exit_code == 1
    assert "no resource request with id 999999" in missing.output


def test_the_demo_requests_load_twice_and_show(
    cli: Run, session_factory: sessionmaker[Session]
) -> None:
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            flows.load_demo(session=session)
    with session_factory() as session:
        made = session.scalars(select(ResourceRequest).order_by(ResourceRequest.id)).all()
        assert [(r.country_code, r.item_code or r.team_type, r.status) for r in made] == [
            ("PHL", "mr-vaccine-10dose", "approved"),
            ("MMR", "iv-ringer-lactate-1l", "approved"),
            ("PHL", "iv-ringer-lactate-1l", "approved"),
            ("KHM", "oseltamivir-75mg", "approved"),
            ("LAO", "ors-sachet", "endorsed"),
            ("MMR", "n95-respirator", "rejected"),
            ("PHL", "field_epidemiologist", "approved"),
        ]
        vaccine = made[0]
        event = session.get(Event, vaccine.event_id)
        assistance = session.get(AssistanceRequest, vaccine.assistance_request_id)
        assert event is not None and event.title == "Measles outbreak, the Philippines"
        assert assistance is not None and assistance.kind == "resources"
        assert assistance.title == "Measles-rubella vaccine for the catch-up campaign"
        dengue = session.get(Event, made[2].event_id)
        assert dengue is not None and dengue.title == "Dengue cluster in Metro Manila"
        oseltamivir = session.get(Event, made[3].event_id)
        assert oseltamivir is not None and "H5N1" in oseltamivir.title
        made_pledges = session.scalars(select(Pledge).order_by(Pledge.id)).all()
        assert {p.holder_code for p in made_pledges} == {"KOR-NAT", "JPN-NAT"}
        assert len(made_pledges) == 3
        assert {p.request_id for p in made_pledges if p.status == "accepted"} == {
            made[0].id,
            made[3].id,
        }
    result = cli("request", "list", "--status", "approved")
    assert result.exit_code == 0 and "Resource requests (5)" in result.output
    waiting = cli("request", "list", "--open")
    assert waiting.exit_code == 0 and "Resource requests (6)" in waiting.output
    assert "n95-respirator" not in waiting.output
