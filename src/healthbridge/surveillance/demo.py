"""Demo weekly counts: ISO weeks 2019-W01 to 2026-W46 of synthetic surveillance data, and the
signals detection finds in them.

- Dengue in five provinces each of Thailand and Viet Nam, peaking in the rainy season;
- measles national totals of Indonesia and the Philippines, peaking in the dry season;
- an outbreak in the last weeks of dengue in Bangkok (TH-10) and of measles in the Philippines
  (:data:`OUTBREAKS`), so that the triage queue has signals to show. Eight years give the
  Farrington family (``noufaily``, five years of history) every recent week to score.

The values are DEMO VALUES, NOT SURVEILLANCE DATA: drawn from a negative binomial distribution
whose mean follows a yearly cosine (as ``surveillance::sts_creation`` builds its series), with a
fixed seed so that every load draws the same numbers, and deaths drawn as a small binomial share
of the cases. They go through the same CSV import as any country's file (source ``aggregate``,
file name :data:`DEMO_FILE`), so loading them twice stores them once; detection then runs over
every series (:data:`DEMO_METHODS`, the last four weeks), which a rerun updates and never doubles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from healthbridge.interop.isoweek import IsoWeek, weeks_between
from healthbridge.interop.weekly_csv import CellValue, write_weekly_csv
from healthbridge.policy import Principal
from healthbridge.surveillance import signals, weekly_import

DEMO_FILE = "demo-synthetic-weekly-counts.csv"
FIRST_WEEK = IsoWeek(2019, 1)
LAST_WEEK = IsoWeek(2026, 46)
#: Cases added to the last weeks of a series, oldest first: (country, area, disease) → cases.
OUTBREAKS: dict[tuple[str, str | None, str], tuple[int, ...]] = {
    ("THA", "TH-10", "dengue"): (40, 110, 190),
    ("PHL", None, "measles"): (60, 140),
}
DEMO_METHODS = ("noufaily", "ears-c3")
SEED = 20_231_127
WEEKS_PER_YEAR = 52.1775


@dataclass(frozen=True)
class DemoSeries:
    """How one demo series is drawn."""

    country: str
    area: str | None
    disease: str
    #: Mean weekly cases over the year.
    baseline: float
    #: ISO week number of the seasonal peak.
    peak_week: int
    #: Amplitude of the log-mean's yearly cosine.
    seasonality: float
    #: Negative binomial size: smaller is more overdispersed.
    size: float
    case_fatality: float


def _dengue(country: str, area: str, baseline: float) -> DemoSeries:
    return DemoSeries(country, area, "dengue", baseline, 30, 1.0, 4.0, 0.0008)


DEMO_SERIES: tuple[DemoSeries, ...] = (
    _dengue("THA", "TH-10", 55),  # Bangkok
    _dengue("THA", "TH-30", 30),  # Nakhon Ratchasima
    _dengue("THA", "TH-40", 22),  # Khon Kaen
    _dengue("THA", "TH-50", 25),  # Chiang Mai
    _dengue("THA", "TH-90", 18),  # Songkhla
    _dengue("VNM", "VN-HN", 45),  # Ha Noi
    _dengue("VNM", "VN-SG", 80),  # Ho Chi Minh City
    _dengue("VNM", "VN-DN", 25),  # Da Nang
    _dengue("VNM", "VN-CT", 20),  # Can Tho
    _dengue("VNM", "VN-34", 15),  # Khanh Hoa
    DemoSeries("IDN", None, "measles", 70, 12, 0.7, 2.0, 0.002),
    DemoSeries("PHL", None, "measles", 45, 10, 0.8, 2.0, 0.002),
)


def demo_rows() -> list[dict[str, CellValue]]:
    """The demo counts as CSV rows, the same on every call."""
    weeks = list(weeks_between(FIRST_WEEK, LAST_WEEK))
    numbers = np.array([w.week for w in weeks], dtype=float)
    rng = np.random.default_rng(SEED)
    rows: list[dict[str, CellValue]] = []
    for series in DEMO_SERIES:
        phase = 2 * math.pi * (numbers - series.peak_week) / WEEKS_PER_YEAR
        mean = series.baseline * np.exp(series.seasonality * np.cos(phase))
        mean /= np.mean(np.exp(series.seasonality * np.cos(phase)))
        cases = rng.negative_binomial(series.size, series.size / (series.size + mean))
        extra = OUTBREAKS.get((series.country, series.area, series.disease), ())
        if extra:
            cases[-len(extra) :] += np.asarray(extra, dtype=cases.dtype)
        deaths = rng.binomial(cases, series.case_fatality)
        rows.extend(
            {
                "country": series.country,
                "area": series.area,
                "disease": series.disease,
                "week": str(week),
                "cases": int(c),
                "deaths": int(d),
            }
            for week, c, d in zip(weeks, cases, deaths, strict=True)
        )
    return rows


def demo_csv() -> bytes:
    """The demo counts as a weekly-counts CSV file."""
    return write_weekly_csv(demo_rows()).encode()


def load_demo(*, session: Session, actor: Principal) -> weekly_import.WeeklyImportReport:
    """Import the demo counts as ``actor`` (a regional reporter) and run detection over every
    series; idempotent."""
    report = weekly_import.import_weekly_csv(
        session=session, actor=actor, data=demo_csv(), filename=DEMO_FILE
    )
    signals.detect_series(session=session, actor=actor, methods=DEMO_METHODS)
    return report
