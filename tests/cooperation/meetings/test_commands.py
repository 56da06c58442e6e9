"""The meetings commands of the ``healthbridge`` command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.cooperation.meetings import demo
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.db import unit_of_work
from healthbridge.interop import ical
from healthbridge.policy import Principal
from healthbridge.settings import get_settings


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def demo_loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


def test_schedule_next_from_the_command_line(
    cli: CliRunner, demo_loaded: None, session_factory: sessionmaker[Session]
) -> None:
    result = run(cli, "meetings", "schedule-next", "apt-hmm")
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "Planned meeting" in output
    assert "11th ASEAN Plus Three Health Ministers' Meeting" in output
    assert "on 2026-08-29 in Malaysia (co-chairs: Malaysia)" in output
    again = run(cli, "meetings", "schedule-next", "APT-HMM")
    assert again.exit_code == 0
    assert "Already planned:" in again.output
    with session_factory() as session:
        titles = session.scalars(select(Meeting.title).where(Meeting.status == "planned")).all()
    assert sorted(titles) == [
        "11th ASEAN Plus Three Health Ministers' Meeting",
        "3rd ASEAN–Republic of Korea Health Ministers' Meeting",
    ]


def test_an_unknown_series_is_one_clear_error(cli: CliRunner) -> None:
    result = run(cli, "meetings", "schedule-next", "NOPE")
    assert result.exit_code == 1
    assert "no meeting series with code 'NOPE'" in result.output


def test_export_the_calendar(cli: CliRunner, demo_loaded: None, tmp_path: Path) -> None:
    target = tmp_path / "meetings.ics"
    result = run(
        cli, "export", "meetings-ics", "--output", str(target), "--series", "ASEAN-ROK-HMM"
    )
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    lines = ical.unfold(raw.decode())
    assert lines.count("BEGIN:VEVENT") == 3
    assert "STATUS:TENTATIVE" in lines
    assert "Wrote 3 meetings" in result.output
    to_stdout = run(cli, "export", "meetings-ics")
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.count("BEGIN:VEVENT") == 8


def test_reindex(cli: CliRunner, demo_loaded: None, database_url: str) -> None:
    result = run(cli, "meetings", "reindex")
    assert result.exit_code == 0, result.output
    expected = "4 documents" if database_url.startswith("sqlite") else "0 documents"
    assert expected in result.output
