"""Detection over the database: ``python bench/signals.py [--series 500] [--weeks 4]``.

Stores ``--series`` synthetic weekly series (every first-level area of the seeded countries, and
every disease in turn, eight years each: 2019-W01 to 2026-W46) in a fresh SQLite database
(migrated, reference data seeded), then times
:func:`healthbridge.surveillance.signals.detect_series` over all of them with noufaily and EARS
C3 on the last ``--weeks`` weeks (committed once), and a rerun (every signal updated). Prints the
seconds of each stage, the series per second and the signals stored.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select

from healthbridge import flows, migrate
from healthbridge.db import make_engine, make_session_factory, unit_of_work, utcnow
from healthbridge.geography.models import Subdivision
from healthbridge.interop.isoweek import IsoWeek, weeks_between
from healthbridge.policy import operator_principal
from healthbridge.surveillance import signals
from healthbridge.surveillance.models import Disease, Signal, WeeklyCount


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=4)
    args = parser.parse_args(argv)
    actor = operator_principal("bench")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            flows.seed_reference_data(session=session, actor=actor)
            areas = session.execute(select(Subdivision.code, Subdivision.country_code)).all()
            diseases = list(session.scalars(select(Disease.code)))
        weeks = list(weeks_between(IsoWeek(2019, 1), IsoWeek(2026, 46)))
        rng = np.random.default_rng(4)
        phase = 2 * np.pi * np.arange(len(weeks)) / 52.18
        started = time.perf_counter()
        now = utcnow()
        with unit_of_work(factory) as session:
            for i in range(args.series):
                area, country = areas[i % len(areas)]
                disease = diseases[(i // len(areas)) % len(diseases)]
                counts = rng.poisson(rng.uniform(2, 60) * np.exp(0.6 * np.cos(phase)))
                session.execute(
                    insert(WeeklyCount),
                    [
                        {
                            "country_code": country,
                            "area_code": area,
                            "disease_code": disease,
                            "week": str(w),
                            "week_start": w.monday,
                            "cases": int(c),
                            "source": "aggregate",
                            "reported_at": now,
                            "updated_at": now,
                        }
                        for w, c in zip(weeks, counts, strict=True)
                    ],
                )
        print(
            f"stored {args.series} series x {len(weeks)} weeks: "
            f"{time.perf_counter() - started:.1f} s"
        )
        for label in ("detect", "rerun"):
            started = time.perf_counter()
            with unit_of_work(factory) as session:
                summary = signals.detect_series(
                    session=session,
                    actor=actor,
                    methods=["noufaily", "ears-c3"],
                    weeks=args.weeks,
                )
            seconds = time.perf_counter() - started
            print(
                f"{label}: {seconds:.2f} s ({summary.series / seconds:.0f} series/s), "
                f"{summary.alarms} alarms, {summary.created} created, {summary.updated} updated"
            )
        with factory() as session:
            print(f"signals stored: {session.scalar(select(func.count()).select_from(Signal))}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
