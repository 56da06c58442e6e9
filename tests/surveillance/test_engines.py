"""The detection engines: the kernels cut into partitions of series give what the whole block
gives (every method: the same alarms, bounds to the last bits), and ``detect --all`` on a Dask
``LocalCluster`` stores exactly the signals of the local engine — for the usual last weeks and
for a backfill of three years."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from tests.surveillance.signal_arrange import (
    FIRST,
    LAST,
    SeriesKey,
    seasonal,
    store,
    weeks,
    with_outbreak,
)
from typer.testing import CliRunner

from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal
from healthbridge.settings import get_settings
from healthbridge.surveillance import engines, signals
from healthbridge.surveillance.models import Signal

distributed = pytest.importorskip("distributed")

METHODS = ("ears-c1", "ears-c2", "ears-c3", "farrington", "noufaily", "cusum")
SERIES = [
    SeriesKey("THA", "TH-10", "dengue"),
    SeriesKey("THA", "TH-50", "dengue"),
    SeriesKey("THA", None, "dengue"),
    SeriesKey("VNM", "VN-SG", "dengue"),
    SeriesKey("VNM", None, "measles"),
    SeriesKey("PHL", None, "measles"),
    SeriesKey("PHL", None, "dengue"),
]


def _outputs_agree(a: signals.DetectionOutput, b: signals.DetectionOutput) -> None:
    """The same alarms; bounds equal but for the last bits of batched linear algebra."""
    np.testing.assert_array_equal(a.alarm, b.alarm)
    np.testing.assert_allclose(a.upperbound, b.upperbound, rtol=1e-12, atol=0)
    assert (a.expected is None) == (b.expected is None)
    if a.expected is not None and b.expected is not None:
        np.testing.assert_allclose(a.expected, b.expected, rtol=1e-12, atol=0)


@settings(max_examples=12, deadline=None)
@given(
    method=st.sampled_from(METHODS),
    rows=st.integers(1, 6),
    size=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_partitions_of_series_agree_with_the_whole_block(
    method: str, rows: int, size: int, seed: int
) -> None:
    n = 5 * 52 + 10  # enough history for every method's preset
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(0.5, 30, size=(rows, 1)), size=(rows, n)).astype(float)
    counts[rng.random((rows, n)) < 0.05] = np.nan  # missing weeks
    monitor = np.arange(n - 6, n, dtype=np.int64)
    dates = [dt.date(2019, 1, 7) + dt.timedelta(weeks=i) for i in range(n)]
    whole = signals.run_method(method, counts, monitor=monitor, dates=dates)
    parts = [
        signals.run_method(method, counts[a:b], monitor=monitor, dates=dates)
        for a, b in engines.partitions(rows, size)
    ]
    _outputs_agree(engines.combine(parts), whole)


@given(rows=st.integers(0, 50), size=st.integers(1, 20))
def test_partitions_cover_the_rows_once_in_order(rows: int, size: int) -> None:
    ranges = engines.partitions(rows, size)
    assert [i for a, b in ranges for i in range(a, b)] == list(range(rows))
    assert all(0 < b - a <= size for a, b in ranges)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as running:
        yield running


def _arrange(session_factory: sessionmaker[Session]) -> None:
    n = len(weeks())
    with unit_of_work(session_factory) as session:
        for seed, key in enumerate(SERIES):
            counts = seasonal(n, seed=seed, mean=5.0 + 4 * seed)
            if seed % 3 == 0:
                counts = with_outbreak(counts, last=3 + seed)
            # Series starting at different weeks: several blocks per method.
            start = 0 if seed % 2 else 40 * seed
            store(session, key, counts[start:], first=FIRST.plus(start))


def _signals(session_factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with session_factory() as session:
        rows = session.execute(
            select(
                Signal.method,
                Signal.country_code,
                Signal.area_code,
                Signal.disease_code,
                Signal.week,
                Signal.observed,
                Signal.expected,
                Signal.upperbound,
                Signal.score,
            )
        ).all()
    return sorted((tuple(r) for r in rows), key=repr)


@pytest.mark.parametrize("weeks_back", [8, 156], ids=["last-weeks", "backfill-3-years"])
def test_detect_all_on_a_dask_cluster_stores_the_local_engines_signals(
    cluster: Any,
    session_factory: sessionmaker[Session],
    operator: Principal,
    weeks_back: int,
) -> None:
    _arrange(session_factory)
    methods = ("noufaily", "ears-c3", "cusum")

    def detect(engine: engines.Engine) -> list[tuple[Any, ...]]:
        with unit_of_work(session_factory) as session:
            session.execute(delete(Signal))
        with unit_of_work(session_factory) as session:
            summary = signals.detect_series(
                session=session,
                actor=operator,
                methods=methods,
                weeks=weeks_back,
                until=LAST,
                engine=engine,
                max_weeks=signals.MAX_BACKFILL_WEEKS,
            )
        assert summary.series == len(SERIES)
        return _signals(session_factory)

    local = detect(engines.LocalEngine(partition_size=2))
    dask = engines.DaskEngine(cluster.scheduler_address, partition_size=2)
    try:
        assert dask.address == cluster.scheduler_address
        on_cluster = detect(dask)
    finally:
        dask.close()
    assert len(local) > 10  # the outbreaks are found: the comparison is not of two empty sets
    assert {row[0] for row in local} == set(methods)
    assert on_cluster == local


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(engines.EngineUnavailable, match="cannot reach the Dask scheduler"):
        engines.DaskEngine("tcp://127.0.0.1:9", timeout=1)


def test_the_api_keeps_its_limit_and_a_backfill_has_its_own(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        with pytest.raises(signals.Invalid, match=f"1..{signals.MAX_WEEKS}"):
            signals.detect_series(session=session, actor=operator, weeks=signals.MAX_WEEKS + 1)
        with pytest.raises(signals.Invalid, match=f"1..{signals.MAX_BACKFILL_WEEKS}"):
            signals.detect_series(
                session=session,
                actor=operator,
                weeks=signals.MAX_BACKFILL_WEEKS + 1,
                max_weeks=10_000,
            )


@pytest.fixture
def on_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("on_database")
def test_the_command_runs_on_a_cluster(
    cluster: Any, session_factory: sessionmaker[Session]
) -> None:
    _arrange(session_factory)
    runner = CliRunner()
    args = ["detect", "--all", "--method", "ears-c3", "--weeks", "20", "--engine", "dask"]
    done = runner.invoke(app, [*args, "--scheduler", cluster.scheduler_address])
    assert done.exit_code == 0, done.output
    assert f"ears-c3 over {len(SERIES)} series" in " ".join(done.stdout.split())
    assert _signals(session_factory)
    wrong = runner.invoke(app, [*args[:-2], "--scheduler", cluster.scheduler_address])
    assert wrong.exit_code == 1
    assert "--scheduler and --workers apply to --engine dask only" in wrong.stderr
    unknown = runner.invoke(app, [*args[:-1], "spark"])
    assert unknown.exit_code == 1 and "unknown --engine 'spark'" in unknown.stderr
