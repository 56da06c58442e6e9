"""A database the size of the region for the load test — ``python bench/generate.py``.

    HEALTHBRIDGE_DATABASE_URL=postgresql://.../hb_load python bench/generate.py \
        --cases 10000000 --years 5 --diseases 25 --tokens /tmp/load-tokens.json

Migrates the (empty) database of ``HEALTHBRIDGE_DATABASE_URL`` (default: an SQLite file
``hb-load.sqlite3`` here), seeds the reference data, then writes:

- weekly counts for every subdivision of the 14 countries, ``--diseases`` diseases and
  ``--years`` years of weeks (seasonal Poisson counts, reproducible);
- ``--cases`` case reports spread over the countries in proportion to their population order,
  the diseases and the weeks;
- one open event per country, and the load test's accounts — for each country an
  epidemiologist (reads its cases), an EOC officer, a focal point, and a regional EOC officer and
  a viewer — with an API token each, written to ``--tokens`` (JSON) for ``bench/load.py``.

PostgreSQL is filled with ``COPY`` (10 million cases in a few minutes), SQLite with batched
inserts. Rows are generated and written a batch at a time: memory stays flat.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select

from healthbridge import flows, migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.eoc import service as eoc
from healthbridge.geography.models import Country, Subdivision
from healthbridge.policy import Role, operator_principal
from healthbridge.surveillance.models import CaseReport, Disease, WeeklyCount

BATCH = 50_000
PASSWORD = "seasonal poisson counts, bench only"
#: The countries' weights for case reports (roughly their populations, in millions).
WEIGHTS = {
    "IDN": 278, "PHL": 117, "VNM": 99, "THA": 72, "MMR": 54, "MYS": 34, "KHM": 17, "LAO": 8,
    "SGP": 6, "TLS": 1.4, "BRN": 0.5, "KOR": 52, "CHN": 1410, "JPN": 124,
}  # fmt: skip


def _mondays(years: int, last: dt.date) -> list[dt.date]:
    monday = last - dt.timedelta(days=last.weekday())
    return [monday - dt.timedelta(weeks=w) for w in range(years * 52)][::-1]


def _week(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def _write(
    engine: Engine, table: Any, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    """Write ``rows`` (tuples in ``columns`` order) a batch at a time; the number written."""
    written = 0
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            driver: Any = connection.connection.driver_connection
            with driver.cursor() as cursor:
                statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
                with cursor.copy(statement) as stream:
                    for row in rows:
                        stream.write_row(row)
                        written += 1
                        if written % 1_000_000 == 0:
                            print(f"  {table.name}: {written:,}", file=sys.stderr)
        return written
    batch: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) >= BATCH:
                connection.execute(insert(table), batch)
                written += len(batch)
                batch = []
        if batch:
            connection.execute(insert(table), batch)
            written += len(batch)
    return written


def weekly_rows(
    areas: dict[str, list[str]], diseases: list[str], mondays: list[dt.date], seed: int
) -> Iterator[tuple[Any, ...]]:
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC)
    phase = 2 * math.pi * np.arange(len(mondays)) / 52.18
    weeks = [_week(m) for m in mondays]
    for country, codes in areas.items():
        for area in codes:
            for disease in diseases:
                mean = rng.uniform(0.5, 40.0)
                counts = rng.poisson(mean * np.exp(0.6 * np.cos(phase + rng.uniform(0, 6.3))))
                for i, monday in enumerate(mondays):
                    yield (
                        country, area, disease, weeks[i], monday, int(counts[i]), None,
                        "aggregate", now, now,
                    )  # fmt: skip


def case_rows(
    total: int, countries: list[str], areas: dict[str, list[str]], diseases: list[str],
    mondays: list[dt.date], seed: int,
) -> Iterator[tuple[Any, ...]]:  # fmt: skip
    rng = np.random.default_rng(seed)
    weights = np.array([WEIGHTS.get(c, 1.0) for c in countries])
    weights = weights / weights.sum()
    now = dt.datetime.now(dt.UTC)
    weeks = [_week(m) for m in mondays]
    classes = ("suspected", "probable", "confirmed")
    sexes = ("female", "male", "unknown")
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        which = rng.choice(len(countries), size=size, p=weights)
        week = rng.integers(0, len(mondays), size=size)
        disease = rng.integers(0, len(diseases), size=size)
        day = rng.integers(0, 7, size=size)
        pick = rng.random(size=size)
        for j in range(size):
            country = countries[which[j]]
            options = areas[country]
            area = options[int(pick[j] * len(options))] if options else None
            monday = mondays[week[j]]
            report = monday + dt.timedelta(days=int(day[j]))
            n = done + j
            yield (
                country, f"LD-{n:09d}", diseases[disease[j]], classes[n % 3],
                monday, report, None, area, None, sexes[n % 3], None, None, None, None,
                weeks[week[j]], monday, "csv", None, f"{n:032x}", now, now,
            )  # fmt: skip
        done += size


CASE_COLUMNS = (
    "country_code", "case_id", "disease_code", "classification", "onset_date", "report_date",
    "notification_date", "area_code", "age_group", "sex", "outcome", "hospitalised",
    "travelled", "travel_countries", "week", "week_start", "source_format", "batch_id",
    "content_hash", "created_at", "updated_at",
)  # fmt: skip
WEEKLY_COLUMNS = (
    "country_code", "area_code", "disease_code", "week", "week_start", "cases", "deaths",
    "source", "reported_at", "updated_at",
)  # fmt: skip


def _token_of_new_account(session: Any, role: Role, country: str | None) -> str:
    """A load-test account of ``role`` (of ``country``, or the region) and its API token."""
    scope = country.lower() if country else "region"
    user = accounts.create_user(
        session=session,
        actor=operator_principal("bench"),
        user_in=UserCreate(
            email=f"{role.value}.{scope}@load.example.org",
            full_name=f"Load {role.value} {country or 'region'}",
            role=role,
            country=country,
            password=PASSWORD,
        ),
    )
    _, secret = accounts.issue_token(
        session=session, user=user, kind="api", name="load", expires_at=None
    )
    return secret


def accounts_and_events(
    engine: Engine, countries: list[str], diseases: list[str]
) -> dict[str, Any]:
    """The load test's accounts (a token each) and an open event per country."""
    factory = make_session_factory(engine)
    tokens: dict[str, Any] = {"countries": {}, "regional": {}}
    with unit_of_work(factory) as session:
        for country in countries:
            tokens["countries"][country] = {
                role.value: _token_of_new_account(session, role, country)
                for role in (Role.EPIDEMIOLOGIST, Role.EOC_OFFICER, Role.FOCAL_POINT)
            }
        for role in (Role.EOC_OFFICER, Role.VIEWER):
            tokens["regional"][role.value] = _token_of_new_account(session, role, None)
    events: dict[str, int] = {}
    with unit_of_work(factory) as session:
        for country in countries:
            officer, _ = accounts.resolve_token(
                session=session, secret=tokens["countries"][country]["eoc_officer"]
            )
            event = eoc.create_event(
                session=session,
                actor=officer,
                new=eoc.NewEvent(
                    country=country,
                    title=f"Load test event {country}",
                    disease=diseases[0],
                    hazard=None,
                    summary=None,
                    areas=(),
                    signal_id=None,
                ),
            )
            events[country] = event.id
    tokens["events"] = events
    return tokens


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--diseases", type=int, default=25)
    parser.add_argument("--areas-per-country", type=int, default=0, help="0: every subdivision")
    parser.add_argument("--tokens", type=Path, default=Path("load-tokens.json"))
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    url = os.environ.get("HEALTHBRIDGE_DATABASE_URL") or "sqlite:///hb-load.sqlite3"
    engine = make_engine(url)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        flows.seed_reference_data(session=session)
        countries = list(session.scalars(select(Country.code).order_by(Country.code)))
        diseases = list(session.scalars(select(Disease.code).order_by(Disease.code)))
        diseases = (diseases * math.ceil(args.diseases / len(diseases)))[: args.diseases]
        diseases = sorted(set(diseases))
        areas: dict[str, list[str]] = {c: [] for c in countries}
        for code, country in session.execute(
            select(Subdivision.code, Subdivision.country_code).order_by(Subdivision.code)
        ):
            areas[country].append(code)
    if args.areas_per_country:
        areas = {c: a[: args.areas_per_country] for c, a in areas.items()}
    mondays = _mondays(args.years, dt.datetime.now(dt.UTC).date() - dt.timedelta(days=7))
    started = time.perf_counter()
    weekly = _write(
        engine, WeeklyCount.__table__, WEEKLY_COLUMNS,
        weekly_rows(areas, diseases, mondays, args.seed),
    )  # fmt: skip
    print(f"{weekly:,} weekly counts in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    written = _write(
        engine, CaseReport.__table__, CASE_COLUMNS,
        case_rows(args.cases, countries, areas, diseases, mondays, args.seed),
    )  # fmt: skip
    print(f"{written:,} case reports in {time.perf_counter() - started:.0f} s")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    tokens = accounts_and_events(engine, countries, diseases)
    args.tokens.write_text(json.dumps(tokens, indent=1))
    print(f"accounts and tokens for bench/load.py: {args.tokens}")
    engine.dispose()


if __name__ == "__main__":
    main()
