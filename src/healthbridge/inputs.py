"""The base of every Pydantic model that takes input from outside."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import annotated_types
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

#: Control characters no field of ours carries; NUL in particular PostgreSQL cannot store.
_FORBIDDEN = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r"}
#: The range of PostgreSQL's ``integer`` (the ``Integer`` columns every id and count is stored
#: in): what an ``int`` field takes unless it declares its own bounds.
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def _publish_int_bounds(schema: Any) -> None:
    """Give every integer of a JSON schema (nested in unions, lists and maps too) the bounds of
    PostgreSQL's ``integer`` on the sides where it declares none."""
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "integer":
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            schema["minimum"] = INT_MIN
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            schema["maximum"] = INT_MAX
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for part in schema.get(key, ()):
            _publish_int_bounds(part)
    for key in ("items", "additionalProperties"):
        _publish_int_bounds(schema.get(key))


def _published_int_bounds(schema: dict[str, Any], _model: type[Any]) -> None:
    """The OpenAPI document says what :class:`InputModel` enforces: clients and their
    generated code see the range of every integer field."""
    for field in schema.get("properties", {}).values():
        _publish_int_bounds(field)


class InputModel(BaseModel):
    """Refuses unknown fields, text with control characters and integers beyond PostgreSQL's
    ``integer`` (:data:`INT_MIN` to :data:`INT_MAX`), naming the field.

    An ``int`` field that declares a bound (``Field(le=10**12)``, ``ge=...``) is held to that
    bound instead on its side: a wider range is declared, never assumed. Integers inside a
    field's lists, tuples, sets and dict values are held to the same range.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_published_int_bounds)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and not _FORBIDDEN.isdisjoint(value):
            raise ValueError("contains a control character")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _integers_in_range(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, str | bool | float):
            return value
        low, high = _undeclared_bounds(cls, info.field_name or "")
        if low is not None or high is not None:
            for number in _integers(value):
                if (low is not None and number < low) or (high is not None and number > high):
                    raise ValueError(f"must be an integer from {INT_MIN} to {INT_MAX}")
        return value


@functools.lru_cache(maxsize=4096)
def _undeclared_bounds(model: type[BaseModel], name: str) -> tuple[int | None, int | None]:
    """PostgreSQL's bounds that a field is held to: ``None`` on a side where it declares its
    own (which Pydantic checks)."""
    low: int | None = INT_MIN
    high: int | None = INT_MAX
    field = model.model_fields.get(name)
    for bound in field.metadata if field is not None else ():
        if isinstance(bound, annotated_types.Ge | annotated_types.Gt):
            low = None
        elif isinstance(bound, annotated_types.Le | annotated_types.Lt):
            high = None
    return low, high


def _integers(value: Any) -> list[int]:
    """The integers of a field's value: itself, or those in its lists, tuples, sets and dict
    values (not in nested models, which check their own)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return [n for item in value for n in _integers(item)]
    return []
