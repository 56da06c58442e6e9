"""Pagination on both databases: rows equal in the sorted column keep one order across pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.geography.models import Subdivision
from healthbridge.paging import PageRequest, paginate


def test_pages_sorted_by_a_shared_value_neither_repeat_nor_skip_a_row(session: Session) -> None:
    """Subdivisions sorted by country: dozens share each value, yet walking the pages in both
    directions visits every subdivision exactly once."""
    query = select(Subdivision).where(Subdivision.country_code.in_(["IDN", "THA", "VNM"]))
    expected = set(session.scalars(query.with_only_columns(Subdivision.code)))
    assert len(expected) > 100
    for sort in ("country", "-country"):
        seen: list[str] = []
        offset = 0
        while True:
            rows, total = paginate(
                session,
                query,
                PageRequest(limit=7, offset=offset, sort=sort),
                sortable={"country": Subdivision.country_code},
                default_sort="country",
            )
            if not rows:
                break
            seen.extend(row.code for row in rows)
            offset += 7
        assert total == len(expected)
        assert len(seen) == len(set(seen)) and set(seen) == expected
