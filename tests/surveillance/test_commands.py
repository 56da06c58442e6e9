"""``healthbridge detect`` and ``healthbridge rt`` through Typer's CliRunner (no database).

The commands must reproduce the reference outputs of tests/reference/data from the reference
counts with no options (their defaults are the reference control lists), and refuse bad input
with exit code 1 and one line naming the row and the field.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from healthbridge.cli import app

DATA = Path(__file__).parents[1] / "reference" / "data"
SETS = ("salmNewport", "ha.sts", "salmonella.agona", "influMen", "shadar", "salmAllOnset")
EARS = {"ears-c1": "earsC1", "ears-c2": "earsC2", "ears-c3": "earsC3"}
Run = Callable[..., Result]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COLUMNS", "200")  # error lines must not wrap
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def assert_one_error_line(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- detect: reproducing the reference files ----------------------------------------------------


@pytest.mark.parametrize("method", sorted(EARS))
@pytest.mark.parametrize("name", SETS)
def test_detect_ears_reproduces_the_reference(
    run: Run, tmp_path: Path, name: str, method: str
) -> None:
    out = tmp_path / "result.csv"
    result = run(
        "detect", "--method", method, "--input", DATA / f"{name}__counts.csv", "--output", out
    )
    assert result.exit_code == 0, result.output
    ours = read_csv(out)
    theirs = read_csv(DATA / f"{name}__{EARS[method]}.csv")
    assert list(ours[0]) == ["series", "t", "count", "upperbound", "alarm"]
    assert [(r["series"], r["t"], r["count"]) for r in ours] == [
        (r["series"], r["t"], r["count"]) for r in theirs
    ]
    # R writes NA where it gives no upper bound (and then an NA alarm, which is no alarm);
    # the command writes an empty cell and 0.
    assert [r["upperbound"] == "" for r in ours] == [r["upperbound"] == "NA" for r in theirs]
    bounded = [i for i, r in enumerate(theirs) if r["upperbound"] != "NA"]
    np.testing.assert_allclose(
        [float(ours[i]["upperbound"]) for i in bounded],
        [float(theirs[i]["upperbound"]) for i in bounded],
        rtol=1e-9,
        atol=0,
    )
    assert [r["alarm"] for r in ours] == [r["alarm"].replace("NA", "0") for r in theirs]
    alarms = sum(r["alarm"] == "1" for r in theirs)
    summary = " ".join(result.stderr.split())
    assert f"{alarms} alarm(s)" in summary and f"weeks {theirs[0]['t']}-" in summary


# R's salmonella.agona is an sts without dates: its reference weeks lie 52 weeks apart. R's
# salmAllOnset has dates (epochAsDate=TRUE): its reference weeks are found by date, which the
# command does from the "week" column with --epoch-as-date.
@pytest.mark.parametrize(
    ("name", "flags"), [("salmonella.agona", []), ("salmAllOnset", ["--epoch-as-date"])]
)
@pytest.mark.parametrize(
    ("method", "reference"), [("farrington", "farrington1996"), ("noufaily", "noufaily2013")]
)
def test_detect_farrington_family_reproduces_the_reference(
    run: Run, tmp_path: Path, name: str, flags: list[str], method: str, reference: str
) -> None:
    out = tmp_path / "result.csv"
    counts = DATA / f"{name}__counts.csv"
    result = run("detect", "--method", method, "--input", counts, "--output", out, *flags)
    assert result.exit_code == 0, result.output
    ours = read_csv(out)
    theirs = read_csv(DATA / f"{name}__{reference}.csv")
    assert list(ours[0]) == ["series", "t", "count", "upperbound", "alarm", "expected"]
    assert [(r["series"], r["t"], r["count"]) for r in ours] == [
        (r["series"], r["t"], r["count"]) for r in theirs
    ]
    same = sum(
        a["alarm"] == b["alarm"].replace("NA", "0") for a, b in zip(ours, theirs, strict=True)
    )
    assert same >= 0.999 * len(theirs), f"{len(theirs) - same} alarms differ"
    bounded = [(a, b) for a, b in zip(ours, theirs, strict=True) if b["upperbound"] != "NA"]
    close = sum(
        a["upperbound"] != ""
        and float(a["upperbound"]) == pytest.approx(float(b["upperbound"]), rel=1e-6)
        for a, b in bounded
    )
    assert close >= 0.99 * len(bounded), f"{len(bounded) - close} upper bounds differ"


# --- detect: options ----------------------------------------------------------------------------


def test_detect_range_and_options(run: Run, tmp_path: Path) -> None:
    counts = write(
        tmp_path / "counts.csv",
        "series,t,count\n"
        + "".join(f"x,{t},{c}\n" for t, c in enumerate([1, 1, 1, 1, 1, 1, 8, 11, 3, 2], start=1)),
    )
    out = tmp_path / "out.csv"
    result = run(
        "detect", "--method", "ears-c1", "--input", counts, "--output", out, "--range", "8:8"
    )
    assert result.exit_code == 0, result.output
    [row] = read_csv(out)
    assert row["t"] == "8" and row["alarm"] == "1"
    assert float(row["upperbound"]) == pytest.approx(2 + 3.090232306167813 * 7**0.5, rel=1e-14)
    # A larger alpha lowers the bound; --range FROM: runs to the end.
    result = run(
        "detect",
        "--method",
        "ears-c1",
        "--input",
        counts,
        "--output",
        out,
        "--range",
        "8:",
        "--alpha",
        "0.2",
        "--min-sigma",
        "1",
        "--baseline",
        "7",
    )
    assert result.exit_code == 0, result.output
    assert [r["t"] for r in read_csv(out)] == ["8", "9", "10"]
    # A shorter baseline starts earlier.
    result = run(
        "detect", "--method", "ears-c1", "--input", counts, "--output", out, "--baseline", "3"
    )
    assert result.exit_code == 0, result.output
    assert read_csv(out)[0]["t"] == "4"


def test_detect_writes_gaps_as_empty_cells(run: Run, tmp_path: Path) -> None:
    rows = "".join(f"x,{t},2\n" for t in range(1, 13) if t != 5)
    counts = write(tmp_path / "counts.csv", "series,t,count\n" + rows)
    out = tmp_path / "out.csv"
    result = run("detect", "--method", "ears-c1", "--input", counts, "--output", out)
    assert result.exit_code == 0, result.output
    # Week 5 is missing: the baselines of weeks 8..12 all contain it.
    assert [(r["t"], r["count"], r["upperbound"], r["alarm"]) for r in read_csv(out)] == [
        (str(t), "2", "", "0") for t in range(8, 13)
    ]
    assert "1 missing series-weeks" in " ".join(result.stderr.split())


# --- detect: refusals ---------------------------------------------------------------------------


@pytest.fixture
def counts_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "counts.csv", "series,t,count\n" + "".join(f"a,{t},3\n" for t in range(1, 31))
    )


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("series,t\na,1\n", ["count", "missing column", "row 1"]),
        ("series,t,count\na,1,2\na,2,many\n", ["count", "'many' is not a number", "row 3"]),
        ("series,t,count\na,1,-4\n", ["count", "-4 is negative", "row 2"]),
        ("series,t,count\na,x,4\n", ["t", "not a whole number", "row 2"]),
    ],
)
def test_detect_refuses_bad_files(
    run: Run, tmp_path: Path, text: str, fragments: list[str]
) -> None:
    counts = write(tmp_path / "bad.csv", text)
    result = run(
        "detect", "--method", "ears-c1", "--input", counts, "--output", tmp_path / "out.csv"
    )
    assert_one_error_line(result, str(counts), *fragments)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--method", "ears-c4"], ["unknown --method 'ears-c4'", "ears-c1"]),
        (["--method", "ears-c1", "--range", "10-20"], ["--range must be FROM:TO"]),
        (["--method", "ears-c1", "--range", "20:10"], ["not within", "1..30"]),
        (["--method", "ears-c1", "--range", "8:31"], ["not within"]),
        (["--method", "ears-c1", "--range", "3:10"], ["starts at week 3", "from 8 on"]),
        (["--method", "ears-c2", "--b", "3", "--no-trend"], ["--b, --trend do not apply"]),
        (["--method", "ears-c1", "--baseline", "2"], ["baseline must be at least 3"]),
        (["--method", "farrington", "--limit54", "5"], ["--limit54 must be two whole numbers"]),
        (["--method", "noufaily", "--threshold-method", "exact"], ["unknown --threshold-method"]),
        (["--method", "farrington"], ["default range starts at week 264", "30 weeks"]),
        (["--method", "ears-c1", "--epoch-as-date"], ["--epoch-as-date does not apply"]),
    ],
)
def test_detect_refuses_bad_options(
    run: Run, tmp_path: Path, counts_file: Path, args: list[str], fragments: list[str]
) -> None:
    result = run("detect", *args, "--input", counts_file, "--output", tmp_path / "out.csv")
    assert_one_error_line(result, *fragments)


def test_detect_refuses_week_labels_that_are_not_consecutive(run: Run, tmp_path: Path) -> None:
    text = "series,t,week,count\n" + "".join(
        f"a,{t},2004-W{t + (1 if t > 200 else 0):02d},1\n" for t in range(1, 40)
    )
    text = text.replace("a,30,2004-W30", "a,30,2004-W31")
    counts = write(tmp_path / "counts.csv", text)
    result = run(
        "detect",
        "--method",
        "farrington",
        "--epoch-as-date",
        "--range",
        "30:30",
        "--input",
        counts,
        "--output",
        tmp_path / "out.csv",
    )
    assert_one_error_line(result, "week", "'2004-W31' at t=30", "row 31")


def test_detect_refuses_a_missing_file(run: Run, tmp_path: Path) -> None:
    result = run(
        "detect",
        "--method",
        "ears-c1",
        "--input",
        tmp_path / "nowhere.csv",
        "--output",
        tmp_path / "out.csv",
    )
    assert_one_error_line(result, "cannot read", "nowhere.csv")


def test_detect_refuses_an_unwritable_output(run: Run, tmp_path: Path, counts_file: Path) -> None:
    result = run(
        "detect",
        "--method",
        "ears-c1",
        "--input",
        counts_file,
        "--output",
        tmp_path / "no" / "such" / "dir.csv",
    )
    assert_one_error_line(result, "cannot write", "dir.csv")


def test_detect_escapes_markup_in_messages(run: Run, tmp_path: Path) -> None:
    counts = write(tmp_path / "bad.csv", "series,t,count\na,1,[bold]x\n")
    result = run(
        "detect", "--method", "ears-c1", "--input", counts, "--output", tmp_path / "out.csv"
    )
    assert_one_error_line(result, "'[bold]x' is not a number")


# --- rt -----------------------------------------------------------------------------------------


def test_rt_reproduces_epiestim(run: Run) -> None:
    result = run(
        "rt", "--input", DATA / "Flu2009__incidence.csv", "--mean-si", "2.6", "--std-si", "1.5"
    )
    assert result.exit_code == 0, result.output
    ours = list(csv.DictReader(result.stdout.splitlines()))
    theirs = read_csv(DATA / "Flu2009__cori_R.csv")
    assert list(ours[0]) == list(theirs[0])
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert (a["t_start"], a["t_end"]) == (b["t_start"], b["t_end"])
        for column in list(b)[2:]:
            assert float(a[column]) == pytest.approx(float(b[column]), rel=1e-6), column
    assert "25 weekly windows of 32 days" in " ".join(result.stderr.split())


def test_rt_writes_to_a_file_and_leaves_unestimable_windows_empty(run: Run, tmp_path: Path) -> None:
    incidence = write(tmp_path / "inc.csv", "t,I\n" + "".join(f"{t},4\n" for t in range(1, 11)))
    out = tmp_path / "rt.csv"
    result = run("rt", "--input", incidence, "--mean-si", "6.5", "--std-si", "2", "--output", out)
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert [r["t_end"] for r in rows] == ["8", "9", "10"]
    assert rows[0]["Mean(R)"] != ""  # t_end 8 > mean SI 6.5
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("text", "args", "fragments"),
    [
        ("t,cases\n1,2\n", [], ["incidence", "missing column", "row 1"]),
        ("t,incidence\n1,2\n2,-1\n", [], ["incidence", "negative", "row 3"]),
        ("t,incidence\n1,2\n2,3\n", [], ["at least 8 time steps"]),
        (
            "t,incidence\n" + "".join(f"{t},2\n" for t in range(1, 12)),
            ["--mean-si", "1"],
            ["mean_si must be more than 1"],
        ),
    ],
)
def test_rt_refuses_bad_input(
    run: Run, tmp_path: Path, text: str, args: list[str], fragments: list[str]
) -> None:
    incidence = write(tmp_path / "inc.csv", text)
    result = run("rt", "--input", incidence, "--mean-si", "2.6", "--std-si", "1.5", *args)
    assert_one_error_line(result, *fragments)
