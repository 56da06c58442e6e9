"""Delivering the outbox through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.notifications.smtp_inbox import Inbox, free_port

from healthbridge.notifications import sender, service
from healthbridge.policy import Principal
from healthbridge.settings import Settings


def config(inbox: Inbox) -> sender.SmtpConfig:
    return sender.SmtpConfig(host=inbox.host, port=inbox.port, sender="healthbridge@asean.example")


def fill(session: Session, actor: Principal, *recipients: str) -> None:
    for n, to in enumerate(recipients):
        service.queue_email(
            session=session,
            actor=actor,
            to=to,
            subject=f"[HealthBridge] reminder {n}",
            body=f"Body {n}: ünïcode ✓",
            dedupe_key=f"test:{n}",
        )


def test_queued_emails_arrive_with_subject_and_recipient(
    session: Session, operator: Principal, inbox: Inbox
) -> None:
    fill(session, operator, "focal.tha@example.org", "focal.vnm@example.org")
    commits: list[int] = []
    report = sender.deliver_pending(
        session=session, actor=operator, config=config(inbox), after_each=lambda: commits.append(1)
    )
    assert (report.sent, report.failed) == (2, 0)
    assert len(commits) == 2
    assert [(frm, to) for frm, to, _ in inbox.envelopes] == [
        ("healthbridge@asean.example", ["focal.tha@example.org"]),
        ("healthbridge@asean.example", ["focal.vnm@example.org"]),
    ]
    first = inbox.messages[0]
    assert first["Subject"] == "[HealthBridge] reminder 0"
    assert first["To"] == "focal.tha@example.org"
    assert first["Message-ID"]
    assert "Body 0: ünïcode ✓" in first.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert service.pending(session=session) == []
    # Nothing left: a second run sends nothing.
    assert sender.deliver_pending(session=session, actor=operator, config=config(inbox)).sent == 0
    assert len(inbox.envelopes) == 2


def test_a_refused_recipient_stays_queued_with_its_error(
    session: Session, operator: Principal, inbox: Inbox
) -> None:
    inbox.refuse.add("gone@example.org")
    fill(session, operator, "gone@example.org", "focal.tha@example.org")
    report = sender.deliver_pending(session=session, actor=operator, config=config(inbox))
    assert (report.sent, report.failed) == (1, 1)
    [left] = service.pending(session=session)
    assert left.to_address == "gone@example.org"
    assert left.attempts == 1
    assert "550" in (left.last_error or "")
    assert [to for _, to, _ in inbox.envelopes] == [["focal.tha@example.org"]]


def test_no_server_listening_fails_every_email_and_keeps_them(
    session: Session, operator: Principal
) -> None:
    fill(session, operator, "a@example.org", "b@example.org")
    nowhere = sender.SmtpConfig(
        host="127.0.0.1", port=free_port(), sender="hb@example.org", timeout=5
    )
    report = sender.deliver_pending(session=session, actor=operator, config=nowhere)
    assert (report.sent, report.failed) == (0, 2)
    pending = service.pending(session=session)
    assert [(e.attempts, bool(e.last_error)) for e in pending] == [(1, True), (1, True)]
    assert "Connection" in (pending[0].last_error or "") or "refused" in (
        pending[0].last_error or ""
    )


def test_no_smtp_host_is_not_configured(tmp_path: Path) -> None:
    with pytest.raises(sender.SmtpNotConfigured) as refused:
        sender.smtp_config(Settings(data_dir=tmp_path))
    assert "HEALTHBRIDGE_SMTP_HOST" in refused.value.detail
    configured = sender.smtp_config(
        Settings(data_dir=tmp_path, smtp_host="mail.example.org", smtp_port=587, smtp_starttls=True)
    )
    assert (configured.host, configured.port, configured.starttls, configured.sender) == (
        "mail.example.org",
        587,
        True,
        "healthbridge@localhost",
    )
