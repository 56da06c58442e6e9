"""``healthbridge import cases FILE`` through Typer's CliRunner, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from healthbridge.audit.models import AuditEntry
from healthbridge.cli import app
from healthbridge.settings import get_settings
from healthbridge.surveillance.models import CaseReport, LabResult

HEADER = (
    "country,case_id,disease,classification,onset_date,report_date,area,"
    "sample_id,test_type,pathogen,result,sample_date,result_date,laboratory"
)
GOOD = (
    f"{HEADER}\n"
    "THA,T-1,dengue,confirmed,2024-03-01,2024-03-04,TH-10,"
    "S-1,pcr,DENV,positive,2024-03-04,2024-03-06,Lab A\n"
    "THA,T-1,,,,,,S-1,rdt,DENV,positive,2024-03-04,2024-03-04,Lab A\n"
    "VNM,V-1,A97.9,suspected,,2024-03-12,VN-HN,,,,,,,\n"
)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, [str(a) for a in args])
    get_settings.cache_clear()


def counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        return (
            session.scalar(select(func.count()).select_from(CaseReport)) or 0,
            session.scalar(select(func.count()).select_from(LabResult)) or 0,
        )


def test_the_command_imports_a_file_and_again_changes_nothing(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(GOOD, encoding="utf-8")
    first = cli("import", "cases", path)
    assert first.exit_code == 0, first.output
    assert " ".join(first.stdout.split()) == (
        "Imported cases.csv (csv): 3 rows — cases 2 created, 0 updated, 0 unchanged; lab results "
        "2 created, 0 updated, 0 unchanged (2024-W09 to 2024-W11); 2 weekly series rolled up."
    )
    second = cli("import", "cases", path, "--format", "csv")
    assert second.exit_code == 0, second.output
    text = " ".join(second.stdout.split())
    assert "cases 0 created, 0 updated, 2 unchanged" in text
    assert "0 weekly series rolled up. The same file was imported before (batch 1)." in text
    assert counts(session_factory) == (2, 2)
    with session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case_reports.import")
        ).all()
        assert len(entries) == 2 and entries[0].actor.startswith("cli:")


def test_the_command_lists_the_errors_and_exits_non_zero(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "bad.csv"
    rows = "".join(f"THA,T-{n},dengue,sure,,2024-03-04,TH-10,,,,,,,\n" for n in range(12))
    path.write_text(f"{HEADER}\n{rows}", encoding="utf-8")
    result = cli("import", "cases", path)
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "bad.csv: 12 problem(s) in the file; nothing was imported" in output
    assert "row 2, classification: 'sure' is not one of suspected, probable or confirmed" in output
    assert "… and 2 more" in output
    assert counts(session_factory) == (0, 0)


def test_json_files_are_read_as_fhir(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    bundle = Path(__file__).parents[1] / "interop" / "data" / "fhir" / "cases-bundle.json"
    result = cli("import", "cases", bundle)
    assert result.exit_code == 0, result.output
    assert "Imported cases-bundle.json (fhir): " in " ".join(result.stdout.split())
    assert counts(session_factory) == (3, 3)
    path = tmp_path / "empty.json"
    path.write_text("{}", encoding="utf-8")
    refused = cli("import", "cases", path)
    # Not a bundle: one clear error line, no traceback.
    assert refused.exit_code == 1
    assert refused.stderr.strip().startswith("error:")
    assert "Traceback" not in refused.output


def test_the_help_documents_the_columns(cli: Any) -> None:
    help_text = " ".join(cli("import", "cases", "--help").output.split())
    for column in ("case_id", "classification", "report_date", "sample_id", "test_type"):
        assert column in help_text
    assert "serology" in help_text and "docs/import-formats.md" in help_text
