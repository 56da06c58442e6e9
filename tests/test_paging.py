"""Pagination on both databases: rows equal in the sorted column keep one order across pages;
bounded counts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.geography.models import Subdivision
from healthbridge.paging import PageRequest, paginate, paginate_counted


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


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(1, 60),
    offset=st.integers(0, 200),
    count_limit=st.integers(1, 200),
    country=st.sampled_from(["BRN", "THA", "IDN"]),
)
def test_a_bounded_count_is_exact_up_to_its_bound_and_a_lower_bound_past_it(
    session: Session, limit: int, offset: int, count_limit: int, country: str
) -> None:
    """Lists of millions of rows count only so far: within the bound the total is exact; past it
    the list says so, and its total is past the page's end, so that a next page is offered."""
    query = select(Subdivision).where(Subdivision.country_code == country)
    matching = len(session.scalars(query).all())
    page = PageRequest(limit=limit, offset=offset, sort="code")
    rows, total, exact = paginate_counted(
        session,
        query,
        page,
        sortable={"code": Subdivision.code},
        default_sort="code",
        count_limit=count_limit,
    )
    bound = max(count_limit, offset + limit + 1)
    assert exact == (matching <= bound)
    assert total == (matching if exact else bound)
    assert total > offset + limit or exact  # more rows than shown: "next" is still linked
    assert len(rows) == max(0, min(limit, matching - offset))
    unbounded, exact_total = paginate(
        session, query, page, sortable={"code": Subdivision.code}, default_sort="code"
    )
    assert exact_total == matching and [r.code for r in unbounded] == [r.code for r in rows]
