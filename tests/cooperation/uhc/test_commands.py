"""``healthbridge import uhc FILE``: counts on success, the first errors and exit 1 on failure."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.cooperation.uhc import demo
from healthbridge.cooperation.uhc.models import UhcObservation
from healthbridge.interop import gho
from healthbridge.settings import get_settings

Run = Callable[..., Result]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(UhcObservation)) or 0


def test_importing_a_file_twice_stores_it_once(
    cli: Run, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "gho_uhc.csv"
    path.write_bytes(demo.demo_csv())

    first = cli("import", "uhc", str(path))
    assert first.exit_code == 0, first.output
    assert flat(first.stdout) == (
        "Imported gho_uhc.csv: 434 rows — 434 created, 0 updated, 0 unchanged, 0 skipped."
    )
    assert count(session_factory) == 434

    second = cli("import", "uhc", str(path), "--source", "WHO GHO export, 2026-11")
    assert second.exit_code == 0, second.output
    assert "0 created, 434 updated, 0 unchanged" in flat(second.stdout)
    third = cli("import", "uhc", str(path), "--source", "WHO GHO export, 2026-11")
    assert "0 created, 0 updated, 434 unchanged" in flat(third.stdout)
    assert count(session_factory) == 434


def test_skipped_rows_are_counted_by_reason(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        gho.write_gho_csv(
            [
                {
                    "IndicatorCode": "WHS4_100",
                    "SpatialDimValueCode": "THA",
                    "Period": "2022",
                    "FactValueNumeric": "97",
                },
                {
                    "IndicatorCode": "WHS4_100",
                    "SpatialDimValueCode": "USA",
                    "Period": "2022",
                    "FactValueNumeric": "93",
                },
                {
                    "IndicatorCode": "WHOSIS_000001",
                    "SpatialDimValueCode": "THA",
                    "Period": "2022",
                    "FactValueNumeric": "79",
                },
            ]
        ),
        encoding="utf-8-sig",
    )
    result = cli("import", "uhc", str(path))
    assert result.exit_code == 0, result.output
    assert flat(result.stdout) == (
        "Imported mixed.csv: 3 rows — 1 created, 0 updated, 0 unchanged, 2 skipped "
        "(unserved country: 1, untracked indicator: 1)."
    )


def test_a_bad_file_exits_1_with_its_first_errors_and_stores_nothing(
    cli: Run, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    rows = [
        {
            "IndicatorCode": "UHC_INDEX_REPORTED",
            "SpatialDimValueCode": "THA",
            "Period": "2021",
            "FactValueNumeric": "82",
        },
    ] + [
        {
            "IndicatorCode": "UHC_INDEX_REPORTED",
            "SpatialDimValueCode": "VNM",
            "Period": str(2000 + i),
            "FactValueNumeric": "999",
        }
        for i in range(12)
    ]
    path = tmp_path / "bad.csv"
    path.write_text(gho.write_gho_csv(rows))

    result = cli("import", "uhc", str(path))

    assert result.exit_code == 1
    assert result.stdout == ""
    errors = flat(result.stderr)
    assert errors.startswith("error: bad.csv: 12 problem(s) in the file; nothing was imported")
    assert (
        "row 3, FactValueNumeric: 999 is outside 0–100, the range of UHC_INDEX_REPORTED" in errors
    )
    assert "row 12, FactValueNumeric" in errors
    assert "row 13," not in errors
    assert "… and 2 more" in errors
    assert count(session_factory) == 0


def test_a_file_that_is_not_csv_exits_1(cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe")
    result = cli("import", "uhc", str(path))
    assert result.exit_code == 1
    assert "error: report.xlsx is not UTF-8 text" in flat(result.stderr)


def test_a_missing_file_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    result = cli("import", "uhc", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2
    assert "does not exist" in flat(result.output)


def test_an_unmigrated_database_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", f"sqlite:///{empty}")
    get_settings.cache_clear()
    path = tmp_path / "gho.csv"
    path.write_bytes(demo.demo_csv())
    try:
        result = CliRunner().invoke(app, ["import", "uhc", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "run 'healthbridge migrate' first" in flat(result.stderr)
