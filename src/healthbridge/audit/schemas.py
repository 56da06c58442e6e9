"""What the audit log looks like at the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from healthbridge.paging import Page


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    actor_user_id: int | None
    action: str
    outcome: str
    object_type: str | None
    object_id: str | None
    country_code: str | None
    detail: dict[str, Any]
    entry_hash: str


AuditPage = Page[AuditEntryRead]


class ChainRead(BaseModel):
    intact: bool
    checked: int
    first_broken_id: int | None
    reason: str | None
