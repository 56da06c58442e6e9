"""The command line: ``healthbridge remind commitments`` and ``healthbridge notify send``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.commitments.arrange import make_commitment
from tests.notifications.smtp_inbox import Inbox, free_port, smtp_inbox
from typer.testing import CliRunner, Result

from healthbridge.accounts.models import User
from healthbridge.cli import app
from healthbridge.cooperation.commitments import service
from healthbridge.notifications import service as outbox
from healthbridge.notifications.models import OutboundEmail
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings

TODAY = service.today()
DAY = dt.timedelta(days=1)
Run = Callable[..., Result]
SMTP_ENV = ("HEALTHBRIDGE_SMTP_HOST", "HEALTHBRIDGE_SMTP_PORT", "HEALTHBRIDGE_SMTP_FROM")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run the command line against the test's database (no SMTP server configured)."""
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    """An SMTP server, configured as the platform's."""
    with smtp_inbox() as server:
        monkeypatch.setenv("HEALTHBRIDGE_SMTP_HOST", server.host)
        monkeypatch.setenv("HEALTHBRIDGE_SMTP_PORT", str(server.port))
        monkeypatch.setenv("HEALTHBRIDGE_SMTP_FROM", "reminders@healthbridge.example")
        get_settings.cache_clear()
        yield server


def queued(session_factory: sessionmaker[Session]) -> list[OutboundEmail]:
    with session_factory() as session:
        return outbox.pending(session=session)


@pytest.fixture
def due(
    arrange: Callable[[Callable[[Session], Any]], Any],
    make_user: Callable[..., User],
    meeting_id: int,
) -> dict[str, User]:
    """Thailand owes one overdue commitment and one due in a week; its focal point is told."""
    people = {
        "tha": make_user(Role.FOCAL_POINT, "THA"),
        "asec": make_user(Role.SECRETARIAT, None),
    }
    operator = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)

    def build(session: Session) -> None:
        make_commitment(session, operator, meeting_id, text="Lab report", due_on=TODAY - 2 * DAY)
        make_commitment(session, operator, meeting_id, text="UHC data", due_on=TODAY + 7 * DAY)
        make_commitment(session, operator, meeting_id, text="Later", due_on=TODAY + 20 * DAY)
        make_commitment(
            session, operator, meeting_id, text="Lao PDR", owed_by_country="LAO", due_on=TODAY
        )

    arrange(build)
    return people


def test_remind_twice_the_same_day_queues_once(
    cli: Run, due: dict[str, User], session_factory: sessionmaker[Session]
) -> None:
    first = cli("remind", "commitments", "--within", "14")
    assert first.exit_code == 0, first.output
    assert "3 commitment(s) to remind of" in flat(first.stdout)
    assert "1 overdue, 2 due within 14 days" in flat(first.stdout)
    assert "Queued 2 e-mail(s); 0 already queued today" in flat(first.stdout)
    assert "LAO" in flat(first.stderr)  # nobody to remind in Lao PDR
    emails = queued(session_factory)
    assert sorted((e.to_address, e.subject) for e in emails) == [
        (due["tha"].email, "[HealthBridge] 1 commitment due within 14 days"),
        (due["tha"].email, "[HealthBridge] 1 commitment overdue"),
    ]

    second = cli("remind", "commitments", "--within", "14")
    assert second.exit_code == 0, second.output
    assert "Queued 0 e-mail(s); 2 already queued today" in flat(second.stdout)
    assert len(queued(session_factory)) == 2

    wider = cli("remind", "commitments", "--within", "30")
    assert wider.exit_code == 0, wider.output
    assert len(queued(session_factory)) == 2  # same recipient, kind and day: still once


def test_remind_refuses_a_silly_window(cli: Run) -> None:
    result = cli("remind", "commitments", "--within", "-1")
    assert result.exit_code != 0


def test_notify_send_delivers_through_smtp(
    cli: Run, due: dict[str, User], inbox: Inbox, session_factory: sessionmaker[Session]
) -> None:
    assert cli("remind", "commitments").exit_code == 0
    listing = cli("notify", "list")
    assert listing.exit_code == 0, listing.output
    assert "2 e-mail(s) queued" in flat(listing.stdout)

    result = cli("notify", "send")
    assert result.exit_code == 0, result.output
    assert "Sent 2 e-mail(s)" in flat(result.stdout)
    assert "0 still queued" in flat(result.stdout)
    assert sorted((frm, tuple(to), m["Subject"]) for frm, to, m in inbox.envelopes) == [
        (
            "reminders@healthbridge.example",
            (due["tha"].email,),
            "[HealthBridge] 1 commitment due within 14 days",
        ),
        (
            "reminders@healthbridge.example",
            (due["tha"].email,),
            "[HealthBridge] 1 commitment overdue",
        ),
    ]
    assert all(m["To"] == due["tha"].email for m in inbox.messages)
    assert queued(session_factory) == []

    again = cli("notify", "send")
    assert again.exit_code == 0
    assert "No e-mail waits" in again.stdout
    assert len(inbox.envelopes) == 2


def test_notify_send_without_an_smtp_host_exits_1_and_leaves_the_queue(
    cli: Run, due: dict[str, User], session_factory: sessionmaker[Session]
) -> None:
    assert cli("remind", "commitments").exit_code == 0
    before = [(e.id, e.attempts, e.last_error) for e in queued(session_factory)]
    result = cli("notify", "send")
    assert result.exit_code == 1
    assert "HEALTHBRIDGE_SMTP_HOST" in flat(result.stderr)
    assert "no SMTP server is configured" in flat(result.stderr)
    assert [(e.id, e.attempts, e.last_error) for e in queued(session_factory)] == before


def test_a_failed_delivery_stays_queued_with_its_error(
    cli: Run,
    due: dict[str, User],
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert cli("remind", "commitments").exit_code == 0
    monkeypatch.setenv("HEALTHBRIDGE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HEALTHBRIDGE_SMTP_PORT", str(free_port()))  # nothing listens there
    get_settings.cache_clear()
    result = cli("notify", "send")
    assert result.exit_code == 1
    assert "not delivered, kept queued" in flat(result.stderr)
    emails = queued(session_factory)
    assert len(emails) == 2
    assert all(e.attempts == 1 and e.last_error and e.sent_at is None for e in emails)
    listing = cli("notify", "list")
    assert "ConnectionRefusedError" in flat(listing.stdout)
