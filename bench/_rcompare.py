"""Time R's ``surveillance`` on the bench's series and check its upper bounds against ours.

R is a development aid here, never a runtime dependency: when ``Rscript`` is missing or the
``surveillance`` package does not load, :func:`r_available` says why and the bench goes on.
The bench writes the series to a temporary CSV file, writes an R script next to it, runs it,
and reads back R's upper bounds and elapsed times.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

#: The R methods timed, by the bench's method name: ``function|control list``, the reference calls
#: of tests/reference/data/README.md. ``range`` is added: the latest week.
R_CONTROLS: dict[str, str] = {
    "noufaily": (
        "farringtonFlexible|b = 5, w = 3, reweight = TRUE, weightsThreshold = 2.58, "
        "trend = TRUE, pThresholdTrend = 1, alpha = 0.05, limit54 = c(5, 4), "
        'powertrans = "2/3", noPeriods = 10, pastWeeksNotIncluded = 26, '
        'thresholdMethod = "nbPlugin"'
    ),
    "farrington": (
        "farringtonFlexible|b = 5, w = 3, reweight = TRUE, weightsThreshold = 1, "
        "trend = TRUE, pThresholdTrend = 0.05, alpha = 0.05, limit54 = c(5, 4), "
        'powertrans = "2/3", noPeriods = 1, pastWeeksNotIncluded = 3, '
        'thresholdMethod = "delta"'
    ),
    "ears-c1": 'earsC|method = "C1", baseline = 7, alpha = 0.001',
    "ears-c2": 'earsC|method = "C2", baseline = 7, alpha = 0.001',
    "ears-c3": 'earsC|method = "C3", baseline = 7, alpha = 0.001',
}

_SCRIPT_HEAD = """\
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(surveillance))
y <- unname(as.matrix(read.csv(args[1], header = FALSE)))
n <- ncol(y)
x <- sts(observed = t(y), start = c(2000, 1), frequency = 52)
rows <- list()
repeats <- as.integer(args[3])
run <- function(name, f, control, weeks = 1) {
  control$range <- (n - weeks + 1):n
  f(x[, 1], control = control)  # warm-up on one series: lazily loaded code, before timing
  seconds <- Inf
  for (i in seq_len(repeats)) {  # the fastest of the repeats, as for ours
    elapsed <- system.time(result <- suppressWarnings(f(x, control = control)))[["elapsed"]]
    seconds <- min(seconds, elapsed)
  }
  rows[[name]] <<- data.frame(
    method = name, series = seq_len(nrow(y)) - 1, weeks = weeks,
    upperbound = as.vector(tail(upperbound(result), 1)), seconds = seconds)
}
"""


#: Weeks R scores per series, by method, where one (the latest) is not enough: R's ``earsC``
#: fails for C3 on a range of one week (``as.matrix`` of a single baseline row gives a column,
#: "number of items to replace is not a multiple of replacement length"), so C3 scores the
#: last two weeks and its throughput counts both.
R_WEEKS: dict[str, int] = {"ears-c3": 2}


@dataclass(frozen=True)
class RRun:
    """R's results for one method over the series given, on their latest week."""

    method: str
    seconds: float
    weeks: int  # weeks scored per series (the latest, and for some methods the one before)
    upperbound: NDArray[np.float64]  # of the latest week, one per series; NaN where R gives NA

    @property
    def series_weeks_per_second(self) -> float:
        """Throughput of R on this method."""
        if self.seconds <= 0:
            return math.inf
        return self.upperbound.size * self.weeks / self.seconds


def r_available() -> str | None:
    """None when ``Rscript`` runs and ``library(surveillance)`` loads; otherwise why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found"
    probe = subprocess.run(
        [rscript, "-e", "suppressPackageStartupMessages(library(surveillance))"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if probe.returncode != 0:
        return "the R package surveillance does not load"
    return None


def r_script(methods: list[str]) -> str:
    """The R script timing ``methods`` (names of :data:`R_CONTROLS`) on the latest week."""
    lines = [_SCRIPT_HEAD]
    for name in methods:
        function, control = R_CONTROLS[name].split("|", 1)
        weeks = R_WEEKS.get(name, 1)
        lines.append(f'run("{name}", {function}, list({control}), weeks = {weeks})\n')
    lines.append("write.csv(do.call(rbind, rows), args[2], row.names = FALSE)\n")
    return "".join(lines)


def run_r(
    counts: NDArray[np.float64], methods: list[str], repeat: int = 1, timeout: float = 3600
) -> list[RRun]:
    """Run R's ``methods`` on the latest week of every series of ``counts`` (series, weeks).

    R's upper bounds of the latest week come back, with the elapsed time of each call (the
    ``surveillance`` function over all the series at once, as one ``sts`` object, timed by
    ``system.time`` after a warm-up call on one series; the fastest of ``repeat`` calls).

    Raises
    ------
    RuntimeError
        When R fails; the message carries the end of R's error output.
    """
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise RuntimeError("Rscript not found")
    with tempfile.TemporaryDirectory(prefix="healthbridge-bench-") as folder:
        data = Path(folder) / "series.csv"
        script = Path(folder) / "detect.R"
        output = Path(folder) / "upperbounds.csv"
        np.savetxt(data, counts, fmt="%d", delimiter=",")
        script.write_text(r_script(methods), encoding="utf-8")
        done = subprocess.run(
            [rscript, "--vanilla", str(script), str(data), str(output), str(repeat)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"R failed: {done.stderr.strip()[-500:]}")
        with output.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    runs = []
    for name in methods:
        mine = [row for row in rows if row["method"] == name]
        bounds = np.full(counts.shape[0], np.nan)
        for row in mine:
            value = row["upperbound"]
            bounds[int(row["series"])] = math.nan if value in ("NA", "") else float(value)
        runs.append(
            RRun(
                method=name,
                seconds=float(mine[0]["seconds"]),
                weeks=int(mine[0]["weeks"]),
                upperbound=bounds,
            )
        )
    return runs


@dataclass(frozen=True)
class Agreement:
    """How R's upper bounds and ours compare on the same series and week."""

    both: int  # series where both give an upper bound
    only_one: int  # series where exactly one of them gives an upper bound
    max_abs_difference: float  # over ``both``; NaN when ``both`` is 0
    max_rel_difference: float


def agreement(ours: NDArray[np.float64], theirs: NDArray[np.float64]) -> Agreement:
    """Compare two vectors of upper bounds (NaN: no upper bound)."""
    ours_ok = np.isfinite(ours)
    theirs_ok = np.isfinite(theirs)
    both = ours_ok & theirs_ok
    if both.any():
        difference = np.abs(ours[both] - theirs[both])
        abs_max = float(difference.max())
        rel_max = float((difference / np.maximum(np.abs(theirs[both]), 1e-12)).max())
    else:
        abs_max = rel_max = math.nan
    return Agreement(
        both=int(both.sum()),
        only_one=int((ours_ok != theirs_ok).sum()),
        max_abs_difference=abs_max,
        max_rel_difference=rel_max,
    )
