"""The time-varying reproduction number of Cori et al. (2013), as R's EpiEstim computes it.

Over each time window the reproduction number :math:`R` is given a gamma prior; the cases of the
window are Poisson with mean :math:`R\\,\\Lambda_t`, where the total infectiousness
:math:`\\Lambda_t = \\sum_{s \\ge 1} w_s I_{t-s}` weighs earlier incidence by the serial interval
distribution :math:`w`. The posterior is gamma again, so its mean, standard deviation and
quantiles are closed-form.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.signal import convolve  # type: ignore[import-untyped,unused-ignore]
from scipy.special import gammaincinv  # type: ignore[import-untyped,unused-ignore]
from scipy.stats import gamma  # type: ignore[import-untyped,unused-ignore]

#: The posterior quantiles EpiEstim reports (0.5 is its ``Median(R)``).
QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
#: EpiEstim's default window: R over a week, ``t_end = t_start + 6``.
WINDOW_DAYS = 7


class RtEstimate(NamedTuple):
    """What :func:`cori_rt` returns: one entry per time window (EpiEstim's ``estimate_R()$R``).

    Attributes
    ----------
    t_start, t_end : NDArray[np.int64], shape (windows,)
        The windows' first and last time steps, 1-based and inclusive.
    mean, std : NDArray[np.float64], shape (windows,) or (series, windows)
        The posterior mean and standard deviation of R (``Mean(R)``, ``Std(R)``). NaN where
        EpiEstim gives NA: a window ending on or before the serial interval's mean.
    quantiles : dict[float, NDArray[np.float64]]
        Posterior quantiles of R by probability, at :data:`QUANTILES`; NaN where ``mean`` is.
    """

    t_start: NDArray[np.int64]
    t_end: NDArray[np.int64]
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    quantiles: dict[float, NDArray[np.float64]]


def discrete_serial_interval(k: ArrayLike, *, mean_si: float, std_si: float) -> NDArray[np.float64]:
    r"""The discretised gamma serial interval :math:`w_k` of Cori et al. (2013), Web Appendix 11.

    :math:`1 + \text{Gamma}` with mean ``mean_si`` and standard deviation ``std_si``, spread over
    whole time steps by linear interpolation: with :math:`F_a` the gamma distribution function of
    shape :math:`a = ((\mu-1)/\sigma)^2` and scale :math:`b = \sigma^2/(\mu-1)`,

    .. math::
        w_k = k F_a(k) + (k-2) F_a(k-2) - 2(k-1) F_a(k-1)
              + ab\,(2 F_{a+1}(k-1) - F_{a+1}(k-2) - F_{a+1}(k)),

    floored at 0 (rounding can make a term slightly negative). :math:`w_0 = 0`.

    Parameters
    ----------
    k : array_like of int
        Time steps, each at least 0.
    mean_si : float
        Mean of the serial interval, more than 1.
    std_si : float
        Its standard deviation, more than 0.

    Returns
    -------
    NDArray[np.float64]
        :math:`w_k` for every ``k``.

    References
    ----------
    Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and software to estimate
    time-varying reproduction numbers during epidemics. *American Journal of Epidemiology*
    178(9), 1505–1512. R: ``EpiEstim::discr_si(k, mu, sigma)``, EpiEstim 2.2-4.
    """
    if not mean_si > 1:
        raise ValueError("mean_si must be more than 1")
    if not std_si > 0:
        raise ValueError("std_si must be more than 0")
    steps = np.asarray(k, dtype=np.float64)
    if np.any(steps < 0):
        raise ValueError("every k must be 0 or more")
    a = ((mean_si - 1.0) / std_si) ** 2
    b = std_si**2 / (mean_si - 1.0)

    def cdf(x: NDArray[np.float64], shape: float) -> NDArray[np.float64]:
        return np.asarray(gamma.cdf(x, shape, scale=b), dtype=np.float64)

    w = (
        steps * cdf(steps, a)
        + (steps - 2) * cdf(steps - 2, a)
        - 2 * (steps - 1) * cdf(steps - 1, a)
    )
    w = w + a * b * (2 * cdf(steps - 1, a + 1) - cdf(steps - 2, a + 1) - cdf(steps, a + 1))
    return np.maximum(0.0, w)


def cori_rt(
    incidence: ArrayLike,
    *,
    mean_si: float,
    std_si: float,
    t_start: ArrayLike | None = None,
    t_end: ArrayLike | None = None,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
) -> RtEstimate:
    r"""Posterior of the reproduction number over time windows, with a parametric serial interval.

    With the gamma prior of mean ``mean_prior`` and standard deviation ``std_prior`` (shape
    :math:`a_0 = (\mu_0/\sigma_0)^2`, scale :math:`b_0 = \sigma_0^2/\mu_0`), the posterior of R
    over the window :math:`[t_s, t_e]` is gamma with shape :math:`a_0 + \sum_{t=t_s}^{t_e} I_t`
    and scale :math:`1/(1/b_0 + \sum_{t=t_s}^{t_e} \Lambda_t)`, where
    :math:`\Lambda_t = \sum_{k=1}^{t-1} w_k I_{t-k}` and :math:`w` is
    :func:`discrete_serial_interval` over :math:`k = 0, \dots, T-1`.

    As in EpiEstim, the cases of the first time step are taken as imported (they seed
    :math:`\Lambda` but are never counted as caused by R, which windows starting at step 2 or
    later ensure), missing incidence (NaN) counts as 0, and a window ending on or before the
    mean of the (truncated) serial interval gets no estimate (NaN).

    Parameters
    ----------
    incidence : array_like, shape (days,) or (series, days)
        Incidence per time step (daily in EpiEstim's examples), non-negative; NaN is 0.
    mean_si, std_si : float
        Mean (more than 1) and standard deviation (more than 0) of the serial interval, in time
        steps (EpiEstim's ``config$mean_si``, ``config$std_si``).
    t_start, t_end : array_like of int, optional
        The windows, 1-based and inclusive, each within ``2 .. days`` with
        ``t_start <= t_end``. Both or neither; by default EpiEstim's weekly sliding windows
        ``t_start = 2 .. days-6``, ``t_end = t_start + 6``.
    mean_prior, std_prior : float
        Mean and standard deviation of the gamma prior of R (EpiEstim's defaults: 5 and 5).

    Returns
    -------
    RtEstimate
        Windows, posterior mean, standard deviation and the quantiles :data:`QUANTILES`;
        arrays of shape (windows,) for one series, (series, windows) for several.

    Raises
    ------
    ValueError
        For bad serial interval or prior parameters, negative incidence, fewer than 8 time
        steps with the default windows, or windows outside ``2 .. days``.

    References
    ----------
    Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and software to estimate
    time-varying reproduction numbers during epidemics. *American Journal of Epidemiology*
    178(9), 1505–1512.

    R: ``EpiEstim::estimate_R(incid, method = "parametric_si", config = make_config(list(
    mean_si = mean_si, std_si = std_si, t_start = t_start, t_end = t_end,
    mean_prior = mean_prior, std_prior = std_prior)))``, EpiEstim 2.2-4.
    """
    if not mean_prior > 0 or not std_prior > 0:
        raise ValueError("mean_prior and std_prior must be more than 0")
    cases = np.asarray(incidence, dtype=np.float64)
    if cases.ndim not in (1, 2):
        raise ValueError("incidence must have shape (days,) or (series, days)")
    cases = np.nan_to_num(np.atleast_2d(cases), nan=0.0, posinf=np.inf)
    if np.any(cases < 0):
        raise ValueError("incidence must not be negative")
    n_days = cases.shape[1]
    starts, ends = _windows(t_start, t_end, n_days)

    si = discrete_serial_interval(np.arange(n_days), mean_si=mean_si, std_si=std_si)
    final_mean_si = float(np.sum(si * np.arange(n_days)))
    # Lambda_t = sum_{k=0}^{t} w_k I_{t-k}; w_0 = 0 so today's cases never infect today.
    # Direct (not FFT) convolution keeps every product exact to rounding.
    infectiousness = convolve(cases, si[np.newaxis, :], mode="full", method="direct")[:, :n_days]

    # Window sums through cumulative sums; index 0 of each is the empty sum.
    zero = np.zeros((cases.shape[0], 1))
    cum_cases = np.concatenate([zero, np.cumsum(cases, axis=1)], axis=1)
    cum_lambda = np.concatenate([zero, np.cumsum(infectiousness, axis=1)], axis=1)
    window_cases = cum_cases[:, ends] - cum_cases[:, starts - 1]
    window_lambda = cum_lambda[:, ends] - cum_lambda[:, starts - 1]

    a_prior = (mean_prior / std_prior) ** 2
    b_prior = std_prior**2 / mean_prior
    shape = a_prior + window_cases
    scale = 1.0 / (1.0 / b_prior + window_lambda)
    estimable = np.broadcast_to(ends > final_mean_si, shape.shape)
    shape = np.where(estimable, shape, np.nan)
    scale = np.where(estimable, scale, np.nan)

    mean = shape * scale
    std = np.sqrt(shape) * scale
    quantiles = {p: gammaincinv(shape, p) * scale for p in QUANTILES}
    if np.ndim(incidence) == 1:
        return RtEstimate(starts, ends, mean[0], std[0], {p: q[0] for p, q in quantiles.items()})
    return RtEstimate(starts, ends, mean, std, quantiles)


def _windows(
    t_start: ArrayLike | None, t_end: ArrayLike | None, n_days: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if (t_start is None) != (t_end is None):
        raise ValueError("give both t_start and t_end, or neither")
    if t_start is None or t_end is None:
        if n_days < WINDOW_DAYS + 1:
            raise ValueError(
                f"the default weekly windows need at least {WINDOW_DAYS + 1} time steps"
            )
        starts = np.arange(2, n_days - WINDOW_DAYS + 2, dtype=np.int64)
        return starts, starts + (WINDOW_DAYS - 1)
    raw_starts = np.atleast_1d(np.asarray(t_start, dtype=np.float64))
    raw_ends = np.atleast_1d(np.asarray(t_end, dtype=np.float64))
    if raw_starts.shape != raw_ends.shape or raw_starts.ndim != 1:
        raise ValueError("t_start and t_end must be vectors of the same length")
    for name, values in (("t_start", raw_starts), ("t_end", raw_ends)):
        if np.any((values < 2) | (values > n_days) | (values % 1 != 0)):
            raise ValueError(f"{name} must hold whole time steps between 2 and {n_days}")
    if np.any(raw_starts > raw_ends):
        raise ValueError("every t_start must be at most its t_end")
    return raw_starts.astype(np.int64), raw_ends.astype(np.int64)
