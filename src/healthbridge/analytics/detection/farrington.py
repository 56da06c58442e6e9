"""The Farrington family of outbreak detection: Farrington et al. (1996) and Noufaily et al. (2013).

One kernel, :func:`farrington_flexible`, matches R's ``surveillance::farringtonFlexible`` with all
of its control parameters. For every monitored week it fits a quasi-Poisson GLM to the same
weeks of past years (and, with ``no_periods > 1``, to the weeks in between, as seasonal factor
levels), re-weights past outbreaks, keeps a time trend only where R keeps it, and compares the
count with an upper bound. The many small GLMs are fitted in batches
(:mod:`healthbridge.analytics.detection.farrington_glm`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from healthbridge.analytics.detection.farrington_design import (
    BaselineDesign,
    baseline_design,
    dated_reference_offsets,
)
from healthbridge.analytics.detection.farrington_glm import (
    QuasiPoissonFit,
    fit_quasipoisson,
    hat_values,
    take,
)
from healthbridge.analytics.detection.farrington_threshold import (
    threshold_delta,
    threshold_noufaily,
)

__all__ = ["FarringtonResult", "farrington_flexible"]

_EPS = float(np.finfo(np.float64).eps)
# Problems (series x monitored weeks) fitted together: bounds the memory of one batch.
_BATCH = 4096
_THREADS = 2


class FarringtonResult(NamedTuple):
    """Output of :func:`farrington_flexible`: arrays shaped like ``counts`` (series, weeks).

    Weeks outside ``monitor``, and weeks where R gives NA, are NaN (``alarm`` False).

    Attributes
    ----------
    expected
        The model's expected count (R ``control$expected``), NaN where there is no upper bound,
        and 0 where the model converged neither with nor without the trend (R leaves it at 0).
    upperbound
        Upper bound of the prediction interval; NaN under the ``limit54`` rule or without a model.
    alarm
        Whether the count exceeds the upper bound (a count of 0 never alarms).
    phi
        The dispersion, at least 1 (R ``control$phiVector``).
    trend
        1.0 where the time trend was kept in the final model, 0.0 where not (R ``control$trend``).
    score
        R's exceedance score ``(y - fit) / (upper - fit)``; for ``"nbPlugin"`` and ``"muan"`` R
        takes ``fit`` on the log scale, and so does this.
    """

    expected: NDArray[np.float64]
    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    phi: NDArray[np.float64]
    trend: NDArray[np.float64]
    score: NDArray[np.float64]


@dataclass(frozen=True)
class _Control:
    b: int
    w: int
    reweight: bool
    weights_threshold: float
    trend: bool
    p_threshold_trend: float
    alpha: float
    limit54: tuple[int, int]
    powertrans: str
    no_periods: int
    past_weeks_not_included: int
    threshold_method: str
    dated: bool


class _Batch(NamedTuple):
    """Per-problem outputs of one batch (1-D over problems)."""

    expected: NDArray[np.float64]
    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    phi: NDArray[np.float64]
    trend: NDArray[np.float64]
    score: NDArray[np.float64]


def farrington_flexible(
    counts: ArrayLike,
    *,
    monitor: ArrayLike,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    alpha: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: str = "2/3",
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: str = "delta",
    frequency: int = 52,
    dates: ArrayLike | None = None,
) -> FarringtonResult:
    """Farrington flexible outbreak detection over many series at once.

    Parameters
    ----------
    counts
        Weekly counts, shape (series, weeks); NaN is a missing count (R's NA: left out of the
        model; a NaN among the ``limit54`` weeks leaves that week without a bound).
    monitor
        0-based indices of the weeks to compute (R's ``range`` minus one).
    b
        How many years back the reference weeks go (R ``b``).
    w
        Half-width of the window around each reference week (R ``w``).
    reweight
        Down-weight past outbreaks by their Anscombe residuals (R ``reweight``).
    weights_threshold
        Residual above which a week is down-weighted (R ``weightsThreshold``; 1 in the 1996
        paper, 2.58 in Noufaily et al. 2013).
    trend
        Fit a linear time trend where it is significant (R ``trend``).
    p_threshold_trend
        Significance level of the trend (R ``pThresholdTrend``; 1 keeps it whenever it does
        not extrapolate beyond the largest baseline count).
    alpha
        One-sided level of the prediction interval (R ``alpha``).
    limit54
        ``(cases, weeks)``: no upper bound (and no alarm) unless at least ``cases`` were counted
        in the last ``weeks`` weeks, the current one included (R ``limit54``).
    powertrans
        ``"2/3"``, ``"1/2"`` or ``"none"``: the power transformation of the ``"delta"`` threshold.
    no_periods
        Number of seasonal factor levels; 1 uses the reference windows only (R ``noPeriods``).
    past_weeks_not_included
        Recent weeks left out of the baseline; None means ``w`` (R ``pastWeeksNotIncluded``).
    threshold_method
        ``"delta"`` (Farrington 1996), ``"nbPlugin"`` or ``"muan"`` (Noufaily 2013).
    frequency
        Weeks per year (R ``freq``): without ``dates`` the reference weeks lie ``frequency * i``
        weeks back, as R does for an ``sts`` without ``epochAsDate``.
    dates
        Optional evenly spaced dates of the weeks (e.g. the Monday of each ISO week). Given,
        the reference weeks are found as R does for an ``sts`` with ``epochAsDate = TRUE``: the
        same date ``i`` years back, moved to the nearest same weekday for weekly data, so that
        they are sometimes 53 weeks apart.

    Returns
    -------
    FarringtonResult
        ``expected``, ``upperbound``, ``alarm``, ``phi``, ``trend``, ``score`` (series, weeks).

    Raises
    ------
    ValueError
        For parameters R refuses (``limit54`` out of bounds, an unknown method or
        transformation, ``no_periods`` too large for the gaps between windows), negative
        counts, or monitored weeks outside the series.

    Notes
    -----
    Weeks that R cannot compute get no result here (NaN, no alarm): a reference week before the
    start of the series (R stops: "Some reference time points did not exist"), a model that
    converges neither with nor without the trend (``expected`` is 0 there, as R leaves it), or
    a baseline without any count. Defaults are those of ``farringtonFlexible`` (``b = 5``);
    the Noufaily et al. (2013) settings are ``b=5, w=3, weights_threshold=2.58,
    p_threshold_trend=1, no_periods=10, past_weeks_not_included=26,
    threshold_method="nbPlugin"``.

    R's own behaviour is kept where it differs from the papers: after reweighting, the trend's
    t-test and the standard error of the prediction use ``sum(omega * r^2) / df`` (R overwrites
    the model's working weights with the Anscombe weights ``omega``), while ``phi`` is the
    refit's dispersion; the ``"nbPlugin"``/``"muan"`` score is taken against the log-scale fit.

    References
    ----------
    Farrington, C. P., Andrews, N. J., Beale, A. D. and Catchpole, M. A. (1996). A statistical
    algorithm for the early detection of outbreaks of infectious disease. Journal of the Royal
    Statistical Society, Series A, 159(3), 547-563.

    Noufaily, A., Enki, D. G., Farrington, P., Garthwaite, P., Andrews, N. and Charlett, A.
    (2013). An improved algorithm for outbreak detection in multiple surveillance systems.
    Statistics in Medicine, 32(7), 1206-1222.

    Salmon, M., Schumacher, D. and Höhle, M. (2016). Monitoring count time series in R:
    aberration detection in public health surveillance. Journal of Statistical Software, 70(10).
    R: ``surveillance::farringtonFlexible`` (surveillance 1.20.3).
    """
    data = np.asarray(counts, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError("counts must be a 2-D array (series, weeks)")
    weeks_to_do = np.unique(np.asarray(monitor, dtype=np.int64).ravel())
    n_series, n_weeks = data.shape
    if weeks_to_do.size and (weeks_to_do[0] < 0 or weeks_to_do[-1] >= n_weeks):
        raise ValueError("monitor holds week indices outside the series")
    if np.any(data < 0):
        raise ValueError("counts must not be negative (quasi-Poisson model)")
    control = _control(
        b=b,
        w=w,
        reweight=reweight,
        weights_threshold=weights_threshold,
        trend=trend,
        p_threshold_trend=p_threshold_trend,
        alpha=alpha,
        limit54=limit54,
        powertrans=powertrans,
        no_periods=no_periods,
        past_weeks_not_included=past_weeks_not_included,
        threshold_method=threshold_method,
        dated=dates is not None,
    )
    day_numbers = None if dates is None else _check_dates(dates, n_weeks)

    out = FarringtonResult(
        expected=np.full(data.shape, np.nan),
        upperbound=np.full(data.shape, np.nan),
        alarm=np.zeros(data.shape, dtype=bool),
        phi=np.full(data.shape, np.nan),
        trend=np.full(data.shape, np.nan),
        score=np.full(data.shape, np.nan),
    )
    if n_series == 0:
        return out
    jobs = []
    for design, weeks in _designs(weeks_to_do, control, frequency, day_numbers):
        series = np.repeat(np.arange(n_series), weeks.size)
        week_of = np.tile(weeks, n_series)
        size = _batch_size(series.size)
        for start in range(0, series.size, size):
            jobs.append((design, series[start : start + size], week_of[start : start + size]))

    def run(job: tuple[BaselineDesign, NDArray[np.int64], NDArray[np.int64]]) -> None:
        design, s, t = job
        batch = _evaluate(data, s, t, design, control)
        for name, values in zip(FarringtonResult._fields, batch, strict=True):
            getattr(out, name)[s, t] = values

    # NumPy releases the GIL in its loops: two threads keep two cores busy between the
    # (already threaded) matrix products. Batches write to disjoint cells of the output.
    if len(jobs) > 1 and _THREADS > 1:
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            list(pool.map(run, jobs))
    else:
        for job in jobs:
            run(job)
    return out


def _batch_size(problems: int) -> int:
    """Split into at least one batch per thread, none larger than ``_BATCH``."""
    per_thread = -(-problems // _THREADS)
    return max(256, min(_BATCH, per_thread))


def _control(
    *,
    b: int,
    w: int,
    reweight: bool,
    weights_threshold: float,
    trend: bool,
    p_threshold_trend: float,
    alpha: float,
    limit54: tuple[int, int],
    powertrans: str,
    no_periods: int,
    past_weeks_not_included: int | None,
    threshold_method: str,
    dated: bool,
) -> _Control:
    if b < 1:
        raise ValueError("b must be at least 1")
    if w < 0:
        raise ValueError("w must not be negative")
    if no_periods < 1:
        raise ValueError("no_periods must be at least 1")
    cases, period = limit54
    if not (cases >= 0 and period > 0):
        raise ValueError("limit54 out of bounds: cases >= 0 and period > 0")
    if powertrans not in ("2/3", "1/2", "none"):
        raise ValueError("powertrans must be '2/3', '1/2' or 'none'")
    if threshold_method not in ("delta", "nbPlugin", "muan"):
        raise ValueError("threshold_method must be 'delta', 'nbPlugin' or 'muan'")
    if not 0 < alpha < 1:
        raise ValueError("alpha must lie between 0 and 1")
    pwni = w if past_weeks_not_included is None else past_weeks_not_included
    if pwni < 0:
        raise ValueError("past_weeks_not_included must not be negative")
    return _Control(
        b=b,
        w=w,
        reweight=reweight,
        weights_threshold=weights_threshold,
        trend=trend,
        p_threshold_trend=p_threshold_trend,
        alpha=alpha,
        limit54=(int(cases), int(period)),
        powertrans=powertrans,
        no_periods=no_periods,
        past_weeks_not_included=pwni,
        threshold_method=threshold_method,
        dated=dated,
    )


def _check_dates(dates: ArrayLike, n_weeks: int) -> NDArray[np.datetime64]:
    days = np.asarray(dates, dtype="datetime64[D]")
    if days.shape != (n_weeks,):
        raise ValueError("dates must hold one date per week")
    steps = np.diff(days.astype(np.int64))
    if steps.size and (steps[0] <= 0 or np.any(steps != steps[0])):
        raise ValueError("dates must be increasing and evenly spaced")
    return days


def _designs(
    weeks: NDArray[np.int64],
    control: _Control,
    frequency: int,
    dates: NDArray[np.datetime64] | None,
) -> Iterator[tuple[BaselineDesign, NDArray[np.int64]]]:
    """Group the monitored weeks by their baseline pattern, keeping those R can compute."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for t in weeks.tolist():
        if dates is None:
            offsets: tuple[int, ...] | None = tuple(frequency * i for i in range(1, control.b + 1))
            if t - control.b * frequency < 0:
                offsets = None
        else:
            offsets = dated_reference_offsets(dates, t, b=control.b, frequency=frequency)
        if offsets is not None:
            groups.setdefault(offsets, []).append(t)
    for offsets, members in groups.items():
        design = baseline_design(
            offsets,
            w=control.w,
            no_periods=control.no_periods,
            past_weeks_not_included=control.past_weeks_not_included,
        )
        if control.no_periods not in design.level_values:
            raise ValueError("no level of the current period is left in the baseline")
        k = np.asarray(members, dtype=np.int64) + 1  # R's 1-based index of the week
        # R stops on negative indices: blocks before the series, pastWeeksNotIncluded, limit54.
        fine = (
            (k >= design.reach)
            & (k >= control.past_weeks_not_included)
            & (k - control.limit54[1] + 1 >= 0)
        )
        if fine.any():
            yield design, k[fine] - 1


def _evaluate(
    data: NDArray[np.float64],
    series: NDArray[np.int64],
    weeks: NDArray[np.int64],
    design: BaselineDesign,
    control: _Control,
) -> _Batch:
    """Fit and threshold every (series, week) problem of one batch."""
    n = series.size
    offsets = design.offsets
    positions = weeks[:, None] - offsets[None, :]
    inside = positions >= 0  # R index 0 (position -1) is silently dropped by R
    y = data[series[:, None], np.maximum(positions, 0)]
    valid = inside & ~np.isnan(y)
    y = np.where(valid, y, 0.0)
    prior = valid.astype(np.float64)
    y_power = y ** (2 / 3) if control.reweight else y  # for the Anscombe residuals
    observed_rows = valid.sum(axis=1)

    x_trend, x_plain, x0_trend, x0_plain = _model_matrices(design, control.no_periods)
    n_trend = x_trend.shape[1] - x_plain.shape[1]
    x0t = np.broadcast_to(x0_trend, (n, x0_trend.size)).copy()
    if control.dated and n_trend:
        # R predicts at (day - first non-missing baseline day) but fits time from the first
        # baseline day, missing or not: the prediction time shifts when that day is missing.
        first_block = np.where(inside, offsets[None, :], -1).max(axis=1)
        first_valid = np.where(valid, offsets[None, :], -1).max(axis=1)
        x0t[:, 1] = np.where(first_valid >= 0, first_valid - first_block, 0)
    x0p = np.broadcast_to(x0_plain, (n, x0_plain.size))
    max_response = np.where(valid, y, -np.inf).max(axis=1)

    # The final model of each problem: linear predictor and its variance, dispersion.
    eta0 = np.full(n, np.nan)
    var0 = np.full(n, np.nan)
    dispersion = np.full(n, np.nan)
    phi = np.full(n, np.nan)
    kept_trend = np.zeros(n, dtype=bool)
    has_model = np.zeros(n, dtype=bool)
    # R's "no convergence with nor without time trend": no model, but R leaves `expected` at 0.
    unconverged = np.zeros(n, dtype=bool)
    trend_dropped = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(observed_rows > 0)

    need_plain = candidates
    if control.trend and n_trend:
        first = fit_quasipoisson(x_trend, y[candidates], prior[candidates])
        converged = first.converged & first.ok & (first.df_residual > 0)
        idx = candidates[converged]
        model = _reweighted(
            x_trend, y[idx], y_power[idx], valid[idx], take(first, converged), control
        )
        ok = model.ok
        e0 = np.einsum("pi,pi->p", x0t[idx], model.fit.beta)
        with np.errstate(all="ignore"):
            fitted = np.maximum(np.exp(e0), _EPS)  # predict.glm(type="response")
            se_slope = np.sqrt(model.dispersion * model.fit.ginv[:, 1, 1])
            t_value = model.fit.beta[:, 1] / se_slope
            p_value = 2 * special.stdtr(model.fit.df_residual, -np.abs(t_value))
        no_extrapolation = fitted <= max_response[idx]
        if control.b >= 3:
            # R: `significant && noExtrapolation` is NA (and R stops) for a NaN p-value.
            ok &= ~(np.isnan(p_value) & no_extrapolation)
            keep = (p_value < control.p_threshold_trend) & no_extrapolation & ok
        else:
            keep = np.zeros(idx.size, dtype=bool)
        chosen = idx[keep]
        kept_trend[chosen] = True
        has_model[chosen] = True
        eta0[chosen] = e0[keep]
        var0[chosen] = np.einsum("pi,pij,pj->p", x0t[chosen], model.fit.ginv[keep], x0t[chosen])
        dispersion[chosen] = model.dispersion[keep]
        phi[chosen] = model.phi[keep]
        dropped = np.zeros(n, dtype=bool)
        dropped[idx[~ok]] = True
        trend_dropped[idx[ok & ~keep]] = True
        need_plain = candidates[~np.isin(candidates, chosen) & ~dropped[candidates]]

    if need_plain.size:
        first = fit_quasipoisson(x_plain, y[need_plain], prior[need_plain])
        converged = first.converged & first.ok & (first.df_residual > 0)
        idx = need_plain[converged]
        # After a dropped trend R does not survive a refit that fails (it stops): no result.
        failed = need_plain[~first.converged]
        unconverged[failed[~trend_dropped[failed]]] = True
        model = _reweighted(
            x_plain, y[idx], y_power[idx], valid[idx], take(first, converged), control
        )
        ok = model.ok
        chosen = idx[ok]
        has_model[chosen] = True
        eta0[chosen] = np.einsum("pi,pi->p", x0p[chosen], model.fit.beta[ok])
        var0[chosen] = np.einsum("pi,pij,pj->p", x0p[chosen], model.fit.ginv[ok], x0p[chosen])
        dispersion[chosen] = model.dispersion[ok]
        phi[chosen] = model.phi[ok]

    with np.errstate(invalid="ignore"):
        se_eta = np.sqrt(var0 * dispersion)
    current = data[series, weeks]
    if control.threshold_method == "delta":
        fit, upper = threshold_delta(
            eta0, se_eta, phi, alpha=control.alpha, powertrans=control.powertrans
        )
    else:
        fit, upper = threshold_noufaily(
            eta0, se_eta, phi, alpha=control.alpha, method=control.threshold_method
        )
    with np.errstate(all="ignore"):
        score = (current - fit) / (upper - fit)
    cases, period = control.limit54
    recent = data[series[:, None], np.maximum(weeks[:, None] - np.arange(period)[None, :], 0)]
    recent = np.where(weeks[:, None] - np.arange(period)[None, :] >= 0, recent, 0.0)
    enough = recent.sum(axis=1) >= cases  # NaN in the window: R's NA, no bound
    bounded = enough & ~np.isnan(upper) & has_model
    with np.errstate(invalid="ignore"):
        alarm = bounded & (score > 1) & (current != 0)
    with np.errstate(over="ignore"):
        expected = np.exp(eta0) if control.threshold_method != "delta" else fit
    return _Batch(
        expected=np.where(bounded, expected, np.where(unconverged, 0.0, np.nan)),
        upperbound=np.where(bounded, upper, np.nan),
        alarm=alarm,
        phi=np.where(has_model, phi, np.nan),
        trend=np.where(has_model, kept_trend.astype(np.float64), np.nan),
        score=np.where(has_model, score, np.nan),
    )


def _model_matrices(
    design: BaselineDesign, no_periods: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Design matrices with and without the trend, and the rows to predict the current week.

    Columns in R's order: intercept, ``wtime``, then one dummy per ``seasgroups`` level after the
    first (treatment contrasts). Time is counted in weeks from the monitored week (R counts from
    the start; the fit is the same, the numbers better conditioned).
    """
    rows = design.offsets.size
    time = -design.offsets.astype(np.float64)
    others = design.level_values[1:]
    dummies = (design.levels[:, None] == np.asarray(others, dtype=np.int64)[None, :]).astype(
        np.float64
    )
    current = (np.asarray(others) == no_periods).astype(np.float64)
    ones = np.ones((rows, 1))
    x_trend = np.hstack([ones, time[:, None], dummies])
    x_plain = np.hstack([ones, dummies])
    x0_trend = np.concatenate([[1.0, 0.0], current])
    x0_plain = np.concatenate([[1.0], current])
    return x_trend, x_plain, x0_trend, x0_plain


class _Model(NamedTuple):
    """The model ``algo.farrington.fitGLM.flexible`` hands back, as far as R uses it later."""

    fit: QuasiPoissonFit
    phi: NDArray[np.float64]
    dispersion: NDArray[np.float64]
    ok: NDArray[np.bool_]


def _reweighted(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    y_power: NDArray[np.float64],
    valid: NDArray[np.bool_],
    fit: QuasiPoissonFit,
    control: _Control,
) -> _Model:
    """R's ``algo.farrington.fitGLM.flexible`` after the first fit: Anscombe weights, refit.

    Returns the model R goes on with and where it is usable (R does not check the refit's
    convergence, and neither does this). ``phi`` is ``max(dispersion, 1)`` of the refit.
    ``dispersion`` is what ``summary.glm`` and ``predict.glm`` find later: R overwrites
    ``model$weights`` (the working weights) with the Anscombe weights ``omega`` before returning
    the model, so the trend's t-test and the standard error of the prediction use
    ``sum(omega * r^2) / df`` with the working residuals ``r``, not the model's dispersion.
    """
    ok = fit.ok & (fit.df_residual > 0)
    if not control.reweight:
        return _Model(fit, np.maximum(fit.dispersion, 1.0), fit.dispersion, ok)
    phi = np.maximum(fit.dispersion, 1.0)
    hat = hat_values(x, fit)
    mu = fit.mu
    with np.errstate(all="ignore"):
        anscombe = 1.5 * (y_power * mu ** (-1 / 6) - np.sqrt(mu))
        s = anscombe / np.sqrt(phi[:, None] * (1 - hat))
        above = s > control.weights_threshold
        inverse_square = 1 / (s * s)
        gamma = valid.sum(axis=1) / np.where(valid, np.where(above, inverse_square, 1.0), 0.0).sum(
            axis=1
        )
        omega = np.where(valid, gamma[:, None] * np.where(above, inverse_square, 1.0), 0.0)
    # A NaN residual (0/0 at a hat value of 1) makes R stop.
    ok &= ~np.any(np.isnan(s) & valid, axis=1) & np.isfinite(gamma)
    omega = np.where(ok[:, None], omega, valid.astype(np.float64))
    refit = fit_quasipoisson(x, y, omega)
    ok &= refit.ok & (refit.df_residual > 0)
    with np.errstate(all="ignore"):
        resid = np.where(omega > 0, (y - refit.mu) / refit.mu, 0.0)
        dispersion = np.einsum("pl,pl->p", omega, resid * resid) / refit.df_residual
    return _Model(refit, np.maximum(refit.dispersion, 1.0), dispersion, ok)
