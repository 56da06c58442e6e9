"""The outbox: queue an e-mail once, list what waits, record what was sent or failed.

The outbox has no HTTP face: the domains that queue e-mails (commitment reminders, ...) authorise
their own operations, and only the operator's command line sends. Every write is audited.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Invalid
from healthbridge.notifications.models import OutboundEmail
from healthbridge.policy import Principal

MAX_SUBJECT = 300
MAX_ERROR = 2000


def _check(*, to: str, subject: str, body: str, dedupe_key: str) -> list[FieldError]:
    errors: list[FieldError] = []
    local, at, domain = to.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in to) or len(to) > 320:
        errors.append(FieldError("to", f"'{to}' is not an e-mail address"))
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        errors.append(FieldError("subject", f"between 1 and {MAX_SUBJECT} characters"))
    elif "\r" in subject or "\n" in subject:
        errors.append(FieldError("subject", "one line: no line breaks"))
    if not body.strip():
        errors.append(FieldError("body", "empty"))
    if not dedupe_key.strip() or len(dedupe_key) > 200:
        errors.append(FieldError("dedupe_key", "between 1 and 200 characters"))
    return errors


def find_email(*, session: Session, dedupe_key: str) -> OutboundEmail | None:
    """The e-mail queued under ``dedupe_key``, sent or not."""
    return session.scalar(select(OutboundEmail).where(OutboundEmail.dedupe_key == dedupe_key))


def queue_email(
    *,
    session: Session,
    actor: Principal,
    to: str,
    subject: str,
    body: str,
    dedupe_key: str,
) -> OutboundEmail | None:
    """Put an e-mail in the outbox, unless one with the same ``dedupe_key`` is there already.

    Returns the new e-mail, or ``None`` when the key was taken (sent or still waiting), so that
    running the same job twice queues once. Raises :class:`Invalid` naming the field for a bad
    address, an empty or multi-line subject, an empty body or key.
    """
    to = to.strip().lower()
    errors = _check(to=to, subject=subject, body=body, dedupe_key=dedupe_key)
    if errors:
        raise Invalid("cannot queue this e-mail", errors=errors)
    if find_email(session=session, dedupe_key=dedupe_key) is not None:
        return None
    email = OutboundEmail(
        to_address=to, subject=subject, body=body, dedupe_key=dedupe_key, attempts=0
    )
    try:
        # A concurrent run may have queued the same key since we looked: the unique key decides.
        with session.begin_nested():
            session.add(email)
            session.flush()
    except IntegrityError:
        return None
    audit.record(
        session=session,
        actor=actor,
        action="email.queue",
        object_type="outbound_email",
        object_id=email.id,
        detail={"to": to, "subject": subject, "dedupe_key": dedupe_key},
    )
    return email


def pending(*, session: Session, limit: int | None = None) -> list[OutboundEmail]:
    """E-mails not sent yet, oldest first."""
    query = select(OutboundEmail).where(OutboundEmail.sent_at.is_(None)).order_by(OutboundEmail.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count_pending(*, session: Session) -> int:
    """How many e-mails wait in the outbox."""
    return (
        session.scalar(
            select(func.count()).select_from(OutboundEmail).where(OutboundEmail.sent_at.is_(None))
        )
        or 0
    )


def mark_sent(*, session: Session, actor: Principal, email: OutboundEmail) -> OutboundEmail:
    """Record that the SMTP server accepted ``email``; it leaves the queue."""
    now = utcnow()
    email.attempts += 1
    email.last_attempt_at = now
    email.sent_at = now
    email.last_error = None
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="email.send",
        object_type="outbound_email",
        object_id=email.id,
        detail={"to": email.to_address, "attempts": email.attempts},
    )
    return email


def mark_failed(
    *, session: Session, actor: Principal, email: OutboundEmail, error: str
) -> OutboundEmail:
    """Record a failed delivery: ``email`` stays queued with the error and one attempt more."""
    email.attempts += 1
    email.last_attempt_at = utcnow()
    email.last_error = (error.strip() or "unknown error")[:MAX_ERROR]
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="email.fail",
        object_type="outbound_email",
        object_id=email.id,
        detail={"to": email.to_address, "attempts": email.attempts, "error": email.last_error},
    )
    return email
