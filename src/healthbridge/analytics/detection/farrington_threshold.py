"""Upper bounds of the Farrington family, and R's discrete quantiles they need.

Ports of ``algo.farrington.threshold.farrington`` and ``algo.farrington.threshold.noufaily``
(R package ``surveillance`` 1.20.3), and of R's ``qnbinom`` / ``qpois`` search (nmath
``qDiscrete_search``), vectorised over problems.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

_EPS = float(np.finfo(np.float64).eps)


def threshold_delta(
    eta0: NDArray[np.float64],
    se_eta: NDArray[np.float64],
    phi: NDArray[np.float64],
    *,
    alpha: float,
    powertrans: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``algo.farrington.threshold.farrington`` (Farrington et al. 1996).

    The upper bound of ``h(Y0) - h(mu0)``, ``h`` the power transformation, by the delta method,
    from the linear predictor ``eta0``, its standard error and the dispersion ``phi``. Returns
    ``(fit, upper)``, ``fit`` the expected count (R's ``predict(type = "response")``).
    """
    with np.errstate(all="ignore"):
        mu0 = np.maximum(np.exp(eta0), _EPS)
        se_fit = se_eta * mu0
        tau = phi + se_fit**2 / mu0
        if powertrans == "none":
            se = np.sqrt(mu0 * tau)
            exponent = 1.0
        elif powertrans == "1/2":
            se = np.sqrt(1 / 4 * tau)
            exponent = 1 / 2
        else:
            se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
            exponent = 2 / 3
        z = special.ndtri(1 - alpha)
        upper = (mu0**exponent + z * se) ** (1 / exponent)
    return mu0, upper


def threshold_noufaily(
    eta0: NDArray[np.float64],
    se_eta: NDArray[np.float64],
    phi: NDArray[np.float64],
    *,
    alpha: float,
    method: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``algo.farrington.threshold.noufaily`` (Noufaily et al. 2013).

    The ``1 - alpha`` quantile of a negative binomial with mean ``exp(eta0)`` (``"nbPlugin"``)
    or the ``1 - alpha`` quantile of that mean (``"muan"``) and variance ``phi * mean``
    (Poisson where ``phi`` is 1). Returns ``(fit, upper)``, ``fit`` on the log scale as R
    passes it on to the score.
    """
    with np.errstate(all="ignore"):
        if method == "nbPlugin":
            mu_q = np.exp(eta0)
        else:
            mu_q = np.exp(eta0 + se_eta * special.ndtri(1 - alpha))
        level = 1 - alpha
        upper = np.full(eta0.shape, np.nan)
        usable = np.isfinite(mu_q) & np.isfinite(phi)
        over = usable & (phi > 1)
        pois = usable & (phi <= 1)
        if over.any():
            size = mu_q[over] / (phi[over] - 1)
            upper[over] = qnbinom(level, size, 1 / phi[over])
        if pois.any():
            upper[pois] = qpois(level, mu_q[pois])
    return eta0, upper


def qnbinom(
    level: float, size: NDArray[np.float64], prob: NDArray[np.float64]
) -> NDArray[np.float64]:
    """R's ``qnbinom(level, size, prob)``, vectorised (0 where ``size`` is 0, as R)."""
    q = 1 / prob
    p = (1 - prob) * q
    mean = size * p
    sigma = np.sqrt(size * p * q)

    def cdf(y: NDArray[np.float64], which: NDArray[np.intp]) -> NDArray[np.float64]:
        return np.asarray(special.betainc(size[which], y + 1, prob[which]))

    found = _discrete_quantile(level, mean, sigma, (q + p) / sigma, cdf)
    return np.where(size == 0, 0.0, found)


def qpois(level: float, mean: NDArray[np.float64]) -> NDArray[np.float64]:
    """R's ``qpois(level, mean)``, vectorised."""
    sigma = np.sqrt(mean)

    def cdf(y: NDArray[np.float64], which: NDArray[np.intp]) -> NDArray[np.float64]:
        return np.asarray(special.gammaincc(y + 1, mean[which]))

    found = _discrete_quantile(level, mean, sigma, 1 / sigma, cdf)
    return np.where(mean == 0, 0.0, found)


def _discrete_quantile(
    level: float,
    mean: NDArray[np.float64],
    sigma: NDArray[np.float64],
    skew: NDArray[np.float64],
    cdf: Callable[[NDArray[np.float64], NDArray[np.intp]], NDArray[np.float64]],
) -> NDArray[np.float64]:
    """Smallest count whose CDF reaches ``level`` (R's ``qDiscrete_search``), vectorised.

    Starts, as R does, from the Cornish-Fisher approximation, widens a bracket around it by
    doubling steps, and bisects; R's fuzz ``level * (1 + 8 eps)`` keeps it left-continuous.
    """
    target = level * (1 + 8 * _EPS)
    z = special.ndtri(level)
    with np.errstate(all="ignore"):
        guess = np.round(mean + sigma * (z + skew * (z * z - 1) / 6))
    result = np.full(mean.shape, np.nan)
    todo = np.flatnonzero(np.isfinite(guess))
    start = np.maximum(guess[todo], 0.0)
    # Invariant: cdf(lo) < target <= cdf(hi), the answer in (lo, hi]; lo = -1 below 0.
    hi = start.copy()
    step = np.ones(todo.size)
    low_side = cdf(hi, todo) < target
    for _ in range(200):
        if not low_side.any():
            break
        hi[low_side] += step[low_side]
        step[low_side] *= 2
        low_side[low_side] = cdf(hi[low_side], todo[low_side]) < target
    lo = np.where(low_side, np.nan, start - 1)
    step = np.ones(todo.size)
    high_side = (lo >= 0) & (cdf(np.maximum(lo, 0), todo) >= target)
    for _ in range(200):
        if not high_side.any():
            break
        hi[high_side] = lo[high_side]
        lo[high_side] = np.maximum(lo[high_side] - step[high_side], -1)
        step[high_side] *= 2
        check = high_side & (lo >= 0)
        high_side[high_side] = False
        high_side[check] = cdf(lo[check], todo[check]) >= target
    for _ in range(64):
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = np.floor((lo[open_] + hi[open_]) / 2)
        reach = cdf(mid, todo[open_]) >= target
        hi[np.flatnonzero(open_)[reach]] = mid[reach]
        lo[np.flatnonzero(open_)[~reach]] = mid[~reach]
    result[todo] = hi
    return result
