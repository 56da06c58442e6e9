"""Meetings of the dialogue channel: the operations other parts rely on come first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.cooperation.meetings.models import Document, Meeting
from healthbridge.errors import FieldError, Invalid


def require_meeting(
    *, session: Session, meeting_id: int | None, field: str = "meeting_id"
) -> Meeting | None:
    """The meeting with this id, for input that refers to one; :class:`Invalid` when unknown."""
    if meeting_id is None:
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise Invalid(
            f"unknown meeting {meeting_id}", errors=[FieldError(field, "unknown meeting")]
        )
    return meeting


def require_document(
    *, session: Session, document_id: int | None, field: str = "document_id"
) -> Document | None:
    """The document with this id, for input that refers to one; :class:`Invalid` when unknown."""
    if document_id is None:
        return None
    document = session.get(Document, document_id)
    if document is None:
        raise Invalid(
            f"unknown document {document_id}", errors=[FieldError(field, "unknown document")]
        )
    return document


def find_meeting(*, session: Session, title: str, starts_on: dt.date) -> Meeting | None:
    """The meeting with exactly this title and start date (demo data finds meetings so)."""
    return session.scalars(
        select(Meeting).where(Meeting.title == title, Meeting.starts_on == starts_on)
    ).first()
