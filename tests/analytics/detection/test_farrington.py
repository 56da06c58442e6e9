"""Unit and property tests of the Farrington family kernel (farrington_flexible).

The numbers themselves are checked against R in tests/reference/test_farrington_reference.py;
here: R's rules that the reference files do not exercise, the building blocks, and properties
that must hold for any input (hypothesis).
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthbridge.analytics.detection.farrington import FarringtonResult, farrington_flexible
from healthbridge.analytics.detection.farrington_design import (
    baseline_design,
    dated_reference_offsets,
)
from healthbridge.analytics.detection.farrington_glm import fit_quasipoisson
from healthbridge.analytics.detection.farrington_threshold import qnbinom, qpois

NOUFAILY: dict[str, Any] = dict(
    b=5,
    w=3,
    weights_threshold=2.58,
    p_threshold_trend=1.0,
    no_periods=10,
    past_weeks_not_included=26,
    threshold_method="nbPlugin",
)


def _seasonal(series: int, weeks: int, seed: int = 0, level: float = 5.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    mean = level * np.exp(0.5 * np.sin(2 * np.pi * t / 52))
    return rng.poisson(mean, size=(series, weeks)).astype(float)


def test_defaults_are_those_of_r() -> None:
    """surveillance::farringtonFlexible's control defaults (pastWeeksNotIncluded NULL = w)."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(farrington_flexible).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    assert defaults == {
        "b": 5,
        "w": 3,
        "reweight": True,
        "weights_threshold": 2.58,
        "trend": True,
        "p_threshold_trend": 0.05,
        "alpha": 0.05,
        "limit54": (5, 4),
        "powertrans": "2/3",
        "no_periods": 1,
        "past_weeks_not_included": None,
        "threshold_method": "delta",
        "frequency": 52,
        "dates": None,
    }


def test_outbreak_raises_an_alarm_and_quiet_weeks_do_not() -> None:
    counts = _seasonal(3, 6 * 52, seed=1)
    counts[0, -1] = 60.0
    last = counts.shape[1] - 1
    controls: list[dict[str, Any]] = [{}, NOUFAILY]
    for control in controls:
        result = farrington_flexible(counts, monitor=np.array([last]), **control)
        assert result.alarm[0, last]
        assert counts[0, last] > result.upperbound[0, last]
        assert result.score[0, last] > 1
        assert not result.alarm[1:, last].any()
        assert np.all(result.upperbound[:, last] > result.expected[:, last])


def test_weeks_outside_monitor_are_nan() -> None:
    counts = _seasonal(2, 6 * 52)
    monitor = np.array([300, 305, 305, 290])
    result = farrington_flexible(counts, monitor=monitor)
    mask = np.zeros(counts.shape, dtype=bool)
    mask[:, np.unique(monitor)] = True
    for field in ("expected", "upperbound", "phi", "trend", "score"):
        values = getattr(result, field)
        assert np.isnan(values[~mask]).all(), field
        assert not np.isnan(values[mask]).all(), field
    assert not result.alarm[~mask].any()
    assert set(np.unique(result.trend[mask])) <= {0.0, 1.0}


def test_weeks_without_all_reference_years_get_no_result() -> None:
    """R stops ("Some reference time points did not exist"); the kernel leaves NaN."""
    counts = _seasonal(1, 6 * 52)
    result = farrington_flexible(counts, monitor=np.arange(counts.shape[1]))
    first = 5 * 52 + 3 - 1  # 0-based: t - 5*52 - w must reach R's index 0
    assert np.isnan(result.phi[0, :first]).all()
    assert not np.isnan(result.phi[0, first:]).any()


def test_batches_do_not_change_results() -> None:
    counts = _seasonal(5, 7 * 52, seed=3)
    counts[2, 100:140] = np.nan
    monitor = np.arange(280, counts.shape[1])
    together = farrington_flexible(counts, monitor=monitor, **NOUFAILY)
    for i in range(counts.shape[0]):
        alone = farrington_flexible(counts[i : i + 1], monitor=monitor, **NOUFAILY)
        # Equal up to the rounding of matrix products, which block differently by size.
        np.testing.assert_array_equal(alone.alarm[0], together.alarm[i])
        for field in ("expected", "upperbound", "phi", "trend", "score"):
            np.testing.assert_allclose(
                getattr(alone, field)[0], getattr(together, field)[i], rtol=1e-10
            )


def test_trend_is_kept_only_below_the_p_threshold() -> None:
    counts = _seasonal(2, 7 * 52, seed=4) + np.arange(7 * 52)[None, :] // 20
    monitor = np.arange(300, 7 * 52)
    kept = farrington_flexible(counts, monitor=monitor, p_threshold_trend=1.0)
    never = farrington_flexible(counts, monitor=monitor, p_threshold_trend=0.0)
    off = farrington_flexible(counts, monitor=monitor, trend=False)
    assert np.nansum(kept.trend) > 0
    assert np.nansum(never.trend) == 0
    np.testing.assert_array_equal(never.upperbound, off.upperbound)


def test_limit54_removes_bound_and_alarm_but_keeps_model() -> None:
    counts = np.zeros((1, 6 * 52))
    counts[0, ::9] = 1.0
    counts[0, -1] = 3.0  # 3 cases in the last 4 weeks: fewer than 5
    last = counts.shape[1] - 1
    limited = farrington_flexible(counts, monitor=np.array([last]))
    free = farrington_flexible(counts, monitor=np.array([last]), limit54=(0, 4))
    assert np.isnan(limited.upperbound[0, last]) and not limited.alarm[0, last]
    assert np.isnan(limited.expected[0, last])
    assert limited.phi[0, last] == free.phi[0, last]
    assert limited.score[0, last] == free.score[0, last]
    assert free.alarm[0, last]


def test_unconverged_model_leaves_expected_at_zero_as_r() -> None:
    """A long all-zero baseline needs more than 25 IRLS steps (the fitted mean falls by e per
    step), so R's glm.fit does not converge: no model, and R's `expected` stays at its 0."""
    counts = np.zeros((1, 6 * 52))
    counts[0, -3:] = [2.0, 3.0, 4.0]
    last = counts.shape[1] - 1
    result = farrington_flexible(counts, monitor=np.array([last]), limit54=(0, 4), **NOUFAILY)
    assert np.isnan(result.phi[0, last])
    assert np.isnan(result.upperbound[0, last])
    assert result.expected[0, last] == 0.0
    assert not result.alarm[0, last]
    # The 35-week baseline of the 1996 method converges within 25 steps: a tiny expected count.
    short = farrington_flexible(counts, monitor=np.array([last]), limit54=(0, 4))
    assert 0 < short.expected[0, last] < 1e-8
    assert short.alarm[0, last]


@pytest.mark.parametrize(
    ("control", "message"),
    [
        (dict(limit54=(-1, 4)), "limit54"),
        (dict(limit54=(5, 0)), "limit54"),
        (dict(powertrans="3/4"), "powertrans"),
        (dict(threshold_method="exact"), "threshold_method"),
        (dict(no_periods=60), "no_periods"),
        (dict(b=0), "b must"),
        (dict(past_weeks_not_included=-1), "past_weeks"),
    ],
)
def test_parameters_r_refuses_raise(control: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        farrington_flexible(_seasonal(1, 6 * 52), monitor=np.array([300]), **control)


def test_bad_input_raises() -> None:
    with pytest.raises(ValueError, match="2-D"):
        farrington_flexible(np.zeros(400), monitor=np.array([300]))
    with pytest.raises(ValueError, match="outside"):
        farrington_flexible(np.zeros((1, 400)), monitor=np.array([400]))
    with pytest.raises(ValueError, match="negative"):
        farrington_flexible(-np.ones((1, 400)), monitor=np.array([300]))
    with pytest.raises(ValueError, match="evenly"):
        dates = np.datetime64("2001-01-01") + 7 * np.arange(400)
        dates[5] += 1
        farrington_flexible(np.zeros((1, 400)), monitor=np.array([300]), dates=dates)


def test_baseline_of_the_1996_method() -> None:
    design = baseline_design(
        [52 * i for i in range(1, 6)], w=3, no_periods=1, past_weeks_not_included=3
    )
    expected = sorted((52 * i + d for i in range(1, 6) for d in range(-3, 4)), reverse=True)
    assert design.offsets.tolist() == expected
    assert design.level_values == (1,)
    assert design.reach == 5 * 52 + 3


def test_baseline_of_the_noufaily_method() -> None:
    design = baseline_design(
        [52 * i for i in range(1, 6)], w=3, no_periods=10, past_weeks_not_included=26
    )
    assert design.offsets.tolist() == list(range(5 * 52 + 3, 26, -1))
    assert design.level_values == tuple(range(1, 11))
    windows = {52 * i + d for i in range(1, 6) for d in range(-3, 4)}
    for offset, level in zip(design.offsets.tolist(), design.levels.tolist(), strict=True):
        assert (level == 10) == (offset in windows)
    # R's blocks: the 45 weeks between two windows split 5 by 5 over levels 1..9, level 1
    # right after the older window.
    level_of = dict(zip(design.offsets.tolist(), design.levels.tolist(), strict=True))
    assert [level_of[o] for o in range(100, 95, -1)] == [1] * 5
    assert [level_of[o] for o in range(60, 55, -1)] == [9] * 5


def test_dated_reference_weeks_are_the_nearest_same_weekday() -> None:
    start = np.datetime64("2004-01-05")  # a Monday, as salmNewport starts
    dates = start + 7 * np.arange(600)
    t = 527
    offsets = dated_reference_offsets(dates, t, b=5, frequency=52)
    assert offsets is not None
    day = dt.date.fromisoformat(str(dates[t]))
    for i, offset in enumerate(offsets, start=1):
        target = np.datetime64(day.replace(year=day.year - i))
        nearest = int(np.argmin(np.abs(dates - target)))
        assert offset == t - nearest
    assert any(offset % 52 for offset in offsets)  # some years are 53 weeks back
    assert dated_reference_offsets(dates, 200, b=5, frequency=52) is None


def test_dated_and_undated_agree_when_reference_weeks_do() -> None:
    counts = _seasonal(2, 6 * 52 + 10, seed=5)
    dates = np.datetime64("2001-01-01") + 7 * np.arange(counts.shape[1])
    same = [
        t
        for t in range(3 * 52 + 3, counts.shape[1])
        if dated_reference_offsets(dates, t, b=3, frequency=52) == (52, 104, 156)
    ]
    assert same
    t = same[-1]
    dated = farrington_flexible(counts, monitor=np.array([t]), b=3, dates=dates)
    plain = farrington_flexible(counts, monitor=np.array([t]), b=3)
    np.testing.assert_allclose(dated.upperbound[:, t], plain.upperbound[:, t], rtol=1e-12)


def test_quasipoisson_fit_matches_direct_newton_and_drops_aliased_columns() -> None:
    rng = np.random.default_rng(7)
    rows = 40
    level = np.repeat([0, 1, 2, 3], 10)
    x = np.column_stack([np.ones(rows), -np.arange(rows, dtype=float)])
    dummies = (level[:, None] == np.array([1, 2, 3])[None, :]).astype(float)
    x = np.hstack([x, dummies])
    y = rng.poisson(4.0, size=(3, rows)).astype(float)
    prior = np.ones_like(y)
    prior[1, level == 2] = 0.0  # a level without any observation: its column is aliased
    fit = fit_quasipoisson(x, np.where(prior > 0, y, 0.0), prior)
    assert fit.converged.all()
    assert fit.beta[1, 3] == 0.0 and (fit.ginv[1, 3] == 0).all()
    for i in range(3):
        keep = prior[i] > 0
        cols = np.any(x[keep] != 0, axis=0)
        beta = np.zeros(cols.sum())
        for _ in range(50):
            mu = np.exp(x[keep][:, cols] @ beta)
            grad = x[keep][:, cols].T @ (y[i, keep] - mu)
            hess = x[keep][:, cols].T @ (mu[:, None] * x[keep][:, cols])
            beta += np.linalg.solve(hess, grad)
        np.testing.assert_allclose(fit.beta[i, cols], beta, rtol=1e-7, atol=1e-9)


def test_discrete_quantiles_match_r() -> None:
    # R 4.2.2: qnbinom(0.95, 2.5, 0.4); qnbinom(0.99, 0.01, 0.9); qnbinom(0.95, 1e6, 0.999);
    # qpois(0.95, 3.2); qpois(0.999, 1e-3); qpois(0.95, 12345.6)
    assert qnbinom(0.95, np.array([2.5]), np.array([0.4])).tolist() == [10.0]
    assert qnbinom(0.99, np.array([0.01]), np.array([0.9])).tolist() == [0.0]
    assert qnbinom(0.95, np.array([1e6]), np.array([0.999])).tolist() == [1053.0]
    assert qpois(0.95, np.array([3.2, 1e-3, 12345.6])).tolist() == [6.0, 0.0, 12529.0]
    assert qpois(0.999, np.array([1e-3])).tolist() == [0.0]


# --- properties ---------------------------------------------------------------------------

SMALL: dict[str, Any] = dict(frequency=12, b=3, w=1)  # short years keep the examples fast
SMALL_NOUFAILY: dict[str, Any] = dict(
    SMALL, no_periods=6, past_weeks_not_included=4, threshold_method="nbPlugin"
)

cells = st.one_of(
    st.just(0.0),
    st.integers(0, 30).map(float),
    st.just(np.nan),
    st.just(1e7),
)


@st.composite
def count_arrays(draw: st.DrawFn, min_weeks: int = 1, max_weeks: int = 80) -> np.ndarray:
    series = draw(st.integers(1, 3))
    weeks = draw(st.integers(min_weeks, max_weeks))
    values = draw(st.lists(cells, min_size=series * weeks, max_size=series * weeks))
    return np.array(values, dtype=float).reshape(series, weeks)


def _check_invariants(counts: np.ndarray, monitor: np.ndarray, result: FarringtonResult) -> None:
    upper, alarm, phi, trend = result.upperbound, result.alarm, result.phi, result.trend
    assert alarm.dtype == np.bool_ and alarm.shape == counts.shape
    outside = np.ones(counts.shape[1], dtype=bool)
    outside[monitor] = False
    assert not alarm[:, outside].any()
    assert np.isnan(upper[:, outside]).all()
    with np.errstate(invalid="ignore"):
        assert np.all(counts[alarm] > upper[alarm])
        assert np.all(upper[~np.isnan(upper)] >= 0)
        assert np.all(phi[~np.isnan(phi)] >= 1)
    assert not np.isnan(upper[alarm]).any()
    assert set(np.unique(trend[~np.isnan(trend)])) <= {0.0, 1.0}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=count_arrays(), noufaily=st.booleans())
def test_property_any_counts(counts: np.ndarray, noufaily: bool) -> None:
    monitor = np.arange(counts.shape[1])
    control = SMALL_NOUFAILY if noufaily else SMALL
    result = farrington_flexible(counts, monitor=monitor, **control)
    _check_invariants(counts, monitor, result)
    # Too short for b years of history: no result at all, as R gives none.
    if counts.shape[1] < 3 * 12:
        assert np.isnan(result.phi).all() and not result.alarm.any()


@settings(max_examples=15, deadline=None)
@given(weeks=st.integers(1, 120), noufaily=st.booleans())
def test_property_all_zero_series_never_alarm(weeks: int, noufaily: bool) -> None:
    counts = np.zeros((2, weeks))
    control = SMALL_NOUFAILY if noufaily else SMALL
    result = farrington_flexible(counts, monitor=np.arange(weeks), **control)
    assert not result.alarm.any()
    limited = np.isnan(result.upperbound).all()  # limit54: never 5 cases
    assert limited


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_property_gaps_and_huge_counts_keep_invariants(data: st.DataObject) -> None:
    counts = _seasonal(2, 6 * 52, seed=data.draw(st.integers(0, 1000)), level=1e7)
    gaps = data.draw(st.lists(st.integers(0, 6 * 52 - 1), max_size=40))
    counts[0, gaps] = np.nan
    monitor = np.arange(6 * 52 - 20, 6 * 52)
    controls: list[dict[str, Any]] = [{}, NOUFAILY]
    for control in controls:
        result = farrington_flexible(counts, monitor=monitor, **control)
        _check_invariants(counts, monitor, result)
        # A NaN among the last 4 weeks leaves no bound (R's NA in limit54's sum).
        for t in monitor:
            if np.isnan(counts[0, t - 3 : t + 1]).any():
                assert np.isnan(result.upperbound[0, t])
        assert not np.isnan(result.upperbound[1, monitor]).any()


@settings(max_examples=10, deadline=None)
@given(weeks=st.integers(1, 5 * 52 + 1))
def test_property_short_series_give_no_result(weeks: int) -> None:
    counts = _seasonal(1, weeks)
    result = farrington_flexible(counts, monitor=np.arange(weeks))
    for field in ("expected", "upperbound", "phi", "trend", "score"):
        assert np.isnan(getattr(result, field)).all()
    assert not result.alarm.any()
