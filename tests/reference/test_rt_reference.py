"""Cori et al. (2013) R against ``EpiEstim::estimate_R(method="parametric_si")`` on Flu2009.

Tolerance (tests/reference/data/README.md): mean, std and every quantile within 1e-6 relative.
Observed: at most 6e-15 relative in every column.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from healthbridge.analytics.rt import cori_rt

DATA = Path(__file__).parent / "data"
QUANTILE_COLUMNS = {
    0.025: "Quantile.0.025(R)",
    0.05: "Quantile.0.05(R)",
    0.25: "Quantile.0.25(R)",
    0.5: "Median(R)",
    0.75: "Quantile.0.75(R)",
    0.95: "Quantile.0.95(R)",
    0.975: "Quantile.0.975(R)",
}


def test_flu2009_matches_epiestim() -> None:
    with (DATA / "Flu2009__incidence.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["t"]) for r in rows] == list(range(1, len(rows) + 1))
    incidence = np.array([float(r["incidence"]) for r in rows])
    with (DATA / "Flu2009__cori_R.csv").open(newline="") as f:
        reference = list(csv.DictReader(f))

    # EpiEstim's defaults: weekly sliding windows, prior mean 5 and std 5.
    estimate = cori_rt(incidence, mean_si=2.6, std_si=1.5)
    assert estimate.t_start.tolist() == [int(r["t_start"]) for r in reference]
    assert estimate.t_end.tolist() == [int(r["t_end"]) for r in reference]

    def column(name: str) -> list[float]:
        return [float(r[name]) for r in reference]

    np.testing.assert_allclose(estimate.mean, column("Mean(R)"), rtol=1e-6)
    np.testing.assert_allclose(estimate.std, column("Std(R)"), rtol=1e-6)
    assert set(estimate.quantiles) == set(QUANTILE_COLUMNS)
    for p, name in QUANTILE_COLUMNS.items():
        np.testing.assert_allclose(estimate.quantiles[p], column(name), rtol=1e-6, err_msg=name)
