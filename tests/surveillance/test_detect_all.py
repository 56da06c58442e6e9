"""``healthbridge detect --all`` (over the database, on both) and ``detect --method cusum`` (a
file, as R's ``algo.cusum``)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.surveillance.signal_arrange import (
    DENGUE_TH10,
    DENGUE_VN_SG,
    LAST,
    OUTBREAK_WEEKS,
    seasonal,
    store,
    weeks,
    with_outbreak,
)
from typer.testing import CliRunner, Result

from healthbridge.audit.models import AuditEntry
from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.settings import get_settings
from healthbridge.surveillance.models import Signal

DATA = Path(__file__).parents[1] / "reference" / "data"
Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def on_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def one_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- --all ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("on_database")
def test_detect_all_stores_signals_and_a_rerun_updates_them(
    run: Run, session_factory: sessionmaker[Session]
) -> None:
    n = len(weeks())
    with unit_of_work(session_factory) as session:
        store(session, DENGUE_TH10, with_outbreak(seasonal(n, seed=1), last=OUTBREAK_WEEKS))
        store(session, DENGUE_VN_SG, seasonal(60, seed=2), first=LAST.plus(-59))
    first = run("detect", "--all", "--method", "noufaily", "--method", "ears-c3")
    assert first.exit_code == 0, first.output
    text = " ".join(first.stdout.split())
    assert text.startswith("noufaily, ears-c3 over 2 series, weeks 2024-W49 to 2024-W52:")
    assert "skipped as too short: 1 for noufaily" in text
    with session_factory() as session:
        found = session.scalars(select(Signal)).all()
        assert {(s.country_code, s.week) for s in found if s.method == "noufaily"} >= {
            ("THA", "2024-W51"),
            ("THA", "2024-W52"),
        }
        total = len(found)
    assert f"{total} new signal(s), 0 updated" in text
    again = run("detect", "--all", "--method", "noufaily", "--method", "ears-c3")
    assert f"0 new signal(s), {total} updated" in " ".join(again.stdout.split())
    one = run("detect", "--all", "--weeks", "1", "--until", "2024-W52")
    assert "noufaily over 2 series, weeks 2024-W52 to 2024-W52" in " ".join(one.stdout.split())
    with session_factory() as session:
        assert len(session.scalars(select(Signal)).all()) == total
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signals.detect")
        ).all()
        assert len(entries) == 3 and entries[0].actor.startswith("cli:")


@pytest.mark.usefixtures("on_database")
def test_detect_all_on_an_empty_database_says_so(run: Run) -> None:
    result = run("detect", "--all")
    assert result.exit_code == 0, result.output
    assert "No weekly counts" in result.stdout


@pytest.mark.usefixtures("on_database")
@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--all", "--method", "magic"], ["unknown --method 'magic'", "cusum"]),
        (["--all", "--weeks", "0"], ["weeks must lie within 1..520"]),
        (["--all", "--weeks", "521"], ["weeks must lie within 1..520"]),
        (["--all", "--engine", "spark"], ["unknown --engine 'spark'"]),
        (["--all", "--workers", "2"], ["--scheduler and --workers apply to --engine dask only"]),
        (["--engine", "dask"], ["--engine, --scheduler and --workers apply to --all only"]),
        (["--all", "--until", "2024-W60"], ["until", "2024 has 52 ISO weeks"]),
        (["--all", "--input", "x.csv"], ["--input cannot be combined with --all"]),
        (["--all", "--b", "3", "--k", "2"], ["--b, --k cannot be combined with --all"]),
        (["--method", "noufaily"], ["give --input and --output", "--all"]),
        (["--weeks", "4"], ["--weeks and --until apply to --all only"]),
    ],
)
def test_detect_all_refuses_bad_options(run: Run, args: list[str], fragments: list[str]) -> None:
    one_error(run("detect", *args), *fragments)


def test_one_method_with_a_file(run: Run, tmp_path: Path) -> None:
    counts = DATA / "shadar__counts.csv"
    out = tmp_path / "out.csv"
    one_error(
        run(
            "detect",
            "--method",
            "ears-c1",
            "--method",
            "ears-c2",
            "--input",
            counts,
            "--output",
            out,
        ),
        "give one --method",
    )
    one_error(run("detect", "--input", counts, "--output", out), "give one --method")


# --- cusum ---------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_detect_cusum_reproduces_r_on_shadar(run: Run, tmp_path: Path) -> None:
    # R 1.20.3: algo.cusum(shadar, control=list(range=105:295)) (tests/analytics/detection).
    out = tmp_path / "cusum.csv"
    result = run(
        "detect", "--method", "cusum", "--input", DATA / "shadar__counts.csv", "--output", out
    )
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert list(rows[0]) == ["series", "t", "count", "upperbound", "alarm"]
    assert [int(r["t"]) for r in rows] == list(range(105, 296))
    alarms = [int(r["t"]) for r in rows if r["alarm"] == "1"]
    assert alarms == [135, *range(280, 296)]
    bounds = {int(r["t"]): float(r["upperbound"]) for r in rows}
    assert (bounds[124], bounds[135], bounds[136], bounds[281], bounds[295]) == (12, 11, 5, 5, 0)
    assert "cusum: 1 series, weeks 105-295" in result.stderr

    rossi = tmp_path / "rossi.csv"
    result = run(
        "detect",
        "--method",
        "cusum",
        "--trans",
        "rossi",
        "--input",
        DATA / "shadar__counts.csv",
        "--output",
        rossi,
    )
    assert result.exit_code == 0, result.output
    bound = {int(r["t"]): float(r["upperbound"]) for r in read_csv(rossi)}
    assert bound[135] == pytest.approx(11.4092390145792031, rel=1e-13)


def test_detect_cusum_options(run: Run, tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "series,t,count\n" + "".join(f"a,{t},{c}\n" for t, c in enumerate([0, 4, 8, 10, 2, 4], 1))
    )
    out = tmp_path / "out.csv"
    # The hand-computed run of the kernel's tests: m = 4, k = 1; the alarm in week 4.
    result = run(
        "detect",
        "--method",
        "cusum",
        "--input",
        counts,
        "--output",
        out,
        "--range",
        "2:6",
        "--m",
        "4",
        "--k",
        "1",
    )
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [r["alarm"] for r in rows] == ["0", "0", "1", "0", "0"]
    assert [r["upperbound"] for r in rows] == ["11", "11", "9", "5", "9"]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--trans", "log"], ["unknown --trans 'log'", "rossi"]),
        (["--b", "3", "--baseline", "4"], ["--baseline, --b do not apply to --method cusum"]),
        (["--epoch-as-date"], ["--epoch-as-date does not apply to --method cusum"]),
        (["--range", "1:6"], ["week 2 or later"]),
        ([], ["default range starts at week 105"]),
    ],
)
def test_detect_cusum_refuses_bad_options(
    run: Run, tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("series,t,count\n" + "".join(f"a,{t},3\n" for t in range(1, 7)))
    result = run(
        "detect", "--method", "cusum", "--input", counts, "--output", tmp_path / "o.csv", *args
    )
    one_error(result, *fragments)


def test_cusum_options_do_not_apply_to_other_methods(run: Run, tmp_path: Path) -> None:
    result = run(
        "detect",
        "--method",
        "ears-c1",
        "--input",
        DATA / "shadar__counts.csv",
        "--output",
        tmp_path / "o.csv",
        "--k",
        "2",
        "--trans",
        "rossi",
    )
    one_error(result, "--k, --trans do not apply to --method ears-c1")
