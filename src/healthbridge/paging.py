"""The list convention every list endpoint follows: ``limit``/``offset`` in, a page out.

``GET /api/v1/things?limit=50&offset=100&q=text&sort=-name`` answers
``{"items": [...], "total": 1234, "limit": 50, "offset": 100}`` and a ``Link`` header with
``next``/``prev``. Filters are plain query parameters named after the field they filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, inspect, select
from sqlalchemy.orm import Session

from healthbridge.errors import FieldError, Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Past this no list has rows; bounding it keeps the value inside every database's integers.
MAX_OFFSET = 2**31 - 1


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageRequest:
    """What page of a list is wanted, and in which order (``name`` or ``-name``)."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sort: str | None = None


def paginate(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    *,
    sortable: dict[str, Any],
    default_sort: str,
) -> tuple[list[Any], int]:
    """Run ``query`` for one page; ``sortable`` maps public sort keys to columns.

    Raises :class:`Invalid` naming the ``sort`` field when the key is not sortable.
    """
    key = page.sort or default_sort
    descending = key.startswith("-")
    column = sortable.get(key.removeprefix("-"))
    if column is None:
        raise Invalid(
            f"cannot sort by '{key}'",
            errors=[
                FieldError(
                    "sort", f"one of: {', '.join(sorted(sortable))}, with '-' for descending"
                )
            ],
        )
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    ties = [key.desc() if descending else key.asc() for key in _tiebreak(query)]
    ordered = query.order_by(column.desc() if descending else column.asc(), *ties)
    rows = session.execute(ordered.limit(page.limit).offset(page.offset)).scalars().all()
    return list(rows), total


def _tiebreak(query: Select[Any]) -> tuple[Any, ...]:
    """The primary key of the listed entity: rows equal in the sorted column keep one order, so
    that consecutive pages neither repeat nor skip a row. It runs the sort's way (newest id first
    in a descending list), so one index on (filter, sort column, id) serves the whole order."""
    descriptions = query.column_descriptions
    entity = descriptions[0].get("entity") if descriptions else None
    if entity is None:
        return ()
    mapper = inspect(entity, raiseerr=False)
    return tuple(mapper.primary_key) if mapper is not None else ()


def like_pattern(text: str) -> str:
    """An ``ILIKE`` pattern matching ``text`` anywhere, its wildcards taken literally.

    Use with ``escape="\\"``.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
