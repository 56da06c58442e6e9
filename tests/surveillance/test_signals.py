"""Signals on both databases: detection over the stored counts gives the kernels' numbers, reruns
dedupe and keep the triage, short series are skipped, the queue filters and sorts, triage is
country-scoped and audited, and a series' threshold is the method recomputed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.surveillance.signal_arrange import (
    DENGUE_TH10,
    DENGUE_VN_SG,
    FIRST,
    LAST,
    MEASLES_PHL,
    as_array,
    seasonal,
    store,
    weeks,
    with_outbreak,
)

from healthbridge.analytics.detection.cusum import cusum
from healthbridge.analytics.detection.methods import METHODS
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden, Invalid, NotFound
from healthbridge.interop.isoweek import IsoWeek
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import signal_queue, signals, weekly_import
from healthbridge.surveillance.models import Signal
from healthbridge.surveillance.signals import SeriesKey

THAI_EOC = Principal(email="eoc.tha@example.org", role=Role.EOC_OFFICER, country="THA")
VIET_EOC = Principal(email="eoc.vnm@example.org", role=Role.EOC_OFFICER, country="VNM")
THAI_VIEWER = Principal(email="viewer.tha@example.org", role=Role.VIEWER, country="THA")
N = len(weeks())
OUTBREAK = with_outbreak(seasonal(N, seed=1), last=2, size=150)


@pytest.fixture
def loaded(session_factory: sessionmaker[Session]) -> None:
    """Dengue in TH-10 with an outbreak in its last two weeks, a quiet Viet Nam series, and a
    Philippine national series of one year only (too short for noufaily)."""
    with unit_of_work(session_factory) as session:
        store(session, DENGUE_TH10, OUTBREAK)
        store(session, DENGUE_VN_SG, with_outbreak(seasonal(N, seed=2), last=1, size=120))
        store(session, MEASLES_PHL, seasonal(52, seed=3), first=IsoWeek(2024, 1))


def detect(
    factory: sessionmaker[Session], actor: Principal, **kwargs: object
) -> signals.DetectionSummary:
    with unit_of_work(factory) as session:
        return signals.detect_series(session=session, actor=actor, **kwargs)  # type: ignore[arg-type]


def stored_signals(factory: sessionmaker[Session]) -> list[Signal]:
    with factory() as session:
        found = session.scalars(select(Signal).order_by(Signal.id)).all()
        session.expunge_all()
        return list(found)


def monday(week: IsoWeek) -> dt.date:
    return week.monday


@pytest.mark.usefixtures("loaded")
def test_an_outbreak_yields_signals_with_the_kernels_numbers(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    summary = detect(session_factory, operator, methods=["noufaily", "ears-c3"])
    assert summary.weeks == ["2024-W49", "2024-W50", "2024-W51", "2024-W52"]
    assert summary.series == 3
    assert summary.skipped == {"noufaily": 1, "ears-c3": 0}  # PHL has one year only
    found = [s for s in stored_signals(session_factory) if s.country_code == "THA"]
    by_method = {(s.method, s.week) for s in found}
    assert {("noufaily", "2024-W51"), ("noufaily", "2024-W52")} <= by_method
    assert summary.created == summary.alarms == len(stored_signals(session_factory))

    # The kernel called on the series alone gives the same figures.
    counts = as_array(OUTBREAK)[np.newaxis, :]
    dates = np.array([w.monday for w in weeks()], dtype="datetime64[D]")
    monitor = np.arange(N - 4, N)
    kernel = METHODS["noufaily"].run(counts, monitor=monitor, dates=dates)
    assert kernel.expected is not None
    for s in found:
        if s.method != "noufaily":
            continue
        t = weeks().index(IsoWeek(int(s.week[:4]), int(s.week[-2:])))
        assert kernel.alarm[0, t]
        assert s.observed == OUTBREAK[t]
        assert s.upperbound == pytest.approx(kernel.upperbound[0, t], rel=1e-12)
        assert s.expected == pytest.approx(kernel.expected[0, t], rel=1e-12)
        assert s.score == pytest.approx(
            (s.observed - s.expected) / (s.upperbound - s.expected), rel=1e-12
        )
        assert s.score > 1 and s.status == "new" and s.area_code == "TH-10"
    assert int(kernel.alarm[0, monitor].sum()) == len([s for s in found if s.method == "noufaily"])
    ears = METHODS["ears-c3"].run(counts, monitor=monitor)
    assert int(ears.alarm[0, monitor].sum()) == len([s for s in found if s.method == "ears-c3"])
    for s in found:
        if s.method == "ears-c3":
            assert s.expected is None
            assert s.score == pytest.approx(s.observed / s.upperbound)


@pytest.mark.usefixtures("loaded")
def test_cusum_runs_against_the_mean_of_the_weeks_before(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    detect(session_factory, operator, methods=["cusum"], keys=[DENGUE_TH10])
    found = stored_signals(session_factory)
    counts = as_array(OUTBREAK)
    monitor = np.arange(N - 4, N)
    mean = counts[N - 4 - signals.CUSUM_BASELINE_WEEKS : N - 4].mean()
    kernel = cusum(counts, monitor=monitor, m=mean)
    assert [s.week for s in found] == [str(weeks()[t]) for t in monitor if kernel.alarm[t]]
    assert found and all(s.method == "cusum" and s.expected is None for s in found)
    assert found[-1].upperbound == kernel.upperbound[-1]


@pytest.mark.usefixtures("loaded")
def test_a_rerun_dedupes_and_keeps_the_triage(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    first = detect(session_factory, operator, methods=["noufaily"])
    before = stored_signals(session_factory)
    assert first.created == len(before) > 0
    with unit_of_work(session_factory) as session:
        signal_queue.triage_signal(
            session=session, actor=THAI_EOC, signal_id=before[0].id, status="verify", note="Call"
        )
    again = detect(session_factory, operator, methods=["noufaily"])
    assert (again.created, again.updated) == (0, len(before))
    after = stored_signals(session_factory)
    assert [s.id for s in after] == [s.id for s in before]
    assert after[0].status == "verify" and after[0].triage_note == "Call"
    assert after[0].last_detected_at >= before[0].last_detected_at
    assert after[0].first_detected_at == before[0].first_detected_at
    assert after[0].upperbound == before[0].upperbound
    # A later week with the outbreak over: the old signals stay, nothing new for them.
    later = detect(session_factory, operator, methods=["noufaily"], until="2024-W40")
    assert later.weeks[-1] == "2024-W40"
    assert {s.id for s in stored_signals(session_factory)} >= {s.id for s in before}


@pytest.mark.usefixtures("loaded")
def test_runs_are_audited_and_scoped(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    summary = detect(session_factory, THAI_EOC, methods=["ears-c3", "noufaily"])
    assert summary.countries == ["THA"]  # a Thai officer's run covers Thailand only
    assert {s.country_code for s in stored_signals(session_factory)} == {"THA"}
    with pytest.raises(Forbidden):
        detect(session_factory, THAI_EOC, keys=[DENGUE_VN_SG])
    with pytest.raises(Forbidden):
        detect(session_factory, THAI_VIEWER)
    with session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signals.detect")
        ).all()
        assert len(entries) == 1
        assert entries[0].country_code == "THA"
        assert entries[0].detail["methods"] == ["ears-c3", "noufaily"]
        assert entries[0].detail["alarms"] == summary.alarms


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"methods": ["bogus"]}, "methods"),
        ({"methods": []}, "methods"),
        ({"weeks": 0}, "weeks"),
        ({"weeks": 500}, "weeks"),
        ({"until": "2024-W99"}, "until"),
        ({"until": "0001-W01"}, "until"),
        ({"until": IsoWeek(9999, 1)}, "until"),
        ({"keys": [SeriesKey("THA", None, "dengue", "rumour")]}, "source"),
    ],
)
def test_bad_arguments_are_invalid(
    session_factory: sessionmaker[Session],
    operator: Principal,
    kwargs: dict[str, object],
    field: str,
) -> None:
    with pytest.raises(Invalid) as caught:
        detect(session_factory, operator, **kwargs)
    assert caught.value.errors[0].field == field
    assert stored_signals(session_factory) == []


def test_an_empty_database_detects_nothing(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    summary = detect(session_factory, operator)
    assert (summary.series, summary.alarms, summary.weeks) == (0, 0, [])


def test_missing_weeks_are_missing_not_zero(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    counts: list[int | None] = list(seasonal(N, seed=5))
    for t in range(N - 30, N - 20):
        counts[t] = None  # ten weeks not reported, in EARS' baseline of the monitored weeks?
    counts[N - 1] = (counts[N - 1] or 0) + 300
    with unit_of_work(session_factory) as session:
        store(session, DENGUE_TH10, counts)
    detect(session_factory, operator, methods=["noufaily", "ears-c1"], weeks=1)
    kernel = METHODS["noufaily"].run(
        as_array(counts)[np.newaxis, :],
        monitor=[N - 1],
        dates=np.array([w.monday for w in weeks()], dtype="datetime64[D]"),
    )
    [noufaily] = [s for s in stored_signals(session_factory) if s.method == "noufaily"]
    assert noufaily.upperbound == pytest.approx(kernel.upperbound[0, N - 1], rel=1e-12)


def test_a_series_starting_later_is_run_from_its_first_count(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    short = with_outbreak(seasonal(N - 20, seed=7), last=1, size=150)
    with unit_of_work(session_factory) as session:
        store(session, DENGUE_TH10, OUTBREAK)
        store(session, DENGUE_VN_SG, short, first=FIRST.plus(20))
    detect(session_factory, operator, methods=["noufaily"], weeks=1, until=LAST)
    mondays = np.array([w.monday for w in weeks(FIRST.plus(20))], dtype="datetime64[D]")
    alone = METHODS["noufaily"].run(
        as_array(short)[np.newaxis, :], monitor=[len(short) - 1], dates=mondays
    )
    found = {s.country_code: s for s in stored_signals(session_factory)}
    assert alone.alarm[0, -1]
    assert found["VNM"].upperbound == pytest.approx(alone.upperbound[0, -1], rel=1e-12)


# --- the queue -----------------------------------------------------------------------------------


@pytest.fixture
def detected(loaded: None, session_factory: sessionmaker[Session], operator: Principal) -> None:
    detect(session_factory, operator, methods=["noufaily", "ears-c3"])


@pytest.mark.usefixtures("detected")
def test_lists_filter_and_sort(session: Session) -> None:
    everything, total = signal_queue.list_signals(
        session=session, actor=THAI_VIEWER, page=PageRequest(limit=500)
    )
    assert total == len(everything) > 0
    keys = [(s.week_start, s.score or -1e300) for s in everything]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1]), reverse=True)
    where = signal_queue.check_filter(country="vnm", method="ears-c3")
    rows, n = signal_queue.list_signals(
        session=session, actor=THAI_VIEWER, page=PageRequest(), where=where
    )
    assert n == len(rows) and {(s.country_code, s.method) for s in rows} <= {("VNM", "ears-c3")}
    by_score, _n = signal_queue.list_signals(
        session=session, actor=THAI_VIEWER, page=PageRequest(sort="-score", limit=2)
    )
    assert by_score[0].score == max(s.score or -1e300 for s in everything)
    high = signal_queue.check_filter(min_score=2.0, from_week="2024-W52", to_week="2024-W52")
    rows, _n = signal_queue.list_signals(
        session=session, actor=THAI_VIEWER, page=PageRequest(), where=high
    )
    assert all((s.score or 0) >= 2 and s.week == "2024-W52" for s in rows)
    with pytest.raises(Invalid):
        signal_queue.list_signals(session=session, actor=THAI_VIEWER, page=PageRequest(sort="x"))
    with pytest.raises(Invalid) as caught:
        signal_queue.check_filter(status="open", from_week="2024-W60", method="magic")
    assert [e.field for e in caught.value.errors] == ["status", "method", "from_week"]


@pytest.mark.usefixtures("detected")
def test_triage_is_scoped_audited_and_checked(
    session_factory: sessionmaker[Session],
) -> None:
    [thai, *_] = [s for s in stored_signals(session_factory) if s.country_code == "THA"]
    [viet, *_] = [s for s in stored_signals(session_factory) if s.country_code == "VNM"]
    with unit_of_work(session_factory) as session, pytest.raises(Forbidden):
        signal_queue.triage_signal(
            session=session, actor=THAI_EOC, signal_id=viet.id, status="verify"
        )
    with unit_of_work(session_factory) as session, pytest.raises(Forbidden):
        signal_queue.triage_signal(
            session=session, actor=THAI_VIEWER, signal_id=thai.id, status="verify"
        )
    with unit_of_work(session_factory) as session:
        with pytest.raises(Invalid):
            signal_queue.triage_signal(
                session=session, actor=THAI_EOC, signal_id=thai.id, status="closed"
            )
        with pytest.raises(NotFound):
            signal_queue.triage_signal(
                session=session, actor=THAI_EOC, signal_id=10**6, status="verify"
            )
    with unit_of_work(session_factory) as session:
        done = signal_queue.triage_signal(
            session=session, actor=THAI_EOC, signal_id=thai.id, status="monitor", note=" Watch "
        )
        assert done.triaged_by == THAI_EOC.actor_label
    with unit_of_work(session_factory) as session:
        signal_queue.triage_signal(
            session=session, actor=VIET_EOC, signal_id=viet.id, status="discarded"
        )
    with session_factory() as session:
        # Everyone reads every country's signals.
        assert signal_queue.get_signal(session=session, actor=THAI_VIEWER, signal_id=viet.id)
        again = signal_queue.get_signal(session=session, actor=THAI_VIEWER, signal_id=thai.id)
        assert (again.status, again.triage_note) == ("monitor", "Watch")
        assert again.triaged_at is not None
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signal.triage").order_by(AuditEntry.id)
        ).all()
        assert [(e.country_code, e.detail["from"], e.detail["to"]) for e in entries] == [
            ("THA", "new", "monitor"),
            ("VNM", "new", "discarded"),
        ]


@pytest.mark.usefixtures("detected")
def test_a_series_carries_the_threshold_over_every_shown_week(session: Session) -> None:
    series = signal_queue.signal_series(
        session=session,
        actor=THAI_VIEWER,
        country="THA",
        area="TH-10",
        disease="dengue",
        method="noufaily",
    )
    assert len(series.weeks) == signal_queue.DEFAULT_SHOWN_WEEKS
    assert series.weeks[-1] == "2024-W52"
    # Drawn wherever the series has the five years noufaily needs (2024 on, here).
    bounds = np.array([np.nan if u is None else u for u in series.upperbound])
    assert not np.isnan(bounds[-50:]).any() and np.isnan(bounds[0])
    assert all(e is not None for e in series.expected[-50:])
    assert series.alarm[-1] and series.alarm[-2]
    # Detection monitored the last four weeks only; the curve shows every week's alarm.
    alarmed = {w for w, a in zip(series.weeks, series.alarm, strict=True) if a}
    stored = {s.week for s in series.signals}
    assert {"2024-W51", "2024-W52"} <= stored <= alarmed
    assert stored == alarmed & {"2024-W49", "2024-W50", "2024-W51", "2024-W52"}
    counts = as_array(OUTBREAK)[np.newaxis, :]
    dates = np.array([w.monday for w in weeks()], dtype="datetime64[D]")
    kernel = METHODS["noufaily"].run(counts, monitor=np.arange(N - 104, N), dates=dates)
    np.testing.assert_allclose(bounds, kernel.upperbound[0, N - 104 :], rtol=1e-12)
    assert series.cases == OUTBREAK[N - 104 :]
    national = signal_queue.signal_series(
        session=session, actor=THAI_VIEWER, country="THA", disease="dengue", method="ears-c1"
    )
    assert national.weeks == []  # Thailand reported no national total
    with pytest.raises(Invalid):
        signal_queue.signal_series(
            session=session, actor=THAI_VIEWER, country="THA", disease="dengue", method="x"
        )
    with pytest.raises(Invalid) as caught:
        signal_queue.signal_series(
            session=session,
            actor=THAI_VIEWER,
            country="THA",
            disease="dengue",
            method="noufaily",
            from_week="0001-W01",
        )
    assert caught.value.errors[0].field == "from_week"


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_has_signals_of_its_outbreaks_and_loads_twice_without_doubling(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    from healthbridge.surveillance import demo

    with unit_of_work(session_factory) as session:
        report = demo.load_demo(session=session, actor=operator)
    assert (report.first_week, report.last_week) == ("2019-W01", "2026-W46")
    first = stored_signals(session_factory)
    keys = {(s.country_code, s.area_code, s.disease_code, s.method, s.week) for s in first}
    assert ("THA", "TH-10", "dengue", "noufaily", "2026-W46") in keys
    assert ("THA", "TH-10", "dengue", "noufaily", "2026-W45") in keys
    assert ("PHL", None, "measles", "noufaily", "2026-W46") in keys
    assert {s.week for s in first} <= {"2026-W43", "2026-W44", "2026-W45", "2026-W46"}
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    assert [s.id for s in stored_signals(session_factory)] == [s.id for s in first]


@pytest.mark.usefixtures("loaded")
def test_many_signals_go_in_batches(
    session_factory: sessionmaker[Session], operator: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthbridge.surveillance import signal_store

    monkeypatch.setattr(signal_store, "BATCH_SIZE", 2)
    first = detect(session_factory, operator, methods=["ears-c1", "ears-c2", "ears-c3"], weeks=52)
    assert first.created == len(stored_signals(session_factory)) > 4
    again = detect(session_factory, operator, methods=["ears-c1", "ears-c2", "ears-c3"], weeks=52)
    assert (again.created, again.updated) == (0, first.created)


finite = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(expected=finite, gap=st.floats(min_value=1e-3, max_value=1e6), observed=finite)
def test_the_score_is_one_at_the_threshold_and_grows_with_the_count(
    expected: float, gap: float, observed: float
) -> None:
    upper = expected + gap
    assert signals.score(upper, expected, upper) == pytest.approx(1.0)
    at = signals.score(observed, expected, upper)
    more = signals.score(observed + 1, expected, upper)
    assert at is not None and more is not None and more > at
    assert signals.score(observed, None, upper) == pytest.approx(observed / upper)
    assert signals.score(observed, expected, expected) is None  # no gap: undefined
    assert signals.score(observed, None, 0.0) is None
    assert signals.score(observed, expected, None) is None


@pytest.mark.usefixtures("loaded")
def test_the_after_import_hook_runs_the_default_methods_on_the_imported_series(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        summary = signals.detect_after_import(
            session=session, actor=THAI_EOC, keys=[DENGUE_TH10, DENGUE_TH10]
        )
    assert summary.methods == list(signals.AFTER_IMPORT_METHODS)
    assert summary.series == 1 and summary.weeks[-1] == "2024-W52"
    found = stored_signals(session_factory)
    assert {(s.country_code, s.area_code) for s in found} == {("THA", "TH-10")}
    assert {s.method for s in found} == set(signals.AFTER_IMPORT_METHODS) == {"noufaily"}


def test_an_import_of_weekly_counts_raises_its_signals_in_the_same_transaction(
    session_factory: sessionmaker[Session],
) -> None:
    """The CSV import runs detection on the series it imported: the outbreak weeks come back as
    signals, counted in the import's report; importing the same file again refreshes them."""
    header = "country,area,disease,week,cases\n"
    lines = [
        f"THA,TH-10,dengue,{week},{cases}"
        for week, cases in zip(weeks(), OUTBREAK, strict=True)
        if cases is not None
    ]
    data = (header + "\n".join(lines) + "\n").encode()
    with unit_of_work(session_factory) as session:
        report = weekly_import.import_weekly_csv(
            session=session, actor=THAI_EOC, data=data, filename="tha.csv"
        )
    found = stored_signals(session_factory)
    assert report.signals_created == len(found) > 0
    assert {(s.area_code, s.method, s.source) for s in found} == {
        ("TH-10", "noufaily", "aggregate")
    }
    assert {s.week for s in found} >= {str(LAST)}
    with unit_of_work(session_factory) as session:
        again = weekly_import.import_weekly_csv(
            session=session, actor=THAI_EOC, data=data, filename="tha.csv"
        )
    assert (again.signals_created, again.signals_updated) == (0, len(found))
    assert len(stored_signals(session_factory)) == len(found)
