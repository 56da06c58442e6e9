"""The demo events (several states, several countries, loaded once however often), their field
investigations, and the ``healthbridge event list`` / ``event show`` commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_signal
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.eoc import demo, investigations
from healthbridge.eoc.investigation_models import FieldInvestigation
from healthbridge.eoc.models import Event, EventTransition
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings
from healthbridge.surveillance.models import Signal

Run = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, int]:
    """The demo events over the demo's two outbreak signals; their ids by country+disease."""
    with unit_of_work(session_factory) as session:
        make_signal(session, country="THA", area="TH-10", disease="dengue", week="2026-W46")
        make_signal(session, country="PHL", area=None, disease="measles", week="2026-W46")
        demo.load_demo(session=session, actor=operator)
    with unit_of_work(session_factory) as session:
        assert demo.load_demo(session=session, actor=operator) == []
    with session_factory() as session:
        return {
            f"{e.country_code}:{e.disease_code or e.hazard}": e.id
            for e in session.scalars(select(Event))
        }


def test_the_demo_holds_events_in_several_states_once(
    session_factory: sessionmaker[Session], loaded: dict[str, int]
) -> None:
    with session_factory() as session:
        events = {
            f"{e.country_code}:{e.disease_code or e.hazard}": e
            for e in session.scalars(select(Event))
        }
        assert len(events) == len(demo.DEMO_EVENTS) == len(loaded)
        states = {key: e.status for key, e in events.items()}
        assert states == {
            "PHL:measles": "responding",
            "THA:dengue": "verifying",
            "KHM:avian_influenza_h5n1": "risk_assessed",
            "PHL:dengue": "monitoring",
            "IDN:measles": "closed",
            "VNM:Chemical spill": "discarded",
        }
        measles = events["PHL:measles"]
        assert (measles.risk_level, measles.activation_level) == ("high", "partial")
        assert measles.shared_with_region and measles.week == "2026-W46"
        assert [link.kind for link in measles.links] == ["signal", "note"]
        h5n1 = events["KHM:avian_influenza_h5n1"]
        assert [s.country_code for s in h5n1.shares] == ["LAO", "VNM"]
        assert not h5n1.shared_with_region
        assert not events["THA:dengue"].shared_with_region
        assert events["IDN:measles"].closure_reason
        signals = session.scalars(select(Signal.status)).all()
        assert signals == ["verify", "verify"]
        steps = session.scalar(select(func.count()).select_from(EventTransition))
        assert steps == 1 + 3 + 1 + 4 + 2 + 6 + 2


def test_event_list_and_show(cli: Run, loaded: dict[str, int]) -> None:
    listed = cli("event", "list")
    assert listed.exit_code == 0, listed.output
    assert "Events (6)" in listed.output and "Measles outbreak in West Java" in listed.output
    only_open = cli("event", "list", "--open", "--country", "PHL")
    assert "Events (2)" in only_open.output
    shown = cli("event", "show", str(loaded["PHL:measles"]))
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "Measles outbreak, the Philippines" in text
    assert "status responding, risk high, EOC partial" in text
    assert "Shared with the region" in text
    for action in ("open", "verify", "assess_risk", "respond"):
        assert action in text
    missing = cli("event", "show", "999999")
    assert missing.exit_code != 0 and "no event with id 999999" in missing.output
    bad = cli("event", "list", "--status", "finished")
    assert bad.exit_code != 0 and "status" in bad.output


def test_the_demo_investigations_and_their_tasks(
    session_factory: sessionmaker[Session], loaded: dict[str, int]
) -> None:
    today = investigations.today()
    with session_factory() as session:
        rows = session.scalars(select(FieldInvestigation).order_by(FieldInvestigation.id)).all()
        # Loaded twice (the fixture), started once.
        assert [r.event_id for r in rows] == [
            loaded["PHL:measles"],
            loaded["KHM:avian_influenza_h5n1"],
        ]
        h5n1 = rows[1]
        assert [(m.country_code, m.organisation_code) for m in h5n1.members] == [
            ("KHM", "KHM-MOH"),
            ("VNM", "VNM-MOH"),
            ("KHM", None),
        ]
        assert [s.samples for s in h5n1.samples] == [6, 12]
        assert all(s.sent_on < today for s in h5n1.samples)
        states = [
            (t.status, investigations.is_overdue(t, today), t.completed_on == today)
            for t in h5n1.tasks
        ]
        assert states == [("done", False, True), ("open", False, False), ("open", True, False)]
        measles = rows[0]
        assert len(measles.members) == 1 and len(measles.tasks) == 1
        assert measles.tasks[0].status == "open"

        # The Viet Nam duty officer of the demo, deployed to Cambodia, finds their task.
        officer = Principal(email="eoc.vnm@healthbridge.demo", role=Role.EOC_OFFICER, country="VNM")
        mine, total = investigations.my_tasks(session=session, actor=officer, page=PageRequest())
        assert total == 1
        assert mine[0].title == "Daily follow-up of the 23 contacts until day 10"
        assert mine[0].due_on is not None and mine[0].due_on > today
