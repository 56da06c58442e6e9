"""EARS C1/C2/C3: hand-computed weeks, a plain transcription of R's ``earsC`` loop as an oracle,
and property tests (no crash, zeros, gaps, huge counts, short series)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from healthbridge.analytics.detection import methods as registry
from healthbridge.analytics.detection.ears import EarsMethod, ears_c, first_week

METHODS: tuple[EarsMethod, ...] = ("C1", "C2", "C3")
Z_999 = 3.090232306167813  # qnorm(0.999) in R


def r_earsc(
    y: NDArray[np.float64], method: EarsMethod, baseline: int, alpha: float, sigma: float
) -> NDArray[np.float64]:
    """R's earsC for one series, week by week, as R writes it (the oracle; slow on purpose)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - alpha)
    n = len(y)
    ub = np.full(n, np.nan)

    def stats(t: int) -> tuple[float, float]:  # the C2 baseline of week t (0-based)
        ref = y[t - baseline - 2 : t - 2]
        return float(np.mean(ref)), max(float(np.std(ref, ddof=1)), sigma)

    def c2(t: int) -> float:
        mean, sd = stats(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.float64(y[t] - mean) / np.float64(sd))

    for t in range(first_week(method, baseline) - 1, n):
        if method == "C1":
            ref = y[t - baseline : t]
            ub[t] = np.mean(ref) + z * max(float(np.std(ref, ddof=1)), sigma)
        elif method == "C2":
            mean, sd = stats(t)
            ub[t] = mean + z * sd
        else:
            _, sd = stats(t)
            parts = np.maximum(0.0, c2(t - 2) - 1) + np.maximum(0.0, c2(t - 1) - 1)
            with np.errstate(invalid="ignore"):
                ub[t] = np.maximum(0.0, y[t] + sd * (z - parts))
    return ub


def test_c1_hand_computed() -> None:
    # Baseline 1,1,1,1,1,1,8: mean 2, squared deviations 6*1 + 36 = 42, variance 42/6 = 7.
    # The upper bound is 2 + 3.0902 * 2.6458 = 10.176: a count of 10 is below it, 11 above.
    counts = np.array([[1, 1, 1, 1, 1, 1, 8, 10], [1, 1, 1, 1, 1, 1, 8, 11]], dtype=float)
    result = ears_c(counts, method="C1")
    assert np.isnan(result.upperbound[:, :7]).all()
    np.testing.assert_allclose(result.upperbound[:, 7], 2 + Z_999 * math.sqrt(7), rtol=1e-14)
    assert result.upperbound[0, 7] == pytest.approx(10.1760, abs=1e-4)
    assert result.alarm[:, 7].tolist() == [False, True]


def test_c1_alarm_is_strictly_above() -> None:
    counts = np.array([5, 5, 5, 5, 5, 5, 5, 5, 6], dtype=float)
    result = ears_c(counts, method="C1")
    # A constant baseline has sd 0: the upper bound is the mean, and a count equal to it is
    # not an alarm (R: observed > upperbound).
    assert result.upperbound[7] == 5.0 and not result.alarm[7]
    assert result.upperbound[8] == 5.0 and result.alarm[8]


def test_c2_leaves_two_weeks_out() -> None:
    # Week 10 (index 9) uses weeks 1..7; the spike in weeks 8 and 9 does not enter it, so the
    # bound is 3 + z * 0.5 = 4.545 and 5 alarms.
    counts = np.array([3, 3, 3, 3, 3, 3, 3, 50, 50, 5], dtype=float)
    result = ears_c(counts, method="C2", min_sigma=0.5)
    assert np.isnan(result.upperbound[:9]).all()
    assert result.upperbound[9] == pytest.approx(3 + Z_999 * 0.5, rel=1e-14)
    assert result.alarm[9]


def test_c3_hand_computed() -> None:
    # min_sigma=1 makes every sd 1 here. C2 statistics: week 10 (index 9): (8-5)/1 = 3,
    # week 11: (7-5)/1 = 2. Week 12: 5 + 1 * (z - (max(0, 3-1) + max(0, 2-1))) = 2 + z.
    counts = np.array([5, 5, 5, 5, 5, 5, 5, 5, 5, 8, 7, 5], dtype=float)
    result = ears_c(counts, method="C3", min_sigma=1.0)
    assert np.isnan(result.upperbound[:11]).all()
    assert result.upperbound[11] == pytest.approx(2 + Z_999, rel=1e-14)
    assert not result.alarm[11]
    # With alpha = 0.5, z = 0: the bound is 2 and the count 5 alarms.
    half = ears_c(counts, method="C3", min_sigma=1.0, alpha=0.5)
    assert half.upperbound[11] == pytest.approx(2.0, abs=1e-12)
    assert half.alarm[11]


def test_c3_zero_sd_gives_no_bound_as_in_r() -> None:
    # A constant C2 baseline makes the statistic 0/0 = NaN: R's upper bound is NA.
    counts = np.full(20, 4.0)
    result = ears_c(counts, method="C3")
    assert np.isnan(result.upperbound).all()
    assert not result.alarm.any()


def test_first_week() -> None:
    assert [first_week(m) for m in METHODS] == [8, 10, 12]
    assert first_week("C3", baseline=3) == 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "C4"}, "method"),
        ({"baseline": 2}, "baseline"),
        ({"min_sigma": -1.0}, "min_sigma"),
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ears_c(np.ones((1, 20)), **kwargs)


def test_bad_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        ears_c(np.array([1.0, -1.0] * 10))
    with pytest.raises(ValueError, match="shape"):
        ears_c(np.ones((2, 2, 20)))


def test_one_dimensional_input_matches_one_row() -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(4, 60).astype(float)
    for method in METHODS:
        flat = ears_c(y, method=method)
        row = ears_c(y[np.newaxis], method=method)
        np.testing.assert_array_equal(flat.upperbound, row.upperbound[0])
        np.testing.assert_array_equal(flat.alarm, row.alarm[0])


def test_random_series_match_the_r_transcription() -> None:
    rng = np.random.default_rng(2024)
    counts = rng.poisson(rng.uniform(0.2, 30, size=(8, 1)), size=(8, 120)).astype(float)
    counts[2, 40] = np.nan  # a gap
    for method in METHODS:
        for baseline, sigma in ((7, 0.0), (4, 0.5), (12, 0.0)):
            result = ears_c(counts, method=method, baseline=baseline, min_sigma=sigma)
            for i, y in enumerate(counts):
                expected = r_earsc(y, method, baseline, 0.001, sigma)
                np.testing.assert_allclose(result.upperbound[i], expected, rtol=1e-12, atol=0)


# --- properties ---------------------------------------------------------------------------------

count_values = st.one_of(
    st.floats(0, 50, allow_nan=False),
    st.integers(0, 10**12).map(float),
    st.just(np.nan),
)


@st.composite
def count_arrays(draw: st.DrawFn) -> NDArray[np.float64]:
    shape = draw(st.tuples(st.integers(1, 3), st.integers(0, 40)))
    return draw(hnp.arrays(np.float64, shape, elements=count_values))


@settings(max_examples=150, deadline=None)
@given(counts=count_arrays(), method=st.sampled_from(METHODS), baseline=st.integers(3, 9))
@example(
    counts=np.array([[0.0, 5e-324, 0.0, 1e-200, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
    method="C1",
    baseline=3,
)
def test_never_crashes_and_alarms_only_above_a_bound(
    counts: NDArray[np.float64], method: EarsMethod, baseline: int
) -> None:
    with np.errstate(all="raise"):  # no warnings leak out of the kernel
        result = ears_c(counts, method=method, baseline=baseline)
    assert result.upperbound.shape == counts.shape == result.alarm.shape
    assert result.alarm.dtype == np.bool_
    first = first_week(method, baseline) - 1
    assert np.isnan(result.upperbound[:, :first]).all()
    assert not result.alarm[:, :first].any()
    bounded = ~np.isnan(result.upperbound)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(result.alarm, bounded & (counts > result.upperbound))
    assert not result.alarm[np.isnan(counts)].any()
    if method == "C3":
        assert (result.upperbound[bounded] >= 0).all()


@settings(max_examples=60, deadline=None)
@given(
    weeks=st.integers(0, 60),
    n_series=st.integers(1, 4),
    method=st.sampled_from(METHODS),
)
def test_zeros_never_alarm(weeks: int, n_series: int, method: EarsMethod) -> None:
    result = ears_c(np.zeros((n_series, weeks)), method=method)
    assert not result.alarm.any()
    if method != "C3":
        first = first_week(method) - 1
        np.testing.assert_array_equal(result.upperbound[:, first:], 0.0)


@settings(max_examples=60, deadline=None)
@given(
    counts=hnp.arrays(np.float64, st.integers(20, 50), elements=st.integers(0, 40).map(float)),
    gap=st.integers(0, 19),
)
def test_a_gap_blanks_exactly_the_baselines_that_contain_it(
    counts: NDArray[np.float64], gap: int
) -> None:
    holed = counts.copy()
    holed[gap] = np.nan
    full = ears_c(counts, method="C1")
    result = ears_c(holed, method="C1")
    blank = np.zeros(counts.size, dtype=bool)
    blank[gap + 1 : gap + 8] = True  # weeks whose C1 baseline holds the gap (baseline 7)
    first = first_week("C1") - 1
    assert np.isnan(result.upperbound[blank]).all()
    keep = ~blank
    keep[:first] = False
    np.testing.assert_array_equal(result.upperbound[keep], full.upperbound[keep])
    assert not result.alarm[gap]


@settings(max_examples=60, deadline=None)
@given(
    counts=hnp.arrays(np.float64, (2, 30), elements=st.integers(0, 100).map(float)),
    scale=st.sampled_from([2.0, 10.0, 1e6]),
    method=st.sampled_from(("C1", "C2")),
)
def test_upper_bound_scales_with_the_counts(
    counts: NDArray[np.float64], scale: float, method: EarsMethod
) -> None:
    base = ears_c(counts, method=method)
    scaled = ears_c(counts * scale, method=method)
    np.testing.assert_allclose(scaled.upperbound, base.upperbound * scale, rtol=1e-12, atol=1e-9)


def test_huge_counts_stay_finite() -> None:
    rng = np.random.default_rng(3)
    counts = rng.integers(10**14, 10**15, size=(2, 80)).astype(float)
    for method in METHODS:
        result = ears_c(counts, method=method)
        first = first_week(method) - 1
        assert np.isfinite(result.upperbound[:, first:]).all()


def test_series_are_independent() -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(6, size=(5, 70)).astype(float)
    for method in METHODS:
        together = ears_c(counts, method=method)
        for i in range(5):
            alone = ears_c(counts[i : i + 1], method=method)
            np.testing.assert_array_equal(together.upperbound[i], alone.upperbound[0])


# --- the method table the command line uses ------------------------------------------------------


def test_method_table_presets_are_the_reference_control_lists() -> None:
    from healthbridge.analytics.detection.methods import FARRINGTON_FIRST_WEEK, METHODS

    assert list(METHODS) == ["ears-c1", "ears-c2", "ears-c3", "farrington", "noufaily"]
    for name, first in (("ears-c1", 8), ("ears-c2", 10), ("ears-c3", 12)):
        assert dict(METHODS[name].preset) == {"baseline": 7, "alpha": 0.001, "min_sigma": 0.0}
        assert METHODS[name].first_week() == first
        assert METHODS[name].first_week({"baseline": 4}) == first - 3
    farrington = dict(METHODS["farrington"].preset)
    noufaily = dict(METHODS["noufaily"].preset)
    assert farrington == {
        "b": 5, "w": 3, "reweight": True, "weights_threshold": 1.0, "trend": True,
        "p_threshold_trend": 0.05, "alpha": 0.05, "limit54": (5, 4), "powertrans": "2/3",
        "no_periods": 1, "past_weeks_not_included": 3, "threshold_method": "delta",
        "frequency": 52,
    }  # fmt: skip
    assert {k: v for k, v in noufaily.items() if farrington[k] != v} == {
        "weights_threshold": 2.58, "p_threshold_trend": 1.0, "no_periods": 10,
        "past_weeks_not_included": 26, "threshold_method": "nbPlugin",
    }  # fmt: skip
    assert METHODS["noufaily"].first_week() == FARRINGTON_FIRST_WEEK == 264


def test_method_table_runs_ears_on_the_monitored_weeks_only() -> None:
    from healthbridge.analytics.detection.methods import METHODS

    rng = np.random.default_rng(1)
    counts = rng.poisson(5, size=(3, 40)).astype(float)
    counts[1, 30] = 30.0
    method = METHODS["ears-c2"]
    monitor = np.arange(19, 35)
    output = method.run(counts, monitor=monitor)
    full = ears_c(counts, method="C2")
    outside = np.ones(40, dtype=bool)
    outside[monitor] = False
    np.testing.assert_array_equal(output.upperbound[:, monitor], full.upperbound[:, monitor])
    np.testing.assert_array_equal(output.alarm[:, monitor], full.alarm[:, monitor])
    assert np.isnan(output.upperbound[:, outside]).all() and not output.alarm[:, outside].any()
    assert output.expected is None
    assert output.alarm[1, 30]
    tuned = method.run(counts, monitor=monitor, parameters=method.parameters(alpha=0.2))
    assert tuned.alarm.sum() >= output.alarm.sum()


def test_method_table_refuses_foreign_parameters_and_dates() -> None:
    from healthbridge.analytics.detection.methods import METHODS

    method = METHODS["ears-c1"]
    assert method.parameters(alpha=None, baseline=5)["baseline"] == 5
    with pytest.raises(ValueError, match="does not take b"):
        method.parameters(b=3)
    with pytest.raises(ValueError, match="does not use dates"):
        method.run(np.ones((1, 20)), monitor=[10], dates=np.arange(20))
    with pytest.raises(ValueError, match="within"):
        method.run(np.ones((1, 20)), monitor=[20])


@given(
    counts=count_arrays(),
    method=st.sampled_from(METHODS),
    baseline=st.integers(3, 9),
    data=st.data(),
)
def test_the_runner_computes_only_the_window_yet_equals_the_whole_series(
    counts: NDArray[np.float64], method: EarsMethod, baseline: int, data: st.DataObject
) -> None:
    """The latest-week path computes a short window; its bounds equal the whole-series ones."""
    weeks = counts.shape[1]
    assume(weeks > 0)
    monitor = np.array(
        sorted(data.draw(st.sets(st.integers(0, weeks - 1), min_size=1, max_size=weeks)))
    )
    runner = registry.METHODS[f"ears-{method.lower()}"]
    out = runner.run(counts, monitor=monitor, parameters={"baseline": baseline, "alpha": 0.01})
    whole = ears_c(counts, method=method, baseline=baseline, alpha=0.01)
    np.testing.assert_array_equal(out.upperbound[:, monitor], whole.upperbound[:, monitor])
    np.testing.assert_array_equal(out.alarm[:, monitor], whole.alarm[:, monitor])
    others = np.setdiff1d(np.arange(weeks), monitor)
    assert np.isnan(out.upperbound[:, others]).all() and not out.alarm[:, others].any()
