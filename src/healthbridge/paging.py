"""The list convention every list endpoint follows: ``limit``/``offset`` in, a page out.

``GET /api/v1/things?limit=50&offset=100&q=text&sort=-name`` answers
``{"items": [...], "total": 1234, "limit": 50, "offset": 100}`` and a ``Link`` header with
``next``/``prev``. Filters are plain query parameters named after the field they filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, inspect, literal, select
from sqlalchemy.orm import Session

from healthbridge.errors import FieldError, Invalid

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: Past this no list has rows; bounding it keeps the value inside every database's integers.
MAX_OFFSET = 2**31 - 1
#: How far the lists of the largest tables (millions of case reports) count their rows: past
#: it they say "more than", as an exact count would cost more than the page itself.
COUNT_LIMIT = 10_000


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int
    limit: int
    offset: int
    #: ``False`` when the list has more than ``total`` rows: lists of the largest tables count
    #: their rows only so far (see :data:`COUNT_LIMIT`); the ``next`` link is still given.
    total_exact: bool = True


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
    """Run ``query`` for one page; ``sortable`` maps public sort keys to columns. The total is
    exact.

    Raises :class:`Invalid` naming the ``sort`` field when the key is not sortable.
    """
    rows, total, _exact = paginate_counted(
        session, query, page, sortable=sortable, default_sort=default_sort
    )
    return rows, total


def paginate_counted(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    *,
    sortable: dict[str, Any],
    default_sort: str,
    count_limit: int | None = None,
) -> tuple[list[Any], int, bool]:
    """:func:`paginate`, counting the matching rows only up to ``count_limit`` (or the end of
    the page, if further) when it is given: ``(rows, total, exact)``; when ``exact`` is
    ``False`` there are more than ``total`` rows, and ``total`` is past the page's end."""
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
    counted = query.order_by(None)
    bound = None if count_limit is None else max(count_limit, page.offset + page.limit + 1)
    if bound is not None:
        # Only whether rows exist matters: no columns, so an index alone can answer.
        counted = counted.with_only_columns(literal(1), maintain_column_froms=True)
        counted = counted.limit(bound + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    exact = bound is None or total <= bound
    ties = [key.desc() if descending else key.asc() for key in _tiebreak(query)]
    ordered = query.order_by(column.desc() if descending else column.asc(), *ties)
    rows = session.execute(ordered.limit(page.limit).offset(page.offset)).scalars().all()
    return list(rows), (total if exact or bound is None else bound), exact


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
