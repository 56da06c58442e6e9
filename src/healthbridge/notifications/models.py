"""The outbox of e-mails waiting to be sent (and those already sent)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from healthbridge.db import Base, UTCDateTime, utcnow


class OutboundEmail(Base):
    """One e-mail to one recipient, queued until an SMTP server accepted it."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: What makes this e-mail the same as another (e.g. one reminder per recipient, kind and day):
    #: queuing an e-mail whose key exists already queues nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
