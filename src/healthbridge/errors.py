"""Errors raised by services; the border turns them into problem+json or a CLI message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from healthbridge.marks import N_


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input: which field (and row, for imports) and why."""

    field: str
    message: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


@dataclass
class DenialContext:
    """What a refused attempt tried to reach, so that the border can audit it."""

    action: str
    object_type: str | None = None
    object_id: str | None = None
    country: str | None = None


class HealthBridgeError(Exception):
    """Base of every error a service raises on purpose. ``status`` follows HTTP."""

    status: int = 400
    title: str = N_("Bad request")
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        context: DenialContext | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        #: Set on refusals worth auditing; the border writes them after the rollback.
        self.context = context


class Invalid(HealthBridgeError):
    status = 422
    title = N_("Invalid input")
    slug = "invalid-input"


class NotFound(HealthBridgeError):
    status = 404
    title = N_("Not found")
    slug = "not-found"


class Conflict(HealthBridgeError):
    status = 409
    title = N_("Conflict")
    slug = "conflict"


class Unauthenticated(HealthBridgeError):
    status = 401
    title = N_("Not authenticated")
    slug = "not-authenticated"


class TooManyAttempts(HealthBridgeError):
    """Refused for a while after repeated failures (sign-in); ``retry_after`` is in seconds."""

    status = 429
    title = N_("Too many attempts")
    slug = "too-many-attempts"

    def __init__(
        self, detail: str, *, retry_after: int, context: DenialContext | None = None
    ) -> None:
        super().__init__(detail, context=context)
        self.retry_after = max(1, retry_after)


class Forbidden(HealthBridgeError):
    """The principal may not do this. Carries what was attempted, for the audit log."""

    status = 403
    title = N_("Forbidden")
    slug = "forbidden"
