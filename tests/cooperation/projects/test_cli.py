"""``healthbridge export iati`` and ``healthbridge import iati``, run in-process."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import load_demo_projects
from typer.testing import CliRunner, Result

from healthbridge.cli import app
from healthbridge.cooperation.projects.models import Project
from healthbridge.interop import iati
from healthbridge.policy import Principal
from healthbridge.settings import get_settings

Run = Callable[..., Result]
GENERATED = re.compile(rb' generated-datetime="[^"]+"')


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def flat(text: str) -> str:
    return " ".join(text.split())


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    return result


def projects_in(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Project)) or 0


@pytest.fixture
def demo(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, int]:
    return load_demo_projects(session_factory, operator)


def test_export_to_a_file_and_to_stdout(cli: Run, demo: dict[str, int], tmp_path: Path) -> None:
    target = tmp_path / "projects.xml"
    result = ok(cli("export", "iati", "--output", str(target)))
    assert f"to {target}" in flat(result.stderr)
    document = etree.parse(str(target))
    assert iati.schema_errors(document) == []
    assert len(document.getroot()) == 4

    result = ok(cli("export", "iati", "--output", "-", "--identifier", "KR-GOV-010-HB-2023-003"))
    root = etree.fromstring(result.stdout_bytes)
    assert [a.findtext("iati-identifier") for a in root] == ["KR-GOV-010-HB-2023-003"]
    assert result.stderr == ""


def test_export_errors_exit_1(cli: Run, tmp_path: Path) -> None:
    result = cli("export", "iati", "--output", str(tmp_path / "x.xml"))
    assert result.exit_code == 1
    assert "no projects to export" in flat(result.stderr)
    assert not (tmp_path / "x.xml").exists()


def test_import_twice_stores_once(
    cli: Run,
    demo: dict[str, int],
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    exported = tmp_path / "projects.xml"
    ok(cli("export", "iati", "--output", str(exported)))
    renamed = tmp_path / "renamed.xml"
    renamed.write_bytes(exported.read_bytes().replace(b"-HB-2023-", b"-HB-2024-"))

    result = ok(cli("import", "iati", str(renamed)))
    assert flat(result.stdout) == "Imported renamed.xml: 2 created, 0 updated, 2 unchanged."
    result = ok(cli("import", "iati", str(renamed)))
    assert flat(result.stdout) == "Imported renamed.xml: 0 created, 0 updated, 4 unchanged."
    assert projects_in(session_factory) == 6


def test_a_bad_file_exits_1_naming_activity_element_and_line(
    cli: Run,
    demo: dict[str, int],
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    exported = tmp_path / "projects.xml"
    ok(cli("export", "iati", "--output", str(exported)))
    data = exported.read_bytes()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(data.replace(b'code="12220"', b'code="12999"'))
    line = bad.read_bytes()[: bad.read_bytes().index(b'code="12999"')].count(b"\n") + 1

    result = cli("import", "iati", str(bad))
    assert result.exit_code == 1
    message = flat(result.stderr)
    assert message.startswith("error: the IATI file was not imported, nothing was changed")
    assert f"iati-activity[KR-GOV-010-HB-2023-003]/sector[1]/@code (line {line})" in message
    assert "'12999' is not a known OECD DAC purpose code" in message
    assert len(result.stderr.strip().splitlines()) <= 2  # one message (Rich may wrap it)

    malformed = tmp_path / "malformed.xml"
    malformed.write_bytes(data[:200])
    result = cli("import", "iati", str(malformed))
    assert result.exit_code == 1
    assert "not well-formed XML" in flat(result.stderr)

    result = cli("import", "iati", str(tmp_path / "missing.xml"))
    assert result.exit_code == 1
    assert "cannot read" in flat(result.stderr)
    assert projects_in(session_factory) == 4
    # Nothing changed: the export is what it was.
    ok(cli("export", "iati", "--output", str(tmp_path / "after.xml")))
    after = (tmp_path / "after.xml").read_bytes()
    assert GENERATED.sub(b"", after) == GENERATED.sub(b"", data)
