"""farrington_flexible against R's surveillance::farringtonFlexible (see data/README.md).

Every data set, three control lists (farrington1996, farrington1996_nolimit, noufaily2013),
monitored from week 5*52+4 (1-based) to the end. Tolerances (README): alarms identical in at
least 99.9% of series-weeks; upper bounds within 1e-6 relative in at least 99% of the
series-weeks where R gives one. `expected` and `phi` are held to the same 1e-6 and 99%; whether
the trend was kept is compared with R's `trend` column (R writes the trend coefficient there,
NA where the trend was dropped).

Remaining differences: none. On every file all alarms agree, and upper bounds, expected
values and dispersions agree to about 1e-13 relative (worst: ~3e-14 for the upper bounds of the
delta method, exact for nbPlugin's integer bounds, ~1e-11 for expected and ~1e-9 for phi under
noufaily2013). What is left is floating-point rounding: R solves each IRLS step by a
Householder QR and sums the deviance in long double, this solves the normal equations by
Cholesky. Those rounding differences could, in principle, move a fit across glm.fit's
convergence test (|dev - devold| / (|dev| + 0.1) < 1e-8) one iteration earlier or later, which
matters only on near-separable windows (a seasonal level or baseline of zeros, where the fitted
mean falls by a factor e per iteration and 25 iterations decide between a result and NA); no
such case occurs in these files. The tolerances leave room for it.

salmNewport and salmAllOnset are `sts` objects with `epochAsDate = TRUE`: R finds their
reference weeks by date (one year back, nearest Monday: sometimes 53 weeks back), so they are
run with `dates=` (the Monday of each ISO week label). The other four have no dates and use
`t - 52 i`.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from healthbridge.analytics.detection.farrington import FarringtonResult, farrington_flexible

DATA = Path(__file__).parent / "data"
SETS = ["salmNewport", "ha.sts", "salmonella.agona", "influMen", "shadar", "salmAllOnset"]
DATED = {"salmNewport", "salmAllOnset"}
FIRST = 5 * 52 + 4  # R's range starts here (1-based)

PRESETS: dict[str, dict[str, Any]] = {
    "farrington1996": dict(
        b=5,
        w=3,
        reweight=True,
        weights_threshold=1.0,
        trend=True,
        p_threshold_trend=0.05,
        alpha=0.05,
        limit54=(5, 4),
        powertrans="2/3",
        no_periods=1,
        past_weeks_not_included=3,
        threshold_method="delta",
    ),
    "noufaily2013": dict(
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
    ),
}
PRESETS["farrington1996_nolimit"] = {**PRESETS["farrington1996"], "limit54": (0, 4)}

RELATIVE = 1e-6
ALARM_RATE = 0.999
BOUND_RATE = 0.99


def _number(text: str) -> float:
    return np.nan if text == "NA" else float(text)


@cache
def _counts(name: str) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    with (DATA / f"{name}__counts.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    series = list(dict.fromkeys(row["series"] for row in rows))
    weeks = max(int(row["t"]) for row in rows)
    counts = np.full((len(series), weeks), np.nan)
    labels = [""] * weeks
    for row in rows:
        counts[series.index(row["series"]), int(row["t"]) - 1] = _number(row["count"])
        labels[int(row["t"]) - 1] = row["week"]
    dates = None
    if name in DATED:
        mondays = []
        for label in labels:
            year, week = label.split("-W")
            mondays.append(dt.date.fromisocalendar(int(year), int(week), 1))
        dates = np.array(mondays, dtype="datetime64[D]")
    return series, counts, dates


def _reference(name: str, preset: str) -> dict[str, np.ndarray]:
    series = _counts(name)[0]
    with (DATA / f"{name}__{preset}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, list[float]] = {
        key: [] for key in ("i", "t", "upperbound", "alarm", "expected", "phi", "trend", "score")
    }
    for row in rows:
        columns["i"].append(series.index(row["series"]))
        columns["t"].append(int(row["t"]) - 1)
        for key in ("upperbound", "alarm", "expected", "phi", "trend", "score"):
            columns[key].append(_number(row[key]))
    return {key: np.asarray(values) for key, values in columns.items()}


def _relative(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(np.abs(ours - theirs) / np.maximum(np.abs(theirs), np.finfo(float).tiny))


def _agreement(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float, int]:
    """Share of R's non-NA values matched within RELATIVE (NaN there counts as a miss)."""
    given = ~np.isnan(theirs)
    if not given.any():
        return 1.0, 0.0, 0
    diff = _relative(ours[given], theirs[given])
    close = np.nan_to_num(diff, nan=np.inf) <= RELATIVE
    return (
        float(close.mean()),
        float(np.nanmax(np.where(np.isnan(diff), np.inf, diff))),
        int(given.sum()),
    )


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("name", SETS)
def test_matches_r(name: str, preset: str, record_property: Any) -> None:
    _, counts, dates = _counts(name)
    ref = _reference(name, preset)
    result: FarringtonResult = farrington_flexible(
        counts, monitor=np.arange(FIRST - 1, counts.shape[1]), dates=dates, **PRESETS[preset]
    )
    i, t = ref["i"].astype(int), ref["t"].astype(int)

    alarms_equal = float(np.mean(result.alarm[i, t] == (ref["alarm"] == 1)))
    bound_rate, bound_worst, bounded = _agreement(result.upperbound[i, t], ref["upperbound"])
    expected_rate, expected_worst, _ = _agreement(result.expected[i, t], ref["expected"])
    phi_rate, phi_worst, _ = _agreement(result.phi[i, t], ref["phi"])
    trend_equal = float(np.mean((result.trend[i, t] == 1) == ~np.isnan(ref["trend"])))
    # No upper bound where R gives none (limit54, no model).
    spurious = int(np.sum(np.isnan(ref["upperbound"]) & ~np.isnan(result.upperbound[i, t])))

    summary = (
        f"{name}/{preset}: {i.size} weeks, alarms equal {alarms_equal:.4%}, "
        f"bounds {bound_rate:.4%} of {bounded} (worst rel {bound_worst:.1e}), "
        f"expected worst {expected_worst:.1e}, phi worst {phi_worst:.1e}, "
        f"trend equal {trend_equal:.4%}, extra bounds {spurious}"
    )
    print(summary)
    record_property("farrington_reference", summary)

    assert alarms_equal >= ALARM_RATE, summary
    assert bound_rate >= BOUND_RATE, summary
    assert expected_rate >= BOUND_RATE, summary
    assert phi_rate >= BOUND_RATE, summary
    assert trend_equal >= ALARM_RATE, summary
    assert spurious <= (1 - BOUND_RATE) * i.size, summary
    # Nothing outside the monitored range.
    assert np.isnan(result.upperbound[:, : FIRST - 1]).all()
    assert not result.alarm[:, : FIRST - 1].any()
