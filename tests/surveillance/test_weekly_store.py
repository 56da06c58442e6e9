"""The store behind every weekly-count import, on both databases: PostgreSQL's ``COPY`` path
gives the same report, audit entry and stored rows as the batched ``INSERT``/``UPDATE`` path of
SQLite, and a failing row leaves nothing stored on either."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Conflict
from healthbridge.interop.isoweek import parse_week
from healthbridge.interop.weekly_csv import WeeklyRow
from healthbridge.policy import Principal
from healthbridge.surveillance import weekly_import
from healthbridge.surveillance.models import WeeklyCount

AREAS = ("TH-10", "TH-50", None)
WEEKS = ("2023-W50", "2023-W51", "2023-W52", "2024-W01")
#: ``(area, week)`` → ``(cases, deaths, reported_at, updated_at)``, the stamps as the rank of
#: the import that stored or last changed the count (0 or 1), whatever the disease.
Snapshot = dict[tuple[str | None, str], tuple[int, int | None, int, int]]


def rows(disease: str, values: dict[tuple[str | None, str], tuple[int, int | None]]) -> list[Any]:
    return [
        WeeklyRow(n, "THA", area, disease, parse_week(week), cases, deaths)
        for n, ((area, week), (cases, deaths)) in enumerate(sorted(values.items(), key=str), 2)
    ]


def first_counts() -> dict[tuple[str | None, str], tuple[int, int | None]]:
    return {(a, w): (10 + i, i % 3 if i % 4 else None) for i, (a, w) in enumerate(_keys(WEEKS))}


def second_counts() -> dict[tuple[str | None, str], tuple[int, int | None]]:
    """Unchanged, changed (cases, deaths cleared, deaths given) and new counts."""
    counts = first_counts()
    for i, key in enumerate(sorted(counts, key=str)):
        cases, deaths = counts[key]
        if i % 4 == 1:
            counts[key] = (cases + 5, deaths)
        elif i % 4 == 2:
            counts[key] = (cases, None if deaths is not None else 7)
    counts.update({(a, w): (3, 0) for a, w in _keys(("2024-W02", "2024-W03"))})
    return counts


def _keys(weeks: tuple[str, ...]) -> list[tuple[str | None, str]]:
    return [(a, w) for a in AREAS for w in weeks]


def run(
    factory: sessionmaker[Session], actor: Principal, counts: list[Any]
) -> weekly_import.WeeklyImportReport:
    with unit_of_work(factory) as session:
        return weekly_import.import_weekly_rows(
            session=session, actor=actor, rows=counts, filename="counts.csv", format="csv"
        )


def snapshot(factory: sessionmaker[Session], disease: str) -> Snapshot:
    with factory() as session:
        found = list(
            session.scalars(select(WeeklyCount).where(WeeklyCount.disease_code == disease))
        )
    moments = sorted({c.reported_at for c in found} | {c.updated_at for c in found})
    return {
        (c.area_code, c.week): (
            c.cases,
            c.deaths,
            moments.index(c.reported_at),
            moments.index(c.updated_at),
        )
        for c in found
    }


def audit_counts(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with factory() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "weekly_counts.import")
            .order_by(AuditEntry.id)
        )
        return [
            tuple(e.detail[k] for k in ("rows", "created", "updated", "unchanged")) for e in entries
        ]


def test_copy_and_batched_writes_give_the_same_report_and_rows(
    session_factory: sessionmaker[Session],
    operator: Principal,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copies: list[int] = []
    merge = weekly_import._merge_with_copy

    def counted(session: Session, new: Any, changed: Any, **kwargs: Any) -> None:
        copies.append(len(new) + len(changed))
        merge(session, new, changed, **kwargs)

    monkeypatch.setattr(weekly_import, "_merge_with_copy", counted)
    monkeypatch.setattr(weekly_import, "BATCH_SIZE", 5)  # several COPY and INSERT batches
    reports = {}
    for copy, disease in ((False, "dengue"), (True, "measles")):
        monkeypatch.setattr(weekly_import, "COPY_ON_POSTGRESQL", copy)
        run(session_factory, operator, rows(disease, first_counts()))
        report = run(session_factory, operator, rows(disease, second_counts()))
        reports[copy] = (report.rows, report.created, report.updated, report.unchanged)
    assert reports[False] == reports[True] == (18, 6, 6, 6)
    assert snapshot(session_factory, "dengue") == snapshot(session_factory, "measles")
    stored = snapshot(session_factory, "measles")
    assert {k: v[:2] for k, v in stored.items()} == second_counts()
    # Unchanged counts keep their first stamp; changed ones take the second; new ones both.
    assert sorted({v[2:] for v in stored.values()}) == [(0, 0), (0, 1), (1, 1)]
    first, second = audit_counts(session_factory)[1::2]
    assert first == second == (18, 6, 6, 6)
    assert copies == ([12, 12] if backend == "postgresql" else [])


def test_a_failing_row_leaves_nothing_stored(
    session_factory: sessionmaker[Session],
    operator: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(weekly_import, "BATCH_SIZE", 2)  # the good rows go first, in batches
    run(session_factory, operator, rows("dengue", first_counts()))
    before = snapshot(session_factory, "dengue")
    good = rows("dengue", second_counts())
    bad = WeeklyRow(99, "THA", "TH-10", "dengue", parse_week("2024-W09"), 1, -1)
    with pytest.raises(Conflict, match="nothing was imported"):
        run(session_factory, operator, [*good, bad])
    assert snapshot(session_factory, "dengue") == before
    assert len(audit_counts(session_factory)) == 1


def test_a_changed_count_gone_meanwhile_is_a_conflict_on_postgresql(
    session_factory: sessionmaker[Session],
    operator: Principal,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    run(session_factory, operator, rows("dengue", first_counts()))
    before = snapshot(session_factory, "dengue")
    # As if another transaction had deleted a stored count after this import looked it up.
    monkeypatch.setattr(
        weekly_import,
        "_stored",
        lambda *_args: {("THA", "TH-10", "dengue", "2023-W50"): (2**31 - 1, 0, None)},
    )
    counts = [WeeklyRow(2, "THA", "TH-10", "dengue", parse_week("2023-W50"), 4, 0)]
    with pytest.raises(Conflict, match="another import"):
        run(session_factory, operator, counts)
    assert snapshot(session_factory, "dengue") == before
