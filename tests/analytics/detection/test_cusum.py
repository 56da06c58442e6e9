"""CUSUM (Rossi et al. 1999, R's ``algo.cusum``): a hand-computed run, numbers from R on the
``shadar`` reference counts, and property tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from healthbridge.analytics.detection.cusum import TRANSFORMS, CusumTransform, cusum

DATA = Path(__file__).parents[2] / "reference" / "data"


def test_hand_computed_standard() -> None:
    # m = 4, so z = (x - 4) / 2: x = 4, 8, 10, 2, 4 gives z = 0, 2, 3, -1, 0.
    # With k = 1: C = max(0, 0 + 0 - 1) = 0, max(0, 0 + 2 - 1) = 1, 1 + 3 - 1 = 3,
    # max(0, 3 - 1 - 1) = 1, max(0, 1 + 0 - 1) = 0. Alarm where C >= 2.26: the third week.
    # Upper bound: ceiling(2 * (h + k - C_prev) + 4) with C_prev = 0, 0, 1, 3, 1:
    # ceiling(10.52) = 11, 11, ceiling(8.52) = 9, ceiling(4.52) = 5, 9.
    counts = np.array([[0, 4, 8, 10, 2, 4]], dtype=float)
    result = cusum(counts, monitor=np.arange(1, 6), m=4.0, k=1.0, h=2.26)
    assert np.isnan(result.cusum[0, 0]) and np.isnan(result.upperbound[0, 0])
    np.testing.assert_allclose(result.cusum[0, 1:], [0, 1, 3, 1, 0], atol=1e-15)
    assert result.alarm[0].tolist() == [False, False, False, True, False, False]
    np.testing.assert_array_equal(result.upperbound[0, 1:], [11, 11, 9, 5, 9])
    np.testing.assert_array_equal(result.in_control_mean, 4.0)


def test_hand_computed_rossi_and_default_mean() -> None:
    # The default m is the mean of the weeks before monitoring: (1 + 4 + 4) / 3 = 3.
    # Rossi: z = (x - 3m + 2 sqrt(x m)) / (2 sqrt m); x = 12: (12 - 9 + 2 * 6) / (2 sqrt 3)
    # = 15 / 3.4641 = 4.3301; C = 4.3301 - 1.04 = 3.2901 >= 2.26.
    counts = np.array([1, 4, 4, 12, 3], dtype=float)
    result = cusum(counts, monitor=[3, 4], trans="rossi")
    assert result.in_control_mean.tolist() == [3.0, 3.0]
    assert result.cusum[3] == pytest.approx(15 / (2 * np.sqrt(3)) - 1.04, rel=1e-14)
    # x = 3: z = (3 - 9 + 6) / (2 sqrt 3) = 0, so C = 3.2901 - 1.04.
    assert result.cusum[4] == pytest.approx(15 / (2 * np.sqrt(3)) - 2.08, rel=1e-14)
    assert result.alarm.tolist() == [False, False, False, True, False]


# R 1.20.3: algo.cusum(create.disProg(week=1:295, observed=shadar counts, state=0),
# control=list(range=105:295, trans=...)), the in-control mean being the mean of weeks 1-104.
SHADAR_MEAN = 4.2211538461538458
SHADAR_ALARMS = [135, *range(280, 296)]
SHADAR_R = {
    "standard": [  # (t, cusum, upperbound)
        (124, 1.28598794179577780, 12),
        (125, 0.13834664871468560, 9),
        (132, 0.0, 12),
        (133, 0.0, 12),
        (134, 0.31253624784502998, 12),
        (135, 3.05870173056693018, 11),
        (136, 0.93760874353508994, 5),
        (138, 1.77271378877115193, 12),
        (278, 0.0, 12),
        (279, 0.0, 12),
        (280, 3.23289132969727344, 12),
        (281, 5.00560511846842537, 5),
        (282, 7.26504475421495144, 1),
        (295, 38.584663406821285, 0),
    ],
    "rossi": [
        (124, 1.06844928991530086, 11.9931918164685420),
        (132, 0.0, 11.9931918164685420),
        (133, 0.0, 11.9931918164685420),
        (134, 0.22747475400451700, 11.9931918164685420),
        (135, 2.49011442952063300, 11.4092390145792031),
        (136, 0.26923681739521976, 5.9598849656102040),
        (138, 1.47408987357136745, 11.9931918164685420),
        (139, 0.80515544703571007, 8.3164163550647032),
        (278, 0.0, 11.9931918164685420),
        (279, 0.0, 11.9931918164685420),
        (280, 2.64745225933003780, 11.9931918164685420),
        (281, 4.12154213290140525, 5.6112210429191833),
        (282, 5.99334206014748005, 2.6272867081484819),
        (295, 31.346146537534068, 0.0),
    ],
}


def shadar_counts() -> NDArray[np.float64]:
    with (DATA / "shadar__counts.csv").open(newline="") as f:
        return np.array([float(row["count"]) for row in csv.DictReader(f)])


@pytest.mark.parametrize("trans", ["standard", "rossi"])
def test_matches_r_on_shadar(trans: CusumTransform) -> None:
    y = shadar_counts()
    result = cusum(y, monitor=np.arange(104, y.size), trans=trans)
    assert result.in_control_mean[0] == pytest.approx(SHADAR_MEAN, rel=1e-15)
    assert (np.flatnonzero(result.alarm) + 1).tolist() == SHADAR_ALARMS
    for t, value, bound in SHADAR_R[trans]:
        assert result.cusum[t - 1] == pytest.approx(value, rel=1e-13, abs=1e-15), t
        assert result.upperbound[t - 1] == pytest.approx(bound, rel=1e-13, abs=1e-15), t
    assert np.isnan(result.cusum[:104]).all() and not result.alarm[:104].any()


def test_upper_bound_is_the_count_that_reaches_h() -> None:
    # For "standard" the upper bound is the smallest whole count whose CUSUM reaches h.
    y = shadar_counts()
    monitor = np.arange(104, y.size)
    result = cusum(y, monitor=monitor)
    m = result.in_control_mean[0]
    previous = np.concatenate([[0.0], result.cusum[monitor][:-1]])
    bound = result.upperbound[monitor]
    positive = bound > 0
    reach = previous + (bound - m) / np.sqrt(m) - 1.04
    below = previous + (bound - 1 - m) / np.sqrt(m) - 1.04
    assert (reach[positive] >= 2.26 - 1e-12).all()
    assert (below[positive] < 2.26).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"trans": "anscombeNegBin"}, "trans"),
        ({"monitor": []}, "at least one"),
        ({"monitor": [5, 4]}, "increasing"),
        ({"monitor": [30]}, "within"),
        ({"monitor": [0]}, "before"),
        ({"monitor": [3, 4], "m": [1.0, 2.0, 3.0]}, "m must be"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"monitor": [10, 11], **kwargs}
    with pytest.raises(ValueError, match=message):
        cusum(np.ones((2, 20)), **arguments)  # type: ignore[arg-type]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        cusum(np.array([1.0, 2.0, -1.0]), monitor=[2])


def test_mean_per_series_and_per_week() -> None:
    counts = np.array([[2.0, 9.0], [2.0, 9.0]])
    per_series = cusum(counts, monitor=[1], m=[4.0, 9.0])
    assert per_series.cusum[:, 1] == pytest.approx([(9 - 4) / 2 - 1.04, 0.0])
    per_week = cusum(counts, monitor=[0, 1], m=[[4.0, 4.0], [1.0, 1.0]])
    assert per_week.in_control_mean.shape == (2, 2)


# --- properties ---------------------------------------------------------------------------------

values = st.one_of(st.integers(0, 60).map(float), st.integers(0, 10**12).map(float))


@st.composite
def monitored(draw: st.DrawFn) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n_series = draw(st.integers(1, 3))
    weeks = draw(st.integers(2, 40))
    counts = draw(hnp.arrays(np.float64, (n_series, weeks), elements=values))
    start = draw(st.integers(1, weeks - 1))
    return counts, np.arange(start, weeks)


@settings(max_examples=150, deadline=None)
@given(case=monitored(), trans=st.sampled_from(TRANSFORMS), k=st.floats(0, 3), h=st.floats(0.5, 8))
def test_never_crashes_and_alarms_are_the_cusum_reaching_h(
    case: tuple[NDArray[np.float64], NDArray[np.int64]], trans: CusumTransform, k: float, h: float
) -> None:
    counts, monitor = case
    result = cusum(counts, monitor=monitor, trans=trans, k=k, h=h)
    assert result.alarm.dtype == np.bool_
    outside = np.ones(counts.shape[1], dtype=bool)
    outside[monitor] = False
    assert np.isnan(result.cusum[:, outside]).all() and not result.alarm[:, outside].any()
    sums = result.cusum[:, monitor]
    defined = ~np.isnan(sums)
    assert (sums[defined] >= 0).all()
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(result.alarm[:, monitor], sums >= h)
    bounds = result.upperbound[:, monitor]
    assert (bounds[~np.isnan(bounds)] >= 0).all()


@settings(max_examples=80, deadline=None)
@given(case=monitored(), m=st.floats(0.1, 50))
def test_zeros_never_alarm(case: tuple[NDArray[np.float64], NDArray[np.int64]], m: float) -> None:
    counts, monitor = case
    zeros = np.zeros_like(counts)
    given_mean = cusum(zeros, monitor=monitor, m=m)
    assert not given_mean.alarm.any()
    np.testing.assert_array_equal(given_mean.cusum[:, monitor], 0.0)
    # With the default mean the baseline mean is 0 and z = 0/0: R gives NA, we give NaN.
    default_mean = cusum(zeros, monitor=monitor)
    assert not default_mean.alarm.any()


@settings(max_examples=80, deadline=None)
@given(case=monitored(), data=st.data())
def test_a_gap_stops_the_cusum_as_r_does(
    case: tuple[NDArray[np.float64], NDArray[np.int64]], data: st.DataObject
) -> None:
    counts, monitor = case
    holed = counts.copy()
    week = data.draw(st.sampled_from(monitor.tolist()))
    holed[0, week] = np.nan
    full = cusum(counts, monitor=monitor, m=5.0)
    result = cusum(holed, monitor=monitor, m=5.0)
    assert np.isnan(result.cusum[0, week:]).all()
    assert np.isnan(result.upperbound[0, week + 1 :]).all()
    assert not result.alarm[0, week:].any()
    np.testing.assert_array_equal(result.cusum[0, :week], full.cusum[0, :week])
    np.testing.assert_array_equal(result.cusum[1:], full.cusum[1:])
    # A gap before monitoring makes the default mean NaN, and everything with it.
    before = counts.copy()
    before[:, 0] = np.nan
    assert not cusum(before, monitor=monitor).alarm.any()


@settings(max_examples=80, deadline=None)
@given(case=monitored(), k=st.floats(0, 2), extra=st.floats(0.01, 2))
def test_a_larger_reference_value_never_raises_the_cusum(
    case: tuple[NDArray[np.float64], NDArray[np.int64]], k: float, extra: float
) -> None:
    counts, monitor = case
    low = cusum(counts, monitor=monitor, m=3.0, k=k).cusum[:, monitor]
    high = cusum(counts, monitor=monitor, m=3.0, k=k + extra).cusum[:, monitor]
    assert (high <= low + 1e-9 * np.maximum(1, low)).all()


@settings(max_examples=80, deadline=None)
@given(case=monitored())
def test_cusum_is_the_random_walk_above_its_running_minimum(
    case: tuple[NDArray[np.float64], NDArray[np.int64]],
) -> None:
    # Lindley: C_t = S_t - min(0, min_{s<=t} S_s) with S the partial sums of z - k.
    counts, monitor = case
    m = 2.5
    result = cusum(counts, monitor=monitor, m=m)
    walk = np.cumsum((counts[:, monitor] - m) / np.sqrt(m) - 1.04, axis=1)
    lindley = walk - np.minimum(0, np.minimum.accumulate(walk, axis=1))
    np.testing.assert_allclose(
        result.cusum[:, monitor], lindley, rtol=1e-9, atol=1e-9 * np.abs(walk).max()
    )


def test_series_are_independent_and_one_dimensional_input_works() -> None:
    rng = np.random.default_rng(5)
    counts = rng.poisson(3, size=(4, 60)).astype(float)
    monitor = np.arange(30, 60)
    for trans in TRANSFORMS:
        together = cusum(counts, monitor=monitor, trans=trans)
        for i in range(4):
            alone = cusum(counts[i], monitor=monitor, trans=trans)
            np.testing.assert_array_equal(together.cusum[i], alone.cusum)
            np.testing.assert_array_equal(together.upperbound[i], alone.upperbound)
            np.testing.assert_array_equal(together.alarm[i], alone.alarm)
