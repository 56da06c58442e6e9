"""Delivering the outbox through an SMTP server (``smtplib``), as configured in the settings."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.orm import Session

from healthbridge.errors import HealthBridgeError
from healthbridge.notifications import service
from healthbridge.notifications.models import OutboundEmail
from healthbridge.policy import Principal
from healthbridge.settings import Settings

#: Seconds to wait for the SMTP server before a delivery counts as failed.
SMTP_TIMEOUT = 30.0


class SmtpNotConfigured(HealthBridgeError):
    """No SMTP server is configured, so nothing can be sent (the outbox is left as it is)."""

    status = 503
    title = "E-mail is not configured"
    slug = "smtp-not-configured"


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand e-mails over."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = SMTP_TIMEOUT


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP configuration of ``settings``; :class:`SmtpNotConfigured` without a host."""
    if not settings.smtp_host:
        raise SmtpNotConfigured(
            "no SMTP server is configured: set HEALTHBRIDGE_SMTP_HOST (and HEALTHBRIDGE_SMTP_PORT, "
            "HEALTHBRIDGE_SMTP_FROM) to send the queued e-mails; nothing was sent"
        )
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
        user=settings.smtp_user,
        password=settings.smtp_password,
    )


def compose(email: OutboundEmail, *, sender: str) -> EmailMessage:
    """The RFC 5322 message of a queued e-mail."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"hb{email.id}", domain=domain)
    message.set_content(email.body)
    return message


@contextmanager
def smtp_connection(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """An open, greeted (and, when configured, encrypted and logged-in) SMTP connection."""
    connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        connection.ehlo()
        if config.starttls:
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if config.user:
            connection.login(config.user, config.password or "")
        yield connection
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def deliver_pending(
    *,
    session: Session,
    actor: Principal,
    config: SmtpConfig,
    after_each: Callable[[], None] = lambda: None,
    limit: int | None = None,
) -> DeliveryReport:
    """Send the queued e-mails over one SMTP connection, oldest first.

    A delivery the server refuses (or a connection that cannot be made) leaves the e-mail queued
    with its error and one attempt more. ``after_each`` runs after every e-mail so that the
    border can commit as it goes: an e-mail that was sent is never sent again.
    """
    report = DeliveryReport()
    emails = service.pending(session=session, limit=limit)
    tried: set[int] = set()
    if not emails:
        return report
    try:
        with smtp_connection(config) as connection:
            for email in emails:
                tried.add(email.id)
                try:
                    connection.send_message(compose(email, sender=config.sender))
                except smtplib.SMTPServerDisconnected:
                    tried.discard(email.id)
                    raise
                except (OSError, smtplib.SMTPException) as error:
                    _failed(session, actor, email, error, report)
                else:
                    service.mark_sent(session=session, actor=actor, email=email)
                    report.sent += 1
                after_each()
    except (OSError, smtplib.SMTPException) as error:
        # No connection, or it broke for good midway: what was not tried failed this attempt.
        for email in emails:
            if email.id not in tried:
                _failed(session, actor, email, error, report)
        after_each()
    return report


def _failed(
    session: Session,
    actor: Principal,
    email: OutboundEmail,
    error: BaseException,
    report: DeliveryReport,
) -> None:
    service.mark_failed(session=session, actor=actor, email=email, error=_describe(error))
    report.failed += 1
    report.errors.append(f"{email.to_address}: {_describe(error)}")
