"""Case-report ingestion speed: ``python bench/ingest.py [--rows 1000000]``.

Writes ``--rows`` synthetic case reports of Thailand and Viet Nam as a case-reports CSV (a
temporary file; about 70 % of the rows also carry a lab result), imports it into a fresh SQLite
database (migrated, reference data seeded) through the real import path
(:func:`healthbridge.surveillance.cases.import_case_file`, committed once), and prints the
seconds, the rows per second and the peak memory. For scale it then times a bare ``sqlite3``
``executemany`` of the same rows (already parsed) into equivalent tables with the same unique
constraints and indexes, and prints the ratio. Target (issue #4): under 60 s for 1,000,000
rows. Then it imports the same file again (every row unchanged) and prints that time too.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from healthbridge import flows, migrate
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.interop.cases_csv import COLUMNS
from healthbridge.policy import operator_principal
from healthbridge.surveillance import cases

AREAS = {
    "THA": ["TH-10", "TH-30", "TH-40", "TH-50", "TH-90", "TH-20", "TH-12", "TH-13"],
    "VNM": ["VN-HN", "VN-SG", "VN-DN", "VN-CT", "VN-34", "VN-HP"],
}
DISEASES = ["dengue", "dengue", "dengue", "A90", "measles", "covid_19", "influenza_seasonal"]
PATHOGENS = {
    "dengue": ("DENV", ["DENV-1", "DENV-2", "DENV-3", "DENV-4"]),
    "A90": ("DENV", ["DENV-1", "DENV-2"]),
    "measles": ("MEV", ["D8", "B3"]),
    "covid_19": ("SARS-CoV-2", ["JN.1", "XBB.1.5"]),
    "influenza_seasonal": ("Influenza A", ["H1N1pdm09", "H3N2"]),
}
FIRST_DAY = dt.date(2023, 1, 2)
DAYS = 700


def write_csv(path: Path, rows: int, seed: int = 4) -> None:
    rng = random.Random(seed)
    days = [FIRST_DAY + dt.timedelta(days=d) for d in range(DAYS + 20)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for n in range(rows):
            country = "THA" if n % 3 else "VNM"
            disease = rng.choice(DISEASES)
            onset = rng.randrange(DAYS)
            report = onset + rng.randrange(0, 8)
            notified = report + rng.randrange(0, 3)
            died = rng.random() < 0.002
            case = [
                country,
                f"{country}-{n:08d}",
                disease,
                rng.choice(("suspected", "probable", "confirmed", "confirmed")),
                days[onset].isoformat() if rng.random() < 0.9 else "",
                days[report].isoformat(),
                days[notified].isoformat(),
                rng.choice(AREAS[country]) if rng.random() < 0.95 else "",
                rng.choice(("0-4", "5-14", "15-24", "25-44", "45-64", "65+")),
                rng.choice(("female", "male", "F", "M", "unknown")),
                "died" if died else rng.choice(("recovered", "alive", "")),
                rng.choice(("yes", "no", "")),
                "no",
                "",
            ]
            if rng.random() < 0.7:
                pathogen, subtypes = PATHOGENS[disease]
                sampled = report + rng.randrange(0, 2)
                resulted = sampled + rng.randrange(0, 6)
                lab = [
                    f"S{n:09d}",
                    rng.choice(("serum", "nasopharyngeal swab", "whole blood")),
                    rng.choice(("pcr", "rdt", "RT-PCR", "serology")),
                    pathogen,
                    rng.choice(subtypes),
                    rng.choice(("positive", "positive", "negative", "pending")),
                    days[sampled].isoformat(),
                    days[resulted].isoformat(),
                    f"{country} regional laboratory {rng.randrange(1, 9)}",
                ]
            else:
                lab = [""] * 9
            writer.writerow(case + lab)


def prepare(url: str) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        flows.seed_reference_data(session=session)
    engine.dispose()


def import_file(url: str, path: Path) -> tuple[float, float, cases.CaseImportReport]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    started = time.perf_counter()
    cpu = time.process_time()
    with unit_of_work(factory) as session, path.open("rb") as stream:
        report = cases.import_case_file(
            session=session,
            actor=operator_principal("bench"),
            data=stream,
            filename=path.name,
            format="csv",
        )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, time.process_time() - cpu, report


BARE_DDL = """
CREATE TABLE case_reports (
  id INTEGER PRIMARY KEY, country_code TEXT, case_id TEXT, disease_code TEXT,
  classification TEXT, onset_date TEXT, report_date TEXT, notification_date TEXT,
  area_code TEXT, age_group TEXT, sex TEXT, outcome TEXT, hospitalised INTEGER,
  travelled INTEGER, travel_countries TEXT, week TEXT, week_start TEXT, source_format TEXT,
  batch_id INTEGER, content_hash TEXT, created_at TEXT, updated_at TEXT,
  UNIQUE (country_code, case_id));
CREATE INDEX ix_c_disease ON case_reports (disease_code);
CREATE INDEX ix_c_report ON case_reports (report_date);
CREATE INDEX ix_c_area ON case_reports (area_code);
CREATE INDEX ix_c_batch ON case_reports (batch_id);
CREATE INDEX ix_c_rollup ON case_reports (country_code, disease_code, week);
CREATE TABLE lab_results (
  id INTEGER PRIMARY KEY, case_report_id INTEGER, country_code TEXT, sample_id TEXT,
  specimen TEXT, test_type TEXT, pathogen TEXT, subtype TEXT, result TEXT, sample_date TEXT,
  result_date TEXT, turnaround_days INTEGER, laboratory TEXT, batch_id INTEGER,
  content_hash TEXT, created_at TEXT, updated_at TEXT,
  UNIQUE (country_code, sample_id, test_type, pathogen));
CREATE INDEX ix_l_case ON lab_results (case_report_id);
CREATE INDEX ix_l_batch ON lab_results (batch_id);
"""


def bare_sqlite(path: Path, directory: Path) -> tuple[float, float]:
    """``executemany`` of the file's rows, parsed beforehand, into equivalent bare tables."""
    case_rows: list[tuple[object, ...]] = []
    lab_rows: list[tuple[object, ...]] = []
    stamp = "2026-01-01 00:00:00.000000"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for n, cells in enumerate(reader, start=1):
            day = cells[4] or cells[5]
            case_rows.append((n, *cells[:14], day, day, "csv", 1, "0" * 32, stamp, stamp))
            if cells[14]:
                lab_rows.append(
                    (n, cells[0], *cells[14:23], 1, cells[22], 1, "0" * 32, stamp, stamp)
                )
    connection = sqlite3.connect(directory / "bare.sqlite3")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(BARE_DDL)
    started = time.perf_counter()
    cpu = time.process_time()
    with connection:
        connection.executemany(
            "INSERT INTO case_reports (id, country_code, case_id, disease_code, classification, "
            "onset_date, report_date, notification_date, area_code, age_group, sex, outcome, "
            "hospitalised, travelled, travel_countries, week, week_start, source_format, "
            "batch_id, content_hash, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            case_rows,
        )
        connection.executemany(
            "INSERT INTO lab_results (case_report_id, country_code, sample_id, specimen, "
            "test_type, pathogen, subtype, result, sample_date, result_date, laboratory, "
            "turnaround_days, batch_id, content_hash, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [r[:11] + r[12:] for r in lab_rows],
        )
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hb-ingest-") as name:
        directory = Path(name)
        csv_path = directory / "cases.csv"
        started = time.perf_counter()
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        write_csv(csv_path, arguments.rows)
        size = csv_path.stat().st_size
        print(
            f"wrote {arguments.rows:,} rows ({size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        url = f"sqlite:///{directory / 'healthbridge.sqlite3'}"
        prepare(url)
        seconds, cpu, report = import_file(url, csv_path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"import: {seconds:.1f} s ({cpu:.1f} s of CPU), {arguments.rows / seconds:,.0f} "
            f"rows/s, peak memory "
            f"{peak:,.0f} MB — cases {report.cases_created:,} created, labs "
            f"{report.labs_created:,} created, {len(report.rollup_keys)} rollup series "
            f"({report.first_week} to {report.last_week})"
        )
        again, again_cpu, second = import_file(url, csv_path)
        print(
            f"same file again: {again:.1f} s ({again_cpu:.1f} s of CPU) — cases "
            f"{second.cases_unchanged:,} unchanged, "
            f"labs {second.labs_unchanged:,} unchanged"
        )
        bare, bare_cpu = bare_sqlite(csv_path, directory)
        print(f"bare sqlite3 executemany of the same rows: {bare:.1f} s ({bare_cpu:.1f} s of CPU)")
        print(
            f"ratio (import / bare executemany): {seconds / bare:.1f} ({cpu / bare_cpu:.1f} in CPU)"
        )
        target = "met" if arguments.rows < 1_000_000 or seconds < 60 else "NOT met"
        print(f"target < 60 s for 1,000,000 rows: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
