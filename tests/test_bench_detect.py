"""Smoke tests of ``bench/detect.py`` on a few series, so that the bench does not rot.

No timing is asserted (speed is the bench's own output). The R cross-check runs only where
``Rscript`` and the R package ``surveillance`` are installed.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load_detect() -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))  # the bench's modules import each other by bare name
    spec = importlib.util.spec_from_file_location("bench_detect", BENCH / "detect.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


detect = _load_detect()
outbreaks = importlib.import_module("_outbreaks")  # the very modules detect.py uses
rcompare = importlib.import_module("_rcompare")

WEEKS = 7 * 52
FIRST = WEEKS - 52


def test_lognormal_weeks_are_those_of_r_lognorm_discrete() -> None:
    # surveillance:::lognormDiscrete(Dmax = 20, logmu = 0, sigma = 0.5), R 4.2.2.
    probabilities = outbreaks.lognormal_weeks()
    assert probabilities.shape == (20,)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)
    expected = [0.50000000051989923, 0.41717148143207572, 0.06882631349931896, 0.01122158772330369]
    np.testing.assert_allclose(probabilities[:4], expected, rtol=1e-12)


def test_simulated_counts_follow_the_model() -> None:
    baseline = outbreaks.simulate(400, WEEKS, seed=3)
    again = outbreaks.simulate(400, WEEKS, seed=3)
    np.testing.assert_array_equal(baseline.counts, again.counts)
    assert baseline.counts.shape == baseline.mean.shape == (400, WEEKS)
    assert np.all(baseline.counts >= 0) and np.all(baseline.counts == np.round(baseline.counts))
    # Mean and variance phi * mean: standardised counts average 0 with variance near 1.
    z = (baseline.counts - baseline.mean) / np.sqrt(baseline.phi[:, None] * baseline.mean)
    assert abs(z.mean()) < 0.01
    assert z.var() == pytest.approx(1.0, abs=0.03)


def test_inject_adds_exactly_the_drawn_cases_from_the_start_week() -> None:
    baseline = outbreaks.simulate(50, WEEKS, seed=4)
    series = np.arange(50)
    start = np.full(50, WEEKS - 3)  # the last three weeks: later cases are cut off
    injected = outbreaks.inject(
        baseline,
        baseline.counts,
        series=series,
        start=start,
        k=10.0,
        rng=np.random.default_rng(0),
    )
    added = injected.counts - baseline.counts
    assert np.all(added[:, : WEEKS - 3] == 0)
    np.testing.assert_array_equal(added[:, WEEKS - 3 :], injected.cases[:, :3])
    assert np.all(injected.cases[:, 3:] == 0)
    np.testing.assert_array_equal(injected.state(), added > 0)
    assert baseline.counts is not injected.counts and added.sum() > 0


def test_outbreak_sizes_average_k_standard_deviations() -> None:
    baseline = outbreaks.simulate(1, WEEKS, seed=5)
    n = 20000
    injected = outbreaks.inject(
        baseline,
        baseline.counts,
        series=np.zeros(n, dtype=np.int64),
        start=np.full(n, 10),
        k=3.0,
        rng=np.random.default_rng(1),
    )
    sd = np.sqrt(baseline.phi[0] * baseline.mean[0, 10])
    sizes = injected.cases.sum(axis=1)
    assert sizes.mean() == pytest.approx(3.0 * sd, rel=0.03)
    # Lognormal spread: half of the cases in the first week, about 42% in the second.
    assert injected.cases[:, 0].sum() / sizes.sum() == pytest.approx(0.5, abs=0.01)


def _always(counts: np.ndarray, monitor: np.ndarray) -> np.ndarray:
    alarm = np.zeros(counts.shape, dtype=bool)
    alarm[:, monitor] = True
    return alarm


def _never(counts: np.ndarray, monitor: np.ndarray) -> np.ndarray:
    return np.zeros(counts.shape, dtype=bool)


def test_study_scores_trivial_methods_and_is_reproducible() -> None:
    baseline = outbreaks.simulate(40, WEEKS, seed=6)
    design = outbreaks.StudyDesign(first_monitored=FIRST, k_values=(2.0, 10.0), share=0.5)
    scores = outbreaks.run_study(baseline, design, {"always": _always, "never": _never})
    always, never = scores
    assert always.clean_weeks == 20 * 52
    assert always.false_positive_rate == 1.0 and never.false_positive_rate == 0.0
    for k in design.k_values:
        assert 0 < always.outbreaks[k] <= 20
        assert always.probability_of_detection(k) == 1.0
        assert never.probability_of_detection(k) == 0.0
    assert outbreaks.run_study(baseline, design, {"always": _always, "never": _never}) == scores


def test_study_with_real_methods_detects_large_outbreaks_more_often() -> None:
    baseline = outbreaks.simulate(60, WEEKS, seed=7)
    design = outbreaks.StudyDesign(first_monitored=FIRST, k_values=(1.0, 10.0), seed=2)
    runners = detect.runners()
    methods = {name: detect.partial(detect._alarms, runners[name]) for name in ("ears-c1",)}
    (score,) = outbreaks.run_study(baseline, design, methods)
    assert score.probability_of_detection(10.0) > score.probability_of_detection(1.0)
    assert 0 < score.false_positive_rate < 0.2


def test_options_are_checked() -> None:
    with pytest.raises(SystemExit):
        detect.parse(["--years", "6"])
    with pytest.raises(SystemExit):
        detect.parse(["--methods", "ears-c1,bogus"])
    with pytest.raises(SystemExit):
        detect.parse(["--k", "2,x"])
    quick = detect.parse(["--quick", "--series", "9"])
    assert (quick.series, quick.r_series, quick.outbreak_series) == (9, 60, 300)


def test_bench_runs_end_to_end_on_a_few_series(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # R's part is tested below where R is installed; here it must say it was skipped.
    monkeypatch.setattr(detect, "r_available", lambda: "Rscript not found")
    detect.main(
        [
            "--series=6",
            "--years=7",
            "--repeat=1",
            "--r-series=3",
            "--outbreak-series=12",
            "--k=3,10",
        ]
    )
    out = capsys.readouterr().out
    for name in detect.METHOD_NAMES:
        assert f"\n{name:<11} latest week" in out
        assert f"\n{name:<11} last 52 weeks" in out
    assert "R not installed: ratio not measured" in out
    assert "POD k=3" in out and "POD k=10" in out


def _r_surveillance_installed() -> bool:
    # Cheaper than the bench's check (which loads the package): is it installed at all?
    rscript = shutil.which("Rscript")
    if rscript is None:
        return False
    found = subprocess.run(
        [rscript, "-e", 'cat(nzchar(system.file(package = "surveillance")))'],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() == "TRUE"


# R is a development aid, never a dependency (CI does not install it): this cross-check of the
# bench's live R call runs where R is. Agreement with R itself is tested everywhere by
# tests/reference/, against outputs R computed once (tests/reference/data).
@pytest.mark.skipif(
    not _r_surveillance_installed(),
    reason="R package surveillance not installed (dev aid; tests/reference checks R's outputs)",
)
def test_r_upper_bounds_agree_with_ours() -> None:
    counts = outbreaks.simulate(3, WEEKS, seed=8).counts
    names = ["noufaily", "ears-c3"]
    runs = rcompare.run_r(counts, names)
    runners = detect.runners()
    for run in runs:
        assert run.seconds >= 0 and run.weeks == rcompare.R_WEEKS.get(run.method, 1)
        ours = runners[run.method](counts, np.array([WEEKS - 1])).upperbound[:, -1]
        agreement = rcompare.agreement(ours, run.upperbound)
        assert agreement.only_one == 0, run.method
        assert agreement.both == 0 or agreement.max_rel_difference < 1e-6, run.method
