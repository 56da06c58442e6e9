"""Helpers the training tests share (imported, not fixtures)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.training.schemas import ProgrammeCreate
from healthbridge.errors import HealthBridgeError
from healthbridge.policy import Principal


def as_principal(user: User) -> Principal:
    return accounts.principal_of(user)


def programme_in(**changes: Any) -> ProgrammeCreate:
    data: dict[str, Any] = {
        "code": "ASEAN-LAB",
        "name": "Laboratory capacity for ASEAN",
        "organiser": "KOR-KDCA",
        "host_country": "KOR",
        "starts_on": dt.date(2023, 1, 1),
        **changes,
    }
    return ProgrammeCreate(**data)


def count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def audit_actions(session_factory: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with session_factory() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.country_code).order_by(
                AuditEntry.id
            )
        )
        return [(a, o, c) for a, o, c in rows]


def field_of(error: HealthBridgeError) -> str:
    assert error.errors, error.detail
    return error.errors[0].field
