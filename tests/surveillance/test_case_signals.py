"""Case reports feed the early warning: an import rolls them up and runs detection on the
rolled-up series in the same transaction, so an outbreak in the cases comes back as signals."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import cases
from healthbridge.surveillance.models import SOURCE_CASE_ROLLUP, Signal

THAI_EPI = Principal(email="epi.tha@example.org", role=Role.EPIDEMIOLOGIST, country="THA")
FIRST_MONDAY = dt.date(2019, 1, 7)  # 2019-W02
WEEKS = 6 * 52 + 10
OUTBREAK_WEEKS = 2


def case_file() -> bytes:
    """Six years of a few dengue cases a week in Bangkok, then two weeks of many."""
    rng = np.random.default_rng(7)
    lines = ["country,case_id,disease,classification,report_date,area"]
    number = 0
    for week in range(WEEKS):
        count = int(rng.poisson(4)) + (40 if week >= WEEKS - OUTBREAK_WEEKS else 0)
        day = FIRST_MONDAY + dt.timedelta(weeks=week, days=2)
        for _ in range(count):
            number += 1
            lines.append(f"THA,C{number:06d},dengue,confirmed,{day.isoformat()},TH-10")
    return ("\n".join(lines) + "\n").encode()


def test_an_outbreak_in_the_cases_comes_back_as_signals_once(
    session_factory: sessionmaker[Session],
) -> None:
    data = case_file()
    with unit_of_work(session_factory) as session:
        report = cases.import_case_file(
            session=session, actor=THAI_EPI, data=data, filename="cases.csv"
        )
    with session_factory() as session:
        found = session.scalars(select(Signal).order_by(Signal.week)).all()
        # The outbreak's weeks alarm in both the area's series and the national one.
        assert {(s.area_code, s.source, s.method) for s in found} == {
            ("TH-10", SOURCE_CASE_ROLLUP, "noufaily"),
            (None, SOURCE_CASE_ROLLUP, "noufaily"),
        }
        last_monday = FIRST_MONDAY + dt.timedelta(weeks=WEEKS - 1)
        assert max(s.week_start for s in found) == last_monday
        assert all(s.observed >= 40 and s.upperbound is not None for s in found)
        stored = len(found)
    assert report.signals_created == stored > 0
    with unit_of_work(session_factory) as session:
        again = cases.import_case_file(
            session=session, actor=THAI_EPI, data=data, filename="cases.csv"
        )
    # Nothing changed in the cases: no rollup changed, so no detection ran and nothing doubled.
    assert (again.cases_unchanged, again.signals_created) == (report.cases_created, 0)
    with session_factory() as session:
        assert len(session.scalars(select(Signal)).all()) == stored
