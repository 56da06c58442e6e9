"""The streamed export of case reports: the import's format (imported again, nothing changes),
a country's own cases only, audited, written a partition at a time, and from the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.surveillance.test_case_routes import case
from typer.testing import CliRunner

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cli import app as cli
from healthbridge.db import unit_of_work
from healthbridge.interop.cases_csv import CASE_COLUMNS, write_cases_csv
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings
from healthbridge.surveillance import case_export, case_queries, cases

Headers = dict[str, str]


THAI = [
    case("TH-1", sex="female", age_group="25-34", hospitalised=True),
    case("TH-2", classification="probable", travelled=True, travel_countries="LAO VNM"),
    case("TH-3", disease="measles", outcome="died", notification_date=dt.date(2024, 3, 5)),
    case("TH-4, with a comma", area=None, onset_date=None),
]


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    data = write_cases_csv([*THAI, case("VN-1", "VNM")]).encode()
    with unit_of_work(session_factory) as session:
        cases.import_case_file(session=session, actor=operator, data=data, filename="f.csv")


@pytest.fixture
def thai(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Headers:
    return login(make_user(Role.EPIDEMIOLOGIST, "THA"))


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.usefixtures("loaded")
def test_the_export_is_the_import_format_and_changes_nothing_imported_again(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    response = client.get("/api/v1/cases/export", headers=thai)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="cases-tha.csv"' in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(CASE_COLUMNS)
    rows = _rows(response.text)
    assert [r["case_id"] for r in rows] == [c.case_id for c in THAI]  # never Viet Nam's
    first = rows[0]
    assert (first["sex"], first["hospitalised"], first["area"]) == ("female", "yes", "TH-10")
    assert rows[1]["travel_countries"] == "LAO VNM" and rows[2]["disease"] == "measles"
    again = client.post(
        "/api/v1/cases/import",
        headers=thai,
        files={"file": ("export.csv", response.content, "text/csv")},
    )
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["cases_created"], body["cases_updated"], body["cases_unchanged"]) == (0, 0, 4)
    with session_factory() as session:
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case_report.export")
        ).all()
    assert len(audited) == 1 and audited[0].country_code == "THA"


@pytest.mark.usefixtures("loaded")
def test_filters_apply_and_another_country_is_refused(client: TestClient, thai: Headers) -> None:
    measles = client.get("/api/v1/cases/export?disease=measles", headers=thai)
    assert [r["case_id"] for r in _rows(measles.text)] == ["TH-3"]
    refused = client.get("/api/v1/cases/export?country=VNM", headers=thai)
    assert refused.status_code == 403
    assert client.get("/api/v1/cases/export").status_code == 401


@pytest.mark.usefixtures("loaded")
def test_rows_are_written_a_partition_at_a_time(
    session_factory: sessionmaker[Session],
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(case_export, "PARTITION_ROWS", 1)
    reader = accounts.principal_of(make_user(Role.EPIDEMIOLOGIST, "THA"))
    with unit_of_work(session_factory) as session:
        where = case_queries.check_case_filter(session=session)
        query = case_export.prepare_export(session=session, actor=reader, where=where)
    chunks: Iterator[bytes] = case_export.stream_csv(session_factory, query)
    parts = list(chunks)
    assert len(parts) == len(THAI)  # one row per chunk, the header with the first
    assert b"".join(parts).decode().count("\n") == len(THAI) + 1


@pytest.mark.usefixtures("loaded")
def test_the_command_exports_as_an_account(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_user: Callable[..., User],
) -> None:
    epidemiologist = make_user(Role.EPIDEMIOLOGIST, "THA")
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        target = tmp_path / "thai.csv"
        target.write_text("an older export")
        export = ["export", "cases", "--as", epidemiologist.email]
        done = CliRunner().invoke(cli, [*export, "--output", str(target)])
        assert done.exit_code == 0, done.output
        assert f"Exported {len(THAI)} case reports" in done.stderr
        assert [r["case_id"] for r in _rows(target.read_text())] == [c.case_id for c in THAI]
        missing = CliRunner().invoke(cli, [*export, "--output", str(tmp_path / "no" / "x")])
        assert missing.exit_code == 1 and "no such directory" in missing.stderr
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".thai")]
        foreign = CliRunner().invoke(cli, [*export, "--country", "VNM"])
        assert foreign.exit_code == 1 and "outside the scope of THA" in foreign.stderr
    finally:
        get_settings.cache_clear()
