"""Simulated outbreaks as in Noufaily et al. (2013), and the figures that score a method on them.

The baseline counts come from :func:`simulate` (negative binomial, mean ``mu_t``, variance
``phi * mu_t``, as in the paper). An outbreak starting in week ``t0`` of series ``s`` has a number
of cases drawn from a Poisson distribution of mean ``k`` times the standard deviation of the
baseline count at ``t0``, ``sqrt(phi * mu_t0)``; each case falls ``d`` weeks after the start, ``d``
drawn from a lognormal distribution (``meanlog = 0``, ``sdlog = 0.5``) discretised to whole
weeks 1..20 as R's ``surveillance:::lognormDiscrete`` does (week 1 is ``t0`` itself).

R's ``surveillance::sts_creation`` applies the same mechanism but computes the outbreak size from
the variance ``mu (1 + mu / size)`` at the *last* week of the series, and squeezes out the weeks
of an outbreak that drew no case; this module follows the paper (standard deviation at the start
week, cases kept in the week they fall in).

Only numpy is used, so that the bench needs nothing the project does not already install.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Longest outbreak, in weeks (R's ``lognormDiscrete(Dmax = 20)``).
MAX_DURATION = 20

#: Runs a method on (counts, 0-based monitored weeks) and returns its alarms (series, weeks).
AlarmRunner = Callable[[NDArray[np.float64], NDArray[np.int64]], NDArray[np.bool_]]


@dataclass(frozen=True)
class Baseline:
    """Simulated counts with the model that made them; arrays of shape (series, weeks)."""

    counts: NDArray[np.float64]
    mean: NDArray[np.float64]
    phi: NDArray[np.float64]  # shape (series,): variance = phi * mean


def simulate(series: int, weeks: int, seed: int) -> Baseline:
    """Negative binomial counts with seasonality and trend, one scenario drawn per series.

    The mean is ``exp(theta + beta t + gamma1 cos(2 pi t / 52) + gamma2 sin(2 pi t / 52))`` and
    the variance ``phi * mean``: the model of Noufaily et al. (2013) and of R's
    ``surveillance::sts_creation`` with ``m = 1``. ``theta``, ``beta``, ``gamma1``, ``gamma2``
    and ``phi`` are drawn per series over ranges that cover the paper's scenarios (from
    fewer than one case a week to several dozen).
    """
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)[None, :]
    theta = rng.uniform(-1.0, 4.0, size=(series, 1))
    beta = rng.choice([0.0, 0.0005, -0.0005, 0.001], size=(series, 1))
    gamma1 = rng.uniform(0.0, 0.8, size=(series, 1))
    gamma2 = rng.uniform(0.0, 0.8, size=(series, 1))
    phi = rng.choice([1.5, 3.0, 5.0], size=(series, 1))
    mean = np.exp(
        theta + beta * t + gamma1 * np.cos(2 * np.pi * t / 52) + gamma2 * np.sin(2 * np.pi * t / 52)
    )
    # numpy's negative_binomial(n, p) has mean n (1 - p) / p and variance n (1 - p) / p^2.
    counts = rng.negative_binomial(mean / (phi - 1), 1 / phi).astype(np.float64)
    return Baseline(counts=counts, mean=mean, phi=phi[:, 0].copy())


def lognormal_weeks(
    max_duration: int = MAX_DURATION, meanlog: float = 0.0, sdlog: float = 0.5
) -> NDArray[np.float64]:
    """Probability that a case falls in week 1, 2, ..., ``max_duration`` of its outbreak.

    ``P(i - 1 < D <= i) / P(D <= max_duration)`` for a lognormal ``D``, as R's
    ``surveillance:::lognormDiscrete(Dmax, logmu, sigma)``.
    """

    def cdf(x: float) -> float:
        if x <= 0:
            return 0.0
        return 0.5 * (1.0 + math.erf((math.log(x) - meanlog) / (sdlog * math.sqrt(2.0))))

    cumulative = np.array([cdf(float(x)) for x in range(max_duration + 1)])
    probabilities: NDArray[np.float64] = np.diff(cumulative) / cumulative[-1]
    return probabilities


@dataclass(frozen=True)
class Injected:
    """Counts with outbreaks added.

    Attributes
    ----------
    counts
        The baseline counts plus the outbreak cases (series, weeks).
    series, start
        Series and 0-based start week of each outbreak (one entry per outbreak).
    cases
        Cases of each outbreak in each of its weeks (outbreaks, ``MAX_DURATION``), zero past the
        end of the series.
    """

    counts: NDArray[np.float64]
    series: NDArray[np.int64]
    start: NDArray[np.int64]
    cases: NDArray[np.int64]

    def state(self) -> NDArray[np.bool_]:
        """True in the weeks where an outbreak added cases (R's ``state`` of an ``sts``)."""
        state = np.zeros(self.counts.shape, dtype=np.bool_)
        rows, offsets = np.nonzero(self.cases > 0)
        state[self.series[rows], self.start[rows] + offsets] = True
        return state


def inject(
    baseline: Baseline,
    counts: NDArray[np.float64],
    *,
    series: NDArray[np.int64],
    start: NDArray[np.int64],
    k: NDArray[np.float64] | float,
    rng: np.random.Generator,
) -> Injected:
    """Add one outbreak of size ``Poisson(k * sd)`` to ``counts`` for each (series, start) pair.

    ``counts`` is not changed; cases that would fall after the last week are dropped.
    """
    series = np.asarray(series, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    sd = np.sqrt(baseline.phi[series] * baseline.mean[series, start])
    size = rng.poisson(np.asarray(k, dtype=np.float64) * sd)
    cases = rng.multinomial(size, lognormal_weeks()).astype(np.int64)
    weeks = start[:, None] + np.arange(MAX_DURATION)[None, :]
    cases[weeks >= counts.shape[1]] = 0
    out = counts.copy()
    rows, offsets = np.nonzero(cases > 0)
    np.add.at(out, (series[rows], start[rows] + offsets), cases[rows, offsets])
    return Injected(counts=out, series=series, start=start, cases=cases)


@dataclass(frozen=True)
class StudyDesign:
    """How outbreaks are laid over the simulated series.

    Attributes
    ----------
    first_monitored
        0-based first week of the monitored period (the last year); it runs to the last week.
    k_values
        Outbreak sizes, in standard deviations of the baseline count, scored one at a time.
    share
        Share of the series that get one outbreak in the monitored period; the others give the
        false-positive rate.
    past_outbreaks
        Outbreaks per series in the weeks before the monitored period, as the paper places
        outbreaks in the baseline so that the down-weighting of past outbreaks is put to work;
        the size of each is drawn from ``k_values`` (this bench's choice) and each ends before
        the monitored period starts.
    seed
        Seed of every draw, so that a study is reproducible.
    """

    first_monitored: int
    k_values: Sequence[float] = (2.0, 3.0, 5.0, 10.0)
    share: float = 0.5
    past_outbreaks: int = 4
    seed: int = 1


@dataclass(frozen=True)
class Score:
    """One method's figures: false-positive rate, and probability of detection by ``k``."""

    method: str
    false_alarms: int
    clean_weeks: int
    detected: Mapping[float, int]
    outbreaks: Mapping[float, int]

    @property
    def false_positive_rate(self) -> float:
        """Alarms in weeks without an outbreak, over such weeks."""
        return self.false_alarms / self.clean_weeks if self.clean_weeks else math.nan

    def probability_of_detection(self, k: float) -> float:
        """Outbreaks of size ``k`` with an alarm in one of their weeks, over such outbreaks."""
        total = self.outbreaks[k]
        return self.detected[k] / total if total else math.nan


def with_past_outbreaks(baseline: Baseline, design: StudyDesign) -> NDArray[np.float64]:
    """The baseline counts plus ``design.past_outbreaks`` outbreaks per series before monitoring."""
    n_series = baseline.counts.shape[0]
    if design.past_outbreaks == 0:
        return baseline.counts.copy()
    latest_start = design.first_monitored - MAX_DURATION
    if latest_start <= 0:
        raise ValueError("too few weeks before the monitored period for past outbreaks")
    rng = np.random.default_rng([design.seed, 1])
    series = np.repeat(np.arange(n_series), design.past_outbreaks)
    start = rng.integers(0, latest_start, size=series.size)
    k = rng.choice(np.asarray(design.k_values, dtype=np.float64), size=series.size)
    return inject(baseline, baseline.counts, series=series, start=start, k=k, rng=rng).counts


def run_study(
    baseline: Baseline, design: StudyDesign, methods: Mapping[str, AlarmRunner]
) -> list[Score]:
    """Score every method on the same simulated outbreaks.

    Every series carries the past outbreaks. A share of the series (drawn once) gets one
    outbreak starting in a random week of the monitored period, for each ``k`` in turn; the
    false-positive rate is taken over the monitored weeks of the other series (as Noufaily et
    al. took it on data without a current outbreak), the probability of detection over the
    outbreaks that drew at least one case (an outbreak without cases cannot be detected; how
    many there were shows as the difference between ``outbreaks`` and the share of series).
    """
    n_series, n_weeks = baseline.counts.shape
    if not 0 < design.first_monitored < n_weeks:
        raise ValueError("the monitored period must lie within the series")
    if not 0 < design.share < 1:
        raise ValueError("the share of series with an outbreak must lie strictly between 0 and 1")
    counts = with_past_outbreaks(baseline, design)
    monitor = np.arange(design.first_monitored, n_weeks)
    rng = np.random.default_rng([design.seed, 2])
    hit = np.sort(rng.choice(n_series, size=max(1, round(design.share * n_series)), replace=False))
    clean = np.setdiff1d(np.arange(n_series), hit)
    starts = rng.integers(design.first_monitored, n_weeks, size=hit.size)

    false_alarms: dict[str, int] = {}
    for name, run in methods.items():
        alarm = run(counts[clean], monitor)
        false_alarms[name] = int(alarm[:, monitor].sum())
    detected: dict[str, dict[float, int]] = {name: {} for name in methods}
    outbreaks: dict[float, int] = {}
    for index, k in enumerate(design.k_values):
        sizes_rng = np.random.default_rng([design.seed, 3, index])
        local = np.arange(hit.size)
        injected = inject(
            Baseline(counts[hit], baseline.mean[hit], baseline.phi[hit]),
            counts[hit],
            series=local,
            start=starts,
            k=k,
            rng=sizes_rng,
        )
        state = injected.state()
        real = state.any(axis=1)  # outbreaks that drew at least one case
        outbreaks[k] = int(real.sum())
        for name, run in methods.items():
            alarm = run(injected.counts, monitor)
            caught: NDArray[np.bool_] = np.any(alarm & state, axis=1)
            detected[name][k] = int(caught[real].sum())
    return [
        Score(
            method=name,
            false_alarms=false_alarms[name],
            clean_weeks=clean.size * monitor.size,
            detected=detected[name],
            outbreaks=outbreaks,
        )
        for name in methods
    ]
