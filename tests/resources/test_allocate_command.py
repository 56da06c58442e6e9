"""``healthbridge allocate``: the command-line contract of issue #6, through Typer's CliRunner."""
# ruff: noqa: E501  (EXAMPLE is the issue's problem.json, line for line)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from healthbridge.cli import app

EXAMPLE = """{"today": "2026-11-26",
 "priority_weights": {"critical": 8, "high": 4, "medium": 2, "low": 1},
 "items":    [{"id": "ors-sachet", "min_shelf_life_days": 90}],
 "lots":     [{"id": "L1", "item": "ors-sachet", "holder": "KOR", "quantity": 1000, "expires_on": "2027-06-30"}],
 "requests": [{"id": "R1", "item": "ors-sachet", "country": "LAO", "quantity": 500, "priority": "critical", "needed_by": "2026-12-05"}],
 "transit_days": {"KOR": {"LAO": 4}}}
"""


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_issue_example_gives_the_issue_plan(run: Any, tmp_path: Path) -> None:
    (tmp_path / "problem.json").write_text(EXAMPLE)
    result = run(
        "allocate",
        "--input",
        str(tmp_path / "problem.json"),
        "--output",
        str(tmp_path / "plan.json"),
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["allocations"] == [
        {"lot": "L1", "request": "R1", "quantity": 500, "arrives_on": "2026-11-30"}
    ]
    assert set(plan) == {"allocations", "summary"}
    summary = plan["summary"]
    assert summary["objectives"]["priority_weighted_quantity"] == 4000
    assert summary["objectives"]["equity_min_fill_rate"] == {"ors-sachet": 1.0}
    assert summary["objectives"]["lateness_unit_days"] == 0
    assert summary["objectives"]["fefo_unit_days"] == 500 * 216  # 2026-11-26 to 2027-06-30
    assert summary["by_country"] == {"LAO": {"requested": 500, "delivered": 500, "fill_rate": 1.0}}
    assert summary["by_item"]["ors-sachet"]["fill_rate"] == 1.0
    assert summary["unmet"] == {"R1": 0}
    assert "fcfs" not in summary
    assert "1 allocation(s)" in flat(result.stderr)


def test_stdout_and_compare_fcfs(run: Any, tmp_path: Path) -> None:
    data = json.loads(EXAMPLE)
    data["lots"][0]["quantity"] = 400
    data["requests"].insert(
        0,
        {
            "id": "R0",
            "item": "ors-sachet",
            "country": "LAO",
            "quantity": 300,
            "priority": "low",
            "needed_by": "2026-12-05",
        },
    )
    (tmp_path / "problem.json").write_text(json.dumps(data))
    result = run(
        "allocate", "--input", str(tmp_path / "problem.json"), "--output", "-", "--compare-fcfs"
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["allocations"] == [
        {"lot": "L1", "request": "R1", "quantity": 400, "arrives_on": "2026-11-30"}
    ]
    fcfs = plan["summary"]["fcfs"]
    assert fcfs["allocations"][0] == {
        "lot": "L1",
        "request": "R0",
        "quantity": 300,
        "arrives_on": "2026-11-30",
    }
    assert fcfs["summary"]["objectives"]["priority_weighted_quantity"] == 300 + 8 * 100
    assert plan["summary"]["objectives"]["priority_weighted_quantity"] == 8 * 400
    assert plan["summary"]["unmet_by_priority"]["critical"] == 100


def test_invalid_problem_exits_2_lists_every_error_and_writes_nothing(
    run: Any, tmp_path: Path
) -> None:
    data = json.loads(EXAMPLE)
    data["lots"][0]["quantity"] = -3
    data["requests"][0]["item"] = "x"
    data["today"] = "2026-13-01"
    (tmp_path / "problem.json").write_text(json.dumps(data))
    output = tmp_path / "plan.json"
    result = run("allocate", "--input", str(tmp_path / "problem.json"), "--output", str(output))
    assert result.exit_code == 2
    errors = flat(result.stderr)
    assert "3 errors" in errors
    assert "lots[0].quantity: must be a whole number >= 0" in errors
    assert "requests[0].item: unknown item 'x'" in errors
    assert "today: not a date (YYYY-MM-DD)" in errors
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "problem.json"]


def test_an_existing_output_is_left_alone_on_error(run: Any, tmp_path: Path) -> None:
    (tmp_path / "problem.json").write_text("{not json")
    output = tmp_path / "plan.json"
    output.write_text("previous plan")
    result = run("allocate", "--input", str(tmp_path / "problem.json"), "--output", str(output))
    assert result.exit_code == 2
    assert "is not valid JSON" in flat(result.stderr)
    assert output.read_text() == "previous plan"


def test_a_missing_input_file(run: Any, tmp_path: Path) -> None:
    result = run("allocate", "--input", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "cannot read" in flat(result.stderr)
