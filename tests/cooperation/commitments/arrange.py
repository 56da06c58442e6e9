"""Arranging the records commitments refer to, in tests: meetings, documents, projects.

Other parts own these tables and extend them; tests here create rows through their models with
the contract columns, filling whatever else the table requires with a plausible value, so that
these tests keep working while those parts grow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.cooperation.commitments.schemas import CommitmentCreate
from healthbridge.cooperation.meetings.models import Document, Meeting
from healthbridge.cooperation.projects.models import Project
from healthbridge.policy import Principal

_serial = itertools.count(1)
#: Values for required references to reference tables.
_REFERENCES = {"countries": "KOR", "organisations": "KOR-MOHW"}


def _filler(column: Any, given: dict[str, Any]) -> Any:
    for fk in column.foreign_keys:
        table = fk.column.table.name
        if table in _REFERENCES:
            return _REFERENCES[table]
        if table == "meetings" and "meeting_id" in given:
            return given["meeting_id"]
        raise AssertionError(f"cannot fill {column} (refers to {table})")
    n = next(_serial)
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer | Numeric):
        return 1
    if isinstance(kind, Date):
        return given.get("starts_on", dt.date(2024, 1, 1))
    if isinstance(kind, DateTime):
        return dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    if isinstance(kind, LargeBinary):
        return f"content {n}".encode()
    if isinstance(kind, String | Text):
        length = getattr(kind, "length", None) or 64
        if column.name == "checksum":
            return hashlib.sha256(str(n).encode()).hexdigest()[:length]
        if length <= 3:
            return "en"[:length]
        return f"test-{n}"[:length]
    if hasattr(kind, "python_type") and kind.python_type is dict:
        return {}
    raise AssertionError(f"cannot fill {column} of type {kind}")


def contract_row(model: type[Any], **given: Any) -> Any:
    """A row of ``model`` with ``given`` values and anything else required filled in."""
    values = dict(given)
    for column in model.__table__.columns:
        if (
            column.key in values
            or column.primary_key
            or column.nullable
            or column.default is not None
            or column.server_default is not None
        ):
            continue
        values[column.key] = _filler(column, given)
    return model(**values)


def make_meeting(
    session: Session, title: str | None = None, starts_on: dt.date = dt.date(2024, 8, 29)
) -> Meeting:
    """A meeting with the contract columns (flushed)."""
    meeting = contract_row(
        Meeting, title=title or f"Test meeting {next(_serial)}", starts_on=starts_on
    )
    session.add(meeting)
    session.flush()
    return meeting


def make_document(session: Session, meeting_id: int | None, title: str = "Joint statement") -> Any:
    """A document of a meeting with the contract columns (flushed)."""
    document = contract_row(Document, meeting_id=meeting_id, title=title)
    session.add(document)
    session.flush()
    return document


def make_project(session: Session, iati_identifier: str | None = None) -> Any:
    """A project with the contract columns (flushed)."""
    project = contract_row(
        Project, iati_identifier=iati_identifier or f"KR-GOV-010-TEST-{next(_serial)}"
    )
    session.add(project)
    session.flush()
    return project


def make_commitment(
    session: Session, actor: Principal, meeting_id: int, **fields: Any
) -> Commitment:
    """A commitment recorded through the service (owed by Thailand unless told otherwise)."""
    data: dict[str, Any] = {
        "text": f"Commitment {next(_serial)}",
        "kind": "agreement",
        "meeting_id": meeting_id,
        **fields,
    }
    if "owed_by_country" not in data and "owed_by_organisation" not in data:
        data["owed_by_country"] = "THA"
    return service.create_commitment(
        session=session, actor=actor, commitment_in=CommitmentCreate.model_validate(data)
    )
