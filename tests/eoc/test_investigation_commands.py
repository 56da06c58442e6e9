"""The command line: ``healthbridge remind tasks`` queues one e-mail per assignee of overdue
investigation tasks, once a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.eoc import investigations as inv
from healthbridge.eoc import service
from healthbridge.notifications import service as outbox
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings

THAI_EOC = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
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


def test_remind_tasks_queues_once_a_day(cli: Run, session_factory: sessionmaker[Session]) -> None:
    day = dt.date(2024, 8, 10)
    with unit_of_work(session_factory) as session:
        event = service.create_event(
            session=session,
            actor=THAI_EOC,
            new=service.NewEvent(country="THA", disease="dengue", title="Dengue cluster"),
        )
        investigation = inv.create_investigation(
            session=session,
            actor=THAI_EOC,
            event_id=event.id,
            values={"title": "Cluster", "started_on": dt.date(2024, 8, 1)},
            on=day,
        )
        for email, due in (("a@x.org", day - dt.timedelta(days=2)), ("b@x.org", day)):
            inv.add_task(
                session=session,
                actor=THAI_EOC,
                event_id=event.id,
                investigation_id=investigation.id,
                task=inv.TaskInput(title="Survey", assignee_email=email, due_on=due),
            )
    first = cli("remind", "tasks", "--on", day.isoformat())
    assert first.exit_code == 0, first.output
    assert (
        "1 overdue task(s) on 2024-08-10" in first.output and "Queued 1 e-mail(s)" in first.output
    )
    second = cli("remind", "tasks", "--on", day.isoformat())
    assert second.exit_code == 0 and "Queued 0 e-mail(s); 1 already queued" in second.output
    with session_factory() as session:
        assert [e.to_address for e in outbox.pending(session=session)] == ["a@x.org"]
    wrong = cli("remind", "tasks", "--on", "10/08/2024")
    assert wrong.exit_code != 0
    assert cli("remind", "commitments", "--help").exit_code == 0  # the group is shared
