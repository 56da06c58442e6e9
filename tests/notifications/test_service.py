"""The outbox: queued once per key, listed while waiting, marked sent or failed, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit.models import AuditEntry
from healthbridge.errors import Invalid
from healthbridge.notifications import service
from healthbridge.notifications.models import OutboundEmail
from healthbridge.policy import Principal


def queue(
    session: Session, actor: Principal, key: str = "k-1", **fields: str
) -> OutboundEmail | None:
    values = {"to": "Focal.THA@Example.org", "subject": "Reminder", "body": "Hello", **fields}
    return service.queue_email(session=session, actor=actor, dedupe_key=key, **values)


def test_an_email_is_queued_once_per_key(session: Session, operator: Principal) -> None:
    first = queue(session, operator)
    assert first is not None
    assert (first.to_address, first.attempts, first.sent_at, first.last_error) == (
        "focal.tha@example.org",
        0,
        None,
        None,
    )
    assert queue(session, operator) is None
    assert queue(session, operator, subject="Another subject") is None
    assert queue(session, operator, key="k-2") is not None
    assert [e.dedupe_key for e in service.pending(session=session)] == ["k-1", "k-2"]
    assert service.count_pending(session=session) == 2
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "email.queue"))
    assert len(list(actions)) == 2


def test_a_sent_key_is_not_queued_again(session: Session, operator: Principal) -> None:
    email = queue(session, operator)
    assert email is not None
    service.mark_sent(session=session, actor=operator, email=email)
    assert queue(session, operator) is None
    assert service.pending(session=session) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": "not an address"}, "to"),
        ({"to": "nobody@nowhere"}, "to"),
        ({"subject": " "}, "subject"),
        ({"subject": "Two\nlines"}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"body": ""}, "body"),
        ({"key": ""}, "dedupe_key"),
    ],
)
def test_bad_emails_are_invalid_naming_the_field(
    session: Session, operator: Principal, fields: dict[str, str], field: str
) -> None:
    fields = dict(fields)
    key = fields.pop("key", "k-1")
    with pytest.raises(Invalid) as refused:
        queue(session, operator, key=key, **fields)
    assert {e.field for e in refused.value.errors} == {field}
    assert service.pending(session=session) == []


def test_marking_sent_and_failed(session: Session, operator: Principal) -> None:
    email = queue(session, operator)
    assert email is not None
    service.mark_failed(session=session, actor=operator, email=email, error="timed out")
    service.mark_failed(session=session, actor=operator, email=email, error="x" * 5000)
    assert (email.attempts, email.sent_at, len(email.last_error or "")) == (2, None, 2000)
    assert service.pending(session=session) == [email]
    service.mark_sent(session=session, actor=operator, email=email)
    assert (email.attempts, email.last_error) == (3, None)
    assert email.sent_at is not None
    assert service.pending(session=session) == []
    actions = list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "outbound_email")
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["email.queue", "email.fail", "email.fail", "email.send"]


def test_a_key_taken_meanwhile_queues_nothing_and_keeps_the_session_usable(
    session: Session, operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once: the unique key decides, inside a savepoint, and nothing else is lost."""
    first = queue(session, operator)
    assert first is not None
    monkeypatch.setattr(service, "find_email", lambda **_: None)  # as if not there yet
    assert queue(session, operator) is None
    assert queue(session, operator, key="k-2") is not None
    session.commit()
    assert [e.dedupe_key for e in service.pending(session=session)] == ["k-1", "k-2"]
