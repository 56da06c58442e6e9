"""Benchmark of the Farrington flexible kernel (Noufaily et al. 2013 settings).

Generates weekly negative binomial series of 10 years with seasonality and a trend, as
R's ``surveillance::sts_creation`` does (mean ``exp(theta + beta t + gamma1 cos(2 pi t / 52)
+ gamma2 sin(2 pi t / 52))``, variance ``phi * mean``), then times the kernel on the latest week
of every series and on the whole last year. Prints figures only.

    .venv/bin/python bench/detect.py --series 2000 --seed 1
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from healthbridge.analytics.detection.farrington import farrington_flexible

WEEKS = 10 * 52
NOUFAILY: dict[str, Any] = dict(
    b=5,
    w=3,
    reweight=True,
    weights_threshold=2.58,
    trend=True,
    p_threshold_trend=1.0,
    alpha=0.05,
    limit54=(5, 4),
    powertrans="2/3",
    no_periods=10,
    past_weeks_not_included=26,
    threshold_method="nbPlugin",
)


def simulate(series: int, weeks: int, seed: int) -> np.ndarray:
    """Negative binomial counts with seasonality and trend (as ``sts_creation``)."""
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
    counts = rng.negative_binomial(mean / (phi - 1), 1 / phi)
    return counts.astype(np.float64)


def measure(label: str, problems: int, run: Callable[[], object]) -> None:
    start = time.perf_counter()
    cpu = time.process_time()
    run()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    # Peak resident memory of the process so far (Linux reports KiB).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label:<16} {problems:>9,d} series-weeks  {wall:7.2f} s wall  {cpu:7.2f} s cpu  "
        f"{problems / wall:>9,.0f} series-weeks/s  peak RSS so far {peak:6.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    counts = simulate(args.series, WEEKS, args.seed)
    print(
        f"{args.series:,d} series x {WEEKS} weeks, Noufaily preset, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}"
    )
    latest = np.array([WEEKS - 1])
    year = np.arange(WEEKS - 52, WEEKS)
    measure(
        "latest week",
        args.series,
        lambda: farrington_flexible(counts, monitor=latest, **NOUFAILY),
    )
    measure(
        "last 52 weeks",
        args.series * 52,
        lambda: farrington_flexible(counts, monitor=year, **NOUFAILY),
    )


if __name__ == "__main__":
    main()
