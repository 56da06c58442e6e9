"""EARS C1/C2/C3 against R's ``surveillance::earsC`` on every reference data set.

Tolerances (tests/reference/data/README.md): upper bounds equal to 1e-9 relative, alarms
identical. Observed: at most 4e-15 relative for C1/C2, 1.4e-13 for C3 (its upper bound is
``count + sd * (z - ...)``, a difference that loses a few digits), and no alarm differs.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from healthbridge.analytics.detection.ears import EarsMethod, ears_c, first_week

DATA = Path(__file__).parent / "data"
SETS = ("salmNewport", "ha.sts", "salmonella.agona", "influMen", "shadar", "salmAllOnset")
METHODS: tuple[EarsMethod, ...] = ("C1", "C2", "C3")


def load_counts(name: str) -> tuple[list[str], NDArray[np.float64]]:
    with (DATA / f"{name}__counts.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    series = list(dict.fromkeys(row["series"] for row in rows))
    counts = np.full((len(series), max(int(row["t"]) for row in rows)), np.nan)
    for row in rows:
        counts[series.index(row["series"]), int(row["t"]) - 1] = float(row["count"])
    return series, counts


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", SETS)
def test_matches_r(name: str, method: EarsMethod) -> None:
    series, counts = load_counts(name)
    result = ears_c(counts, method=method, baseline=7, alpha=0.001)
    with (DATA / f"{name}__ears{method}.csv").open(newline="") as f:
        reference = list(csv.DictReader(f))
    # R's range is first:n with first = 8, 10, 12: the file has exactly those rows.
    first = first_week(method)
    assert len(reference) == len(series) * (counts.shape[1] - first + 1)
    rows = np.array([series.index(r["series"]) for r in reference])
    weeks = np.array([int(r["t"]) - 1 for r in reference])
    assert weeks.min() == first - 1
    np.testing.assert_array_equal(counts[rows, weeks], [float(r["count"]) for r in reference])

    ours = result.upperbound[rows, weeks]
    theirs = np.array(
        [np.nan if r["upperbound"] == "NA" else float(r["upperbound"]) for r in reference]
    )
    # Where R gives NA (C3 when a baseline's standard deviation is 0: the statistic is 0/0),
    # we give NaN; elsewhere the bounds agree (atol=0: a bound of 0 must be exactly 0).
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)

    # R's alarm is NA where its upper bound is NA; an NA alarm is no alarm, which is our False.
    r_alarm = np.array([r["alarm"] == "1" for r in reference])
    assert all(r["alarm"] in ("0", "1") or r["upperbound"] == "NA" for r in reference)
    np.testing.assert_array_equal(result.alarm[rows, weeks], r_alarm)

    # Before R's range the method gives nothing.
    assert np.isnan(result.upperbound[:, : first - 1]).all()
    assert not result.alarm[:, : first - 1].any()
