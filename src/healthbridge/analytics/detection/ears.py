"""The CDC's Early Aberration Reporting System (EARS) C1, C2 and C3 methods.

Each week's count is compared with the mean and standard deviation of a short moving baseline of
recent weeks: C1 uses the ``baseline`` weeks just before, C2 the same number of weeks ending two
weeks before (a guard band of two weeks), and C3 adds to C2 the excesses of the two previous
weeks. The arithmetic, the weeks each method can score and the treatment of missing counts are
those of ``surveillance::earsC`` (R package ``surveillance`` 1.20.3).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri  # type: ignore[import-untyped,unused-ignore]

EarsMethod = Literal["C1", "C2", "C3"]

#: How many weeks lie between a week and the newest week of its baseline, by method.
_GUARD = {"C1": 1, "C2": 3, "C3": 3}


class EarsResult(NamedTuple):
    """What :func:`ears_c` returns; both arrays have the shape of the counts.

    Attributes
    ----------
    upperbound : NDArray[np.float64]
        R's ``upperbound``: the count above which a week raises an alarm. NaN where the method
        gives none (the first weeks, a missing count in the baseline, or for C3 a zero standard
        deviation that makes the statistic undefined).
    alarm : NDArray[np.bool_]
        ``count > upperbound``; False wherever either is NaN (R gives NA there).
    """

    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]


def first_week(method: EarsMethod, baseline: int = 7) -> int:
    """The first week (1-based) that ``method`` can score: ``baseline + 1``, ``+ 3`` or ``+ 5``.

    These are the weeks R's ``earsC`` monitors when ``control$range`` is left out.
    """
    return baseline + {"C1": 1, "C2": 3, "C3": 5}[method]


def ears_c(
    counts: ArrayLike,
    *,
    method: EarsMethod = "C1",
    baseline: int = 7,
    alpha: float = 0.001,
    min_sigma: float = 0.0,
) -> EarsResult:
    r"""EARS C1, C2 or C3 upper bounds and alarms for every series and week.

    For week :math:`t`, let :math:`\bar y_t` and :math:`s_t` be the mean and the standard
    deviation (divisor :math:`n-1`) of the ``baseline`` counts :math:`y_{t-b}, \dots, y_{t-1}`
    (C1) or :math:`y_{t-b-2}, \dots, y_{t-3}` (C2 and C3), :math:`\sigma_t = \max(s_t,
    \sigma_{min})` and :math:`z = \Phi^{-1}(1-\alpha)`.

    * C1 and C2: ``upperbound`` :math:`= \bar y_t + z\,\sigma_t`.
    * C3: with the C2 statistic :math:`C_t = (y_t - \bar y_t)/\sigma_t` of the C2 baseline,
      ``upperbound`` :math:`= \max\{0,\; y_t + \sigma_t\,(z - \max(0, C_{t-2}-1) -
      \max(0, C_{t-1}-1))\}`, so that ``count > upperbound`` exactly when
      :math:`C_t + \max(0, C_{t-1}-1) + \max(0, C_{t-2}-1) > z` (R's formula, kept as is).

    An alarm is ``count > upperbound``.

    Parameters
    ----------
    counts : array_like, shape (series, weeks) or (weeks,)
        Weekly counts; NaN marks a missing week. As in R (``NA``), a missing count makes the
        mean and standard deviation of every baseline that contains it NaN, and so that week's
        upper bound; the week itself cannot alarm.
    method : {"C1", "C2", "C3"}
        Which EARS method.
    baseline : int
        Weeks in the moving baseline (R's ``baseline``, at least 3).
    alpha : float
        The upper bound is the :math:`1-\alpha` quantile of the normal approximation. R's
        ``earsC`` defaults to 0.025 for C3 when ``control$alpha`` is absent; the reference
        calls pass ``alpha=0.001`` for all three methods, which is this function's default.
    min_sigma : float
        Lower limit of the standard deviation (R's ``minSigma``, at least 0). With the default
        0 a constant baseline gives C1/C2 an upper bound equal to its mean.

    Returns
    -------
    EarsResult
        ``upperbound`` (float, NaN where the method gives none) and ``alarm`` (bool), each of
        the shape of ``counts``. Weeks before :func:`first_week` have NaN and False.

    Raises
    ------
    ValueError
        For an unknown method, ``baseline < 3``, ``min_sigma < 0``, ``alpha`` outside (0, 1),
        counts of more than two dimensions or negative counts.

    References
    ----------
    Hutwagner L, Thompson W, Seeman GM, Treadwell T (2003). The bioterrorism preparedness and
    response Early Aberration Reporting System (EARS). *Journal of Urban Health* 80(2 Suppl 1),
    i89–i96.

    Fricker RD, Hegler BL, Dunfee DA (2008). Comparing syndromic surveillance detection methods:
    EARS' versus a CUSUM-based methodology. *Statistics in Medicine* 27(17), 3407–3429.

    R: ``surveillance::earsC(sts, control = list(method = method, baseline = baseline,
    alpha = alpha, minSigma = min_sigma))``, surveillance 1.20.3 (Salmon, Schumacher, Höhle
    2016, *Journal of Statistical Software* 70(10)).
    """
    if method not in _GUARD:
        raise ValueError(f"method must be 'C1', 'C2' or 'C3', not {method!r}")
    if baseline < 3:
        raise ValueError("baseline must be at least 3 weeks (as in R's earsC)")
    if not min_sigma >= 0:
        raise ValueError("min_sigma must be 0 or more")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie strictly between 0 and 1")
    y = np.asarray(counts, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError("counts must have shape (series, weeks) or (weeks,)")
    if np.any(y < 0):
        raise ValueError("counts must not be negative")
    one_series = y.ndim == 1
    y2 = y[np.newaxis, :] if one_series else y
    upperbound = _upperbound(y2, method=method, baseline=baseline, alpha=alpha, sigma=min_sigma)
    with np.errstate(invalid="ignore"):
        alarm = y2 > upperbound  # NaN compares False: no alarm where R gives NA
    if one_series:
        return EarsResult(upperbound[0], alarm[0])
    return EarsResult(upperbound, alarm)


def _upperbound(
    y: NDArray[np.float64], *, method: EarsMethod, baseline: int, alpha: float, sigma: float
) -> NDArray[np.float64]:
    n_weeks = y.shape[1]
    guard = _GUARD[method]
    z = float(ndtri(1.0 - alpha))
    upperbound = np.full_like(y, np.nan)
    # Week t (0-based) uses the window of `baseline` weeks ending at t - guard.
    first = baseline + guard - 1
    if n_weeks <= first:
        return upperbound
    windows = sliding_window_view(y, baseline, axis=-1)[:, : n_weeks - first]
    # Deviations of subnormal size square to zero (an underflow, harmless: the sd is 0 then).
    with np.errstate(under="ignore"):
        mean = windows.mean(axis=-1)
        sd = np.maximum(windows.std(axis=-1, ddof=1), sigma)  # R's pmax(sd, minSigma): NaN stays
    if method != "C3":
        upperbound[:, first:] = mean + z * sd
        return upperbound
    # C3 needs the C2 statistic of the two previous weeks as well.
    first_c3 = first + 2
    if n_weeks <= first_c3:
        return upperbound
    with np.errstate(divide="ignore", invalid="ignore"):
        c2 = (y[:, first:] - mean) / sd  # ±inf or NaN where sd is 0, as in R
        lag2 = np.maximum(0.0, c2[:, :-2] - 1.0)
        lag1 = np.maximum(0.0, c2[:, 1:-1] - 1.0)
        bound = y[:, first_c3:] + sd[:, 2:] * (z - (lag2 + lag1))
    upperbound[:, first_c3:] = np.maximum(0.0, bound)  # np.maximum keeps NaN, like R's pmax
    return upperbound
