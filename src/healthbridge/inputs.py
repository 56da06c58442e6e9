"""The base of every Pydantic model that takes input from outside."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

#: Control characters no field of ours carries; NUL in particular PostgreSQL cannot store.
_FORBIDDEN = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}


class InputModel(BaseModel):
    """Refuses unknown fields and text with control characters, naming the field."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and not _FORBIDDEN.isdisjoint(value):
            raise ValueError("contains a control character")
        return value
