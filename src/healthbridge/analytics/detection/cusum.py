"""The CUSUM of standardised counts with a fixed in-control mean (Rossi et al. 1999).

Each monitored week's count is standardised against the in-control mean :math:`m` (by default the
mean of the weeks before monitoring starts) and the one-sided cumulative sum
:math:`C_t = \\max(0, C_{t-1} + z_t - k)` raises an alarm when it reaches the decision interval
:math:`h`. Arithmetic, transformations and upper bounds are those of ``surveillance::algo.cusum``
(R package ``surveillance`` 1.20.3).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

CusumTransform = Literal["standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none"]
TRANSFORMS: tuple[CusumTransform, ...] = (
    "standard",
    "rossi",
    "anscombe",
    "anscombe2nd",
    "pearsonNegBin",
    "none",
)


class CusumResult(NamedTuple):
    """What :func:`cusum` returns; every array has the shape (series, weeks) of the counts.

    Attributes
    ----------
    cusum : NDArray[np.float64]
        :math:`C_t` on the monitored weeks, NaN elsewhere (and from a missing count on, as in R).
    upperbound : NDArray[np.float64]
        The count that would have made :math:`C_t` reach :math:`h` (R's ``upperbound``, e.g.
        rounded up to a whole count for ``"standard"``), NaN outside the monitored weeks and
        where a missing count leaves it undefined.
    alarm : NDArray[np.bool_]
        :math:`C_t \\ge h`; False outside the monitored weeks and where :math:`C_t` is NaN.
    in_control_mean : NDArray[np.float64]
        :math:`m`, shape (series, monitored weeks) (or (monitored weeks,) for one series): the
        mean the counts are standardised against.
    """

    cusum: NDArray[np.float64]
    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    in_control_mean: NDArray[np.float64]


def cusum(
    counts: ArrayLike,
    *,
    monitor: ArrayLike,
    k: float = 1.04,
    h: float = 2.26,
    m: ArrayLike | None = None,
    trans: CusumTransform = "standard",
    alpha: float = 0.1,
) -> CusumResult:
    r"""CUSUM of standardised counts over the monitored weeks of every series.

    For the monitored weeks :math:`t_1 < t_2 < \dots` (R's ``control$range``), with counts
    :math:`x_t` and in-control mean :math:`m`, the standardised count :math:`z_t` is

    * ``"standard"``: :math:`(x - m)/\sqrt m`;
    * ``"rossi"``: :math:`(x - 3m + 2\sqrt{xm})/(2\sqrt m)`, the transformation of Rossi,
      Lampugnani and Marchi (1999) that makes a Poisson count nearly standard normal;
    * ``"anscombe"``: :math:`\tfrac32 (x^{2/3} - m^{2/3})/m^{1/6}`;
    * ``"anscombe2nd"``: :math:`(x^{2/3} - (m^{2/3} - m^{-1/3}/9))/(\tfrac23 m^{1/6})`;
    * ``"pearsonNegBin"``: :math:`(x - m)/\sqrt{m + \alpha m^2}`;
    * ``"none"``: :math:`x`.

    Then :math:`C_0 = 0`, :math:`C_i = \max(0, C_{i-1} + z_{t_i} - k)` and an alarm is
    :math:`C_i \ge h`. The upper bound is R's: the count :math:`x` solving
    :math:`C_{i-1} + z(x) - k = h` (``ceiling`` of it for ``"standard"``; :math:`h - C_i` for
    ``"none"``), floored at 0, and 0 where that equation has no solution (R's rule).

    Parameters
    ----------
    counts : array_like, shape (series, weeks) or (weeks,)
        Weekly counts. A missing count (NaN) is treated as R treats ``NA``: it makes :math:`C`
        NaN from that week on (no alarm, no upper bound) and, before monitoring starts, makes
        the default in-control mean NaN.
    monitor : array_like of int
        0-based indices of the weeks to monitor, increasing, the first at least 1 when ``m`` is
        not given (the mean needs a week before it).
    k : float
        Reference value (R's ``k``; 1.04 with ``h = 2.26`` are R's defaults).
    h : float
        Decision interval.
    m : array_like, optional
        The in-control mean: a scalar, one per series (shape (series,)), or one per series and
        monitored week (shape (series, len(monitor))). By default the mean of each series' counts
        before the first monitored week (R's ``m = NULL``). R's ``m = "glm"`` is not offered.
    trans : {"standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none"}
        How counts are standardised (R's ``trans``; R's ``"anscombeNegBin"``, which reads a
        hypergeometric function from a lookup table, is not offered).
    alpha : float
        Overdispersion of ``"pearsonNegBin"`` (R's ``alpha``, default 0.1).

    Returns
    -------
    CusumResult
        ``cusum``, ``upperbound`` and ``alarm`` of shape (series, weeks) (or (weeks,) for one
        series), NaN/False outside ``monitor``, and the in-control mean used.

    Raises
    ------
    ValueError
        For an unknown transformation, negative counts, an empty, unsorted or out-of-range
        ``monitor``, or a default mean with no week before monitoring.

    Notes
    -----
    The recursion runs over the monitored weeks in order (a loop over weeks, vectorised over
    series) so that every sum is the one R forms: the ``"standard"`` upper bound is rounded up to
    a whole count, and a closed form through cumulative sums would move it across an integer.

    References
    ----------
    Rossi G, Lampugnani L, Marchi M (1999). An approximate CUSUM procedure for surveillance of
    health events. *Statistics in Medicine* 18(16), 2111–2122.

    Page ES (1954). Continuous inspection schemes. *Biometrika* 41(1/2), 100–115.

    R: ``surveillance::algo.cusum(disProg, control = list(range = monitor + 1, k = k, h = h,
    m = m, trans = trans, alpha = alpha))``, surveillance 1.20.3.
    """
    if trans not in TRANSFORMS:
        raise ValueError(f"trans must be one of {', '.join(TRANSFORMS)}, not {trans!r}")
    x_all = np.asarray(counts, dtype=np.float64)
    if x_all.ndim not in (1, 2):
        raise ValueError("counts must have shape (series, weeks) or (weeks,)")
    if np.any(x_all < 0):
        raise ValueError("counts must not be negative")
    one_series = x_all.ndim == 1
    y = x_all[np.newaxis, :] if one_series else x_all
    n_series, n_weeks = y.shape
    weeks = np.asarray(monitor, dtype=np.int64).ravel()
    if weeks.size == 0:
        raise ValueError("monitor must name at least one week")
    if np.any(np.diff(weeks) <= 0) or weeks[0] < 0 or weeks[-1] >= n_weeks:
        raise ValueError(f"monitor must be increasing week indices within 0..{n_weeks - 1}")

    mean = _in_control_mean(y, m, weeks)
    x = y[:, weeks]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = _standardise(x, mean, trans=trans, alpha=alpha)
        sums = np.empty_like(x)
        previous = np.zeros(n_series)
        for i in range(weeks.size):
            # np.maximum keeps NaN as R's max(0, NA) does: a gap stops the CUSUM.
            previous = np.maximum(0.0, previous + (z[:, i] - k))
            sums[:, i] = previous
        before = np.concatenate([np.zeros((n_series, 1)), sums[:, :-1]], axis=1)
        bound = _upperbound(mean, before, sums, trans=trans, k=k, h=h, alpha=alpha)
        undefined = np.isnan(before) | np.isnan(mean) | np.isnan(sums)
        bound = np.where(np.isnan(bound) & ~undefined, 0.0, bound)  # R: upperbound[NA] <- 0
        bound = np.where(bound < 0, 0.0, bound)
        alarms = sums >= h

    out_sums = np.full_like(y, np.nan)
    out_bound = np.full_like(y, np.nan)
    out_alarm = np.zeros(y.shape, dtype=np.bool_)
    out_sums[:, weeks] = sums
    out_bound[:, weeks] = bound
    out_alarm[:, weeks] = alarms
    if one_series:
        return CusumResult(out_sums[0], out_bound[0], out_alarm[0], mean[0])
    return CusumResult(out_sums, out_bound, out_alarm, mean)


def _in_control_mean(
    y: NDArray[np.float64], m: ArrayLike | None, weeks: NDArray[np.int64]
) -> NDArray[np.float64]:
    n_series = y.shape[0]
    if m is None:
        if weeks[0] < 1:
            raise ValueError("the default in-control mean needs weeks before the first monitored")
        # R: mean(observed[1:(range[1] - 1)]), NA if any of them is.
        per_series = y[:, : weeks[0]].mean(axis=1)
        return np.broadcast_to(per_series[:, np.newaxis], (n_series, weeks.size)).copy()
    given = np.asarray(m, dtype=np.float64)
    if given.ndim == 1:
        given = given[:, np.newaxis]
    try:
        return np.broadcast_to(given, (n_series, weeks.size)).copy()
    except ValueError:
        raise ValueError(
            "m must be a scalar, one value per series, or one per series and monitored week"
        ) from None


def _standardise(
    x: NDArray[np.float64], m: NDArray[np.float64], *, trans: CusumTransform, alpha: float
) -> NDArray[np.float64]:
    if trans == "rossi":
        rossi: NDArray[np.float64] = (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
        return rossi
    if trans == "standard":
        return (x - m) / np.sqrt(m)
    if trans == "anscombe":
        return 3 / 2 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
    if trans == "anscombe2nd":
        return (x ** (2 / 3) - (m ** (2 / 3) - m ** (-1 / 3) / 9)) / (2 / 3 * m ** (1 / 6))
    if trans == "pearsonNegBin":
        return (x - m) / np.sqrt(m + alpha * m**2)
    return x.copy()


def _upperbound(
    m: NDArray[np.float64],
    before: NDArray[np.float64],
    sums: NDArray[np.float64],
    *,
    trans: CusumTransform,
    k: float,
    h: float,
    alpha: float,
) -> NDArray[np.float64]:
    # R's formulas term for term (algo.cusum), so that rounding matches.
    if trans == "rossi":
        root_m = m ** (1 / 2)
        return (
            2 * h * root_m
            + 2 * k * root_m
            - 2 * before * root_m
            + 5 * m
            - 2
            * (4 * m**2 + 2 * m ** (3 / 2) * h + 2 * m ** (3 / 2) * k - 2 * m ** (3 / 2) * before)
            ** (1 / 2)
        )
    if trans == "standard":
        return np.ceil(np.sqrt(m) * (h + k - before) + m)
    if trans == "anscombe":
        inner = (2 / 3) * m ** (1 / 6) * (h + k - before) + m ** (2 / 3)
        return np.where(inner < 0, 0.0, inner ** (3 / 2))
    if trans == "anscombe2nd":
        inner = (2 / 3) * m ** (1 / 6) * (h + k - before) + (m ** (2 / 3) - m ** (1 / 3) / 9)
        return np.where(inner < 0, 0.0, inner ** (3 / 2))
    if trans == "pearsonNegBin":
        return np.sqrt(m + alpha * m**2) * (h + k - before) + m
    return h - sums
