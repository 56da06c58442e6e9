"""Many small quasi-Poisson GLMs (log link) fitted at once, as R's ``glm.fit`` fits one.

Every problem shares one design matrix ``X`` (rows: the baseline weeks of a
:class:`~healthbridge.analytics.detection.farrington_design.BaselineDesign`) and has its own
counts and prior weights (0 where a week is missing or lies before the series). The IRLS
iterations run on all problems together: the normal equations ``X' W X`` of every problem come
from one matrix product, and they are solved in a batch. The rules are R's: start at
``mu = y + 0.1``, stop when ``|dev - devold| / (|dev| + 0.1) < epsilon`` (1e-8) or after
``maxit`` (25) iterations, halve the step when the deviance is not finite or a mean is not
positive, drop aliased columns as the pivoting QR of ``Cdqrls`` does (column order kept), and
keep the working weights of the last iteration for the dispersion, the covariance and the hat
values (as ``summary.glm``, ``predict.glm`` and ``hatvalues`` use the QR of the last iteration).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import xlogy

# Squared relative norm under which a column counts as a combination of the earlier ones. The
# designs here are exactly collinear or clearly not (0/1 indicators and week numbers), so this
# only needs to sit well above rounding and well below any real residual.
_ALIAS_TOLERANCE = 1e-9
# R's log link keeps means and their derivative at least the machine epsilon.
_EPS = float(np.finfo(np.float64).eps)
_LOG_EPS = float(np.log(_EPS))


class QuasiPoissonFit(NamedTuple):
    """The state of each problem's fit where IRLS stopped (arrays over problems first).

    ``weights`` and ``ginv`` belong to the last IRLS iteration (R's ``model$weights`` and the
    inverse of ``R'R`` from ``model$qr``); ``beta``, ``mu`` to its update. ``ok`` is False where
    R stops with an error or ``glm.fit`` gives up (non-finite coefficients).
    """

    beta: NDArray[np.float64]
    mu: NDArray[np.float64]
    weights: NDArray[np.float64]
    ginv: NDArray[np.float64]
    converged: NDArray[np.bool_]
    ok: NDArray[np.bool_]
    df_residual: NDArray[np.int64]
    dispersion: NDArray[np.float64]


def aliased_columns(x: NDArray[np.float64], present: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Columns of ``x`` that R's pivoting QR (``dqrdc2``) sets aside for each problem.

    Column by column, in order, a column whose part orthogonal to the kept earlier columns is
    negligible is aliased. Rank deficiency here is structural (a ``seasgroups`` level without
    any observed week, too few weeks), so it is decided on the unweighted rows once.
    """
    p = x.shape[1]
    # Most problems observe every row: decide those once.
    full = present.all(axis=1)
    if full.all() and full.size > 1:
        return np.broadcast_to(aliased_columns(x, present[:1]), (full.size, p)).copy()
    if full.any() and not full.all():
        aliased = np.empty((full.size, p), dtype=bool)
        aliased[full] = aliased_columns(x, present[np.flatnonzero(full)[:1]])[0]
        aliased[~full] = aliased_columns(x, present[~full])
        return aliased
    outer = np.einsum("li,lj->lij", x, x).reshape(x.shape[0], p * p)
    gram = (present.astype(np.float64) @ outer).reshape(-1, p, p)
    n = gram.shape[0]
    chol = np.zeros_like(gram)
    aliased = np.zeros((n, p), dtype=bool)
    for j in range(p):
        lj = chol[:, j, :j]
        d = gram[:, j, j] - np.einsum("pk,pk->p", lj, lj)
        al = ~(d > _ALIAS_TOLERANCE * gram[:, j, j])
        aliased[:, j] = al
        root = np.sqrt(np.where(al, 1.0, d))
        chol[:, j, j] = np.where(al, 0.0, root)
        if j + 1 < p:
            below = gram[:, j + 1 :, j] - np.einsum("pik,pk->pi", chol[:, j + 1 :, :j], lj)
            chol[:, j + 1 :, j] = np.where(al[:, None], 0.0, below / root[:, None])
    return aliased


# Rows per matrix product: BLAS runs products this small on one thread, so the two threads that
# run batches do not each start BLAS threads that spin against each other on two cores.
_ROWS_PER_PRODUCT = 32


def _rows_times(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """``a @ b`` computed as a stack of small products of ``_ROWS_PER_PRODUCT`` rows of ``a``."""
    n, k = a.shape
    whole = n - n % _ROWS_PER_PRODUCT
    out = np.empty((n, b.shape[1]))
    if whole:
        stacked = a[:whole].reshape(-1, _ROWS_PER_PRODUCT, k) @ b
        out[:whole] = stacked.reshape(whole, b.shape[1])
    if whole < n:
        out[whole:] = a[whole:] @ b
    return out


class _Products:
    """Per-row products that make up ``X' W X``, each distinct column kept once.

    With 0/1 level indicators most entries of ``x_l x_l'`` repeat (or vanish), so the normal
    equations of all problems come from one small matrix product ``W @ columns``.
    """

    def __init__(self, x: NDArray[np.float64]) -> None:
        rows, p = x.shape
        outer = np.einsum("li,lj->lij", x, x).reshape(rows, p * p)
        unique, inverse = np.unique(outer, axis=1, return_inverse=True)
        self.p = p
        self.x = x
        self.columns = np.ascontiguousarray(unique)
        self.gram_index = np.asarray(inverse).ravel()
        self.gram_zero = ~np.any(unique != 0, axis=0)[self.gram_index]

    def gram_and_rhs(
        self, w: NDArray[np.float64], v: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``X' diag(w) X`` (problems, p, p) and ``X' v`` (problems, p) for every problem."""
        n = w.shape[0]
        gram = _rows_times(w, self.columns)[:, self.gram_index]
        gram[:, self.gram_zero] = 0.0
        return gram.reshape(n, self.p, self.p), _rows_times(v, self.x)


def _cholesky_solve(
    gram: NDArray[np.float64], rhs: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Solve the positive definite systems ``gram @ beta = rhs``; flag those that are not."""
    n, p = rhs.shape
    try:
        with np.errstate(all="ignore"):
            chol = np.linalg.cholesky(gram)
        fine = np.ones(n, dtype=bool)
    except np.linalg.LinAlgError:
        chol, fine = _cholesky_checked(gram)
    z = np.empty((n, p))
    with np.errstate(all="ignore"):
        for j in range(p):
            z[:, j] = (rhs[:, j] - np.einsum("pk,pk->p", chol[:, j, :j], z[:, :j])) / chol[:, j, j]
        beta = np.empty((n, p))
        for j in range(p - 1, -1, -1):
            tail = np.einsum("pk,pk->p", chol[:, j + 1 :, j], beta[:, j + 1 :])
            beta[:, j] = (z[:, j] - tail) / chol[:, j, j]
    return beta, fine


def _cholesky_checked(
    gram: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Cholesky factors problem by problem where some matrix is not positive definite."""
    n = gram.shape[0]
    chol = np.full_like(gram, np.nan)
    fine = np.zeros(n, dtype=bool)
    for i in range(n):
        try:
            chol[i] = np.linalg.cholesky(gram[i])
            fine[i] = True
        except np.linalg.LinAlgError:
            continue
    return chol, fine


def _deviance(
    prior_y: NDArray[np.float64],
    mu: NDArray[np.float64],
    eta: NDArray[np.float64],
    prior: NDArray[np.float64],
    constant: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Sum of quasi-Poisson deviance residuals, ``2 wt (y log(y/mu) - (y - mu))``, per problem.

    ``constant`` holds ``sum(wt (y log y - y))``, so only ``wt mu - wt y log mu`` is summed here.
    """
    log_mu = eta if eta.size == 0 or eta.min() >= _LOG_EPS else np.maximum(eta, _LOG_EPS)
    with np.errstate(invalid="ignore"):
        total = np.einsum("pl,pl->p", prior, mu) - np.einsum("pl,pl->p", prior_y, log_mu)
    return np.asarray(2.0 * (constant + total))


def _mean(eta: NDArray[np.float64]) -> NDArray[np.float64]:
    """R's ``linkinv`` of the log link: ``pmax(exp(eta), .Machine$double.eps)``."""
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    return np.maximum(mu, _EPS, out=mu)


def fit_quasipoisson(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    prior: NDArray[np.float64],
    *,
    epsilon: float = 1e-8,
    maxit: int = 25,
) -> QuasiPoissonFit:
    """Fit ``y ~ x`` (log link, quasi-Poisson) for every row of ``y`` with prior weights ``prior``.

    Parameters
    ----------
    x
        Design matrix (rows, columns), shared by all problems.
    y
        Counts (problems, rows); any value where ``prior`` is 0 (missing weeks must be 0 there).
    prior
        Prior weights (problems, rows); 0 drops a row as R drops a missing response.
    epsilon, maxit
        ``glm.control`` defaults.

    References
    ----------
    R Core Team, ``stats::glm.fit`` (R 4.2.2).
    """
    n, rows = y.shape
    p = x.shape[1]
    present = prior > 0
    aliased = aliased_columns(x, present)
    products = _Products(x)
    x_t = np.ascontiguousarray(x.T)
    keep = ~aliased
    # Aliased columns become a unit block of the normal equations with a zero right-hand side,
    # so their coefficient is 0 (as Cdqrls leaves it) and the others are the reduced solution.
    any_aliased = bool(aliased.any())
    pair_keep = keep[:, :, None] & keep[:, None, :]
    unit = np.zeros((n, p, p))
    unit[:, np.arange(p), np.arange(p)] = aliased

    constant = np.einsum("pl,pl->p", prior, xlogy(y, y) - y)
    py = prior * y
    eta = np.log(y + 0.1)
    mu = _mean(eta)
    devold = _deviance(py, mu, eta, prior, constant)

    beta_out = np.zeros((n, p))
    mu_out = np.zeros((n, rows))
    w_out = np.zeros((n, rows))
    gram_out = np.zeros((n, p, p))
    converged = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)

    # Problems still iterating are the rows of the working arrays whose `live` is set; rows
    # that stopped are carried along (their results already saved) until enough of them have
    # piled up to make compacting the working arrays worth its copies.
    active = np.arange(n)
    live = np.ones(n, dtype=bool)
    pa, pya, ca, pk, un, keep_a = prior, py, constant, pair_keep, unit, keep
    coefold: NDArray[np.float64] | None = None
    for iteration in range(1, maxit + 1):
        # Working weights prior * mu.eta^2 / V(mu) = prior * mu, and
        # w * z = w * (eta + (y - mu) / mu) = w * eta + prior * y - w.
        w = pa * mu
        v = eta - 1.0
        v *= w
        v += pya
        gram, rhs = products.gram_and_rhs(w, v)
        if any_aliased:
            gram = np.where(pk, gram, 0.0) + un
            rhs = np.where(keep_a, rhs, 0.0)
        beta, solved = _cholesky_solve(gram, rhs)
        finite = np.all(np.isfinite(beta), axis=1) & solved
        eta = _rows_times(beta, x_t)
        mu = _mean(eta)
        dev = _deviance(pya, mu, eta, pa, ca)
        # With means floored at eps, R's step halving is needed only where the deviance is not
        # finite (a mean overflowed).
        bad = ~np.isfinite(dev) & finite & live
        if bad.any():
            if coefold is None:
                # R: "no valid set of coefficients has been found: please supply starting values"
                finite &= ~bad
            else:
                halving = np.flatnonzero(bad)
                for _ in range(maxit):
                    beta[halving] = (beta[halving] + coefold[halving]) / 2
                    eta[halving] = _rows_times(beta[halving], x_t)
                    mu[halving] = _mean(eta[halving])
                    dev[halving] = _deviance(
                        pya[halving], mu[halving], eta[halving], pa[halving], ca[halving]
                    )
                    halving = halving[~np.isfinite(dev[halving])]
                    if halving.size == 0:
                        break
                finite[halving] = False
        with np.errstate(invalid="ignore"):
            conv = np.abs(dev - devold) / (np.abs(dev) + 0.1) < epsilon
        # glm.fit breaks on non-finite coefficients (not converged, and R keeps no usable fit).
        stop = live & (conv | ~finite | (iteration == maxit))
        if stop.any():
            idx = active[stop]
            ok[idx] = finite[stop]
            beta_out[idx] = beta[stop]
            mu_out[idx] = mu[stop]
            w_out[idx] = w[stop]
            gram_out[idx] = gram[stop]
            converged[idx] = conv[stop] & finite[stop]
            live &= ~stop
            if not live.any():
                break
            if live.sum() < 0.8 * live.size:
                active = active[live]
                pa, pya, ca = pa[live], pya[live], ca[live]
                pk, un, keep_a = pk[live], un[live], keep_a[live]
                mu, eta, dev, beta = mu[live], eta[live], dev[live], beta[live]
                live = live[live]
        devold = dev
        coefold = beta

    with np.errstate(all="ignore"):
        ginv = np.linalg.inv(np.where(ok[:, None, None], gram_out, unit + np.eye(p)))
    ginv = np.where(pair_keep, ginv, 0.0)
    df_residual = present.sum(axis=1) - keep.sum(axis=1)
    with np.errstate(all="ignore"):
        resid = np.where(present, (y - mu_out) / mu_out, 0.0)
        dispersion = np.where(
            df_residual > 0, np.einsum("pl,pl->p", w_out, resid * resid) / df_residual, np.nan
        )
    return QuasiPoissonFit(
        beta=beta_out,
        mu=mu_out,
        weights=w_out,
        ginv=ginv,
        converged=converged,
        ok=ok,
        df_residual=df_residual.astype(np.int64),
        dispersion=dispersion,
    )


def take(fit: QuasiPoissonFit, which: NDArray[np.bool_]) -> QuasiPoissonFit:
    """The fits of the problems selected by ``which``."""
    return QuasiPoissonFit(
        beta=fit.beta[which],
        mu=fit.mu[which],
        weights=fit.weights[which],
        ginv=fit.ginv[which],
        converged=fit.converged[which],
        ok=fit.ok[which],
        df_residual=fit.df_residual[which],
        dispersion=fit.dispersion[which],
    )


def hat_values(x: NDArray[np.float64], fit: QuasiPoissonFit) -> NDArray[np.float64]:
    """R's ``hatvalues`` of each fit: ``w_l x_l' (X'WX)^- x_l``, set to 1 above ``1 - 10 eps``."""
    rows, p = x.shape
    outer = np.einsum("li,lj->lij", x, x).reshape(rows, p * p)
    hat = _rows_times(fit.ginv.reshape(-1, p * p), np.ascontiguousarray(outer.T)) * fit.weights
    hat[hat > 1 - 10 * np.finfo(np.float64).eps] = 1.0
    return np.asarray(hat)
