"""The reproduction number of Cori et al. (2013): the discretised serial interval, a window
computed by hand, a small case computed by EpiEstim, and property tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray
from scipy.stats import gamma

from healthbridge.analytics.rt import QUANTILES, cori_rt, discrete_serial_interval

# EpiEstim 2.2-4: discr_si(0:10, 2.6, 1.5)
DISCR_SI_R = [
    0.0,
    0.2331721254075412031,
    0.3585794003155968745,
    0.1981108285403135605,
    0.1033426554279392590,
    0.0529051752478139348,
    0.0268214619516161518,
    0.0135161980894375616,
    0.0067834378153538225,
    0.0033943513592991081,
    0.0016946741097903836,
]
SMALL_INCIDENCE = [10, 0, 3, 5, 2, 4, 6, 1, 0, 2]
# EpiEstim 2.2-4: estimate_R(SMALL_INCIDENCE, method="parametric_si", config=make_config(list(
# mean_si=2.6, std_si=1.5, t_start=c(2,3,5), t_end=c(4,8,10))))$R, columns Mean(R), Std(R),
# then the quantiles 0.025 ... 0.975.
SMALL_R = [
    [1.02294349521655281, 0.34098116507218423, 0.46775490448359575, 0.53366138566189014,
     0.77716940606320151, 0.98531635826683361, 1.22781008230058930, 1.64064789243217080,
     1.79165020851827061],
    [1.07933736182983653, 0.23011549873149584, 0.67641497827790897, 0.73069856654600585,
     0.91653234431823249, 1.06302854926334067, 1.22438301950265438, 1.48362001283883127,
     1.57488718292107932],
    [0.79254672212829813, 0.19813668053207453, 0.45300893039020262, 0.49712278822408112,
     0.65147604671077552, 0.77609788768035970, 0.91571299349408930, 1.14409715512314447,
     1.22548621070829777],
]  # fmt: skip


def test_discrete_serial_interval_matches_epiestim() -> None:
    w = discrete_serial_interval(np.arange(11), mean_si=2.6, std_si=1.5)
    np.testing.assert_allclose(w, DISCR_SI_R, rtol=1e-13, atol=1e-17)


@pytest.mark.parametrize(("mean_si", "std_si"), [(2.6, 1.5), (4.8, 2.3), (15.3, 9.1), (1.5, 0.2)])
def test_discrete_serial_interval_is_a_distribution_with_the_given_mean(
    mean_si: float, std_si: float
) -> None:
    k = np.arange(400)
    w = discrete_serial_interval(k, mean_si=mean_si, std_si=std_si)
    assert w[0] == 0.0
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    # The linear interpolation of Cori et al. keeps the mean of 1 + Gamma.
    assert (k * w).sum() == pytest.approx(mean_si, rel=1e-9)


def test_one_window_by_hand() -> None:
    # Window 2..4 of SMALL_INCIDENCE: cases 0 + 3 + 5 = 8, prior shape (5/5)^2 = 1 and scale
    # 5^2/5 = 5, so the posterior shape is 9. Infectiousness: L2 = w1*10, L3 = w1*0 + w2*10,
    # L4 = w1*3 + w2*0 + w3*10; scale = 1 / (1/5 + L2 + L3 + L4).
    w = DISCR_SI_R
    total = w[1] * 10 + w[2] * 10 + (w[1] * 3 + w[3] * 10)
    scale = 1 / (1 / 5 + total)
    estimate = cori_rt(SMALL_INCIDENCE, mean_si=2.6, std_si=1.5, t_start=[2], t_end=[4])
    assert estimate.mean[0] == pytest.approx(9 * scale, rel=1e-13)
    assert estimate.std[0] == pytest.approx(3 * scale, rel=1e-13)
    assert estimate.quantiles[0.5][0] == pytest.approx(gamma.ppf(0.5, 9, scale=scale), rel=1e-12)


def test_small_case_matches_epiestim() -> None:
    estimate = cori_rt(
        SMALL_INCIDENCE, mean_si=2.6, std_si=1.5, t_start=[2, 3, 5], t_end=[4, 8, 10]
    )
    ours = np.column_stack(
        [estimate.mean, estimate.std, *(estimate.quantiles[p] for p in QUANTILES)]
    )
    np.testing.assert_allclose(ours, SMALL_R, rtol=1e-12)
    assert estimate.t_start.tolist() == [2, 3, 5] and estimate.t_end.tolist() == [4, 8, 10]


def test_default_windows_are_epiestims_weekly_sliding_windows() -> None:
    estimate = cori_rt(np.ones(20), mean_si=2.6, std_si=1.5)
    assert estimate.t_start.tolist() == list(range(2, 15))
    assert (estimate.t_end - estimate.t_start == 6).all()


def test_no_estimate_before_the_serial_interval_mean() -> None:
    # A window ending on or before the mean of the serial interval gets NA in EpiEstim.
    estimate = cori_rt(np.ones(30), mean_si=6.5, std_si=2.0, t_start=[2, 2, 2], t_end=[5, 6, 7])
    assert np.isnan(estimate.mean[:2]).all() and np.isfinite(estimate.mean[2])
    assert all(np.isnan(q[:2]).all() for q in estimate.quantiles.values())


def test_first_day_cases_are_imported() -> None:
    # Day 1's cases seed the infectiousness but are never counted as caused by R.
    few = cori_rt([1, 5, 5, 5, 5, 5, 5, 5], mean_si=2.6, std_si=1.5)
    many = cori_rt([100, 5, 5, 5, 5, 5, 5, 5], mean_si=2.6, std_si=1.5)
    assert many.mean[0] < few.mean[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mean_si": 1.0}, "mean_si"),
        ({"std_si": 0.0}, "std_si"),
        ({"mean_prior": 0.0}, "prior"),
        ({"t_start": [2]}, "both"),
        ({"t_start": [1], "t_end": [5]}, "t_start"),
        ({"t_start": [2], "t_end": [31]}, "t_end"),
        ({"t_start": [2.5], "t_end": [5]}, "whole"),
        ({"t_start": [6], "t_end": [5]}, "at most"),
        ({"t_start": [2, 3], "t_end": [5]}, "same length"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"mean_si": 2.6, "std_si": 1.5, **kwargs}
    with pytest.raises(ValueError, match=message):
        cori_rt(np.ones(30), **arguments)


def test_bad_incidence() -> None:
    with pytest.raises(ValueError, match="negative"):
        cori_rt([1, 2, -3, 4, 5, 6, 7, 8], mean_si=2.6, std_si=1.5)
    with pytest.raises(ValueError, match="at least 8"):
        cori_rt([1, 2, 3], mean_si=2.6, std_si=1.5)
    with pytest.raises(ValueError, match="shape"):
        cori_rt(np.ones((2, 2, 9)), mean_si=2.6, std_si=1.5)


# --- properties ---------------------------------------------------------------------------------

incidence_values = st.one_of(
    st.integers(0, 200).map(float), st.integers(0, 10**9).map(float), st.just(np.nan)
)


@settings(max_examples=150, deadline=None)
@given(
    incidence=hnp.arrays(np.float64, st.integers(8, 60), elements=incidence_values),
    mean_si=st.floats(1.1, 12),
    std_si=st.floats(0.1, 8),
)
def test_posterior_is_coherent(
    incidence: NDArray[np.float64], mean_si: float, std_si: float
) -> None:
    estimate = cori_rt(incidence, mean_si=mean_si, std_si=std_si)
    estimated = ~np.isnan(estimate.mean)
    assert (estimate.mean[estimated] > 0).all()
    assert (estimate.std[estimated] > 0).all()
    qs = np.array([estimate.quantiles[p][estimated] for p in QUANTILES])
    assert np.isfinite(qs).all()
    assert (np.diff(qs, axis=0) >= 0).all()
    # NaN incidence counts as 0 (EpiEstim's process_I).
    zeroed = cori_rt(np.nan_to_num(incidence), mean_si=mean_si, std_si=std_si)
    np.testing.assert_array_equal(zeroed.mean, estimate.mean)


@settings(max_examples=40, deadline=None)
@given(days=st.integers(8, 60), mean_si=st.floats(1.1, 6))
def test_no_cases_gives_the_prior(days: int, mean_si: float) -> None:
    estimate = cori_rt(np.zeros(days), mean_si=mean_si, std_si=1.0)
    estimated = ~np.isnan(estimate.mean)
    np.testing.assert_allclose(estimate.mean[estimated], 5.0, rtol=1e-14)
    np.testing.assert_allclose(estimate.std[estimated], 5.0, rtol=1e-14)


def test_series_are_independent() -> None:
    rng = np.random.default_rng(9)
    incidence = rng.poisson(rng.uniform(1, 50, size=(4, 1)), size=(4, 50)).astype(float)
    together = cori_rt(incidence, mean_si=3.0, std_si=1.2)
    assert together.mean.shape == (4, 43)  # t_start = 2 .. 50 - 6
    for i in range(4):
        alone = cori_rt(incidence[i], mean_si=3.0, std_si=1.2)
        np.testing.assert_allclose(together.mean[i], alone.mean, rtol=1e-14)
        for p in QUANTILES:
            np.testing.assert_allclose(together.quantiles[p][i], alone.quantiles[p], rtol=1e-14)


def test_huge_incidence_stays_finite() -> None:
    estimate = cori_rt(np.full(40, 1e12), mean_si=2.6, std_si=1.5)
    assert np.isfinite(estimate.mean).all()
    np.testing.assert_allclose(estimate.mean[-5:], 1.0, rtol=1e-3)
