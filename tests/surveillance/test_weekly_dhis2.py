"""DHIS2 dataValueSets imports on both databases: stored through the weekly store (atomic,
idempotent, country-scoped, audited), the same counts as the same data in CSV, the API
(``POST /api/v1/weekly-counts/import/dhis2``), the page's DHIS2 form and
``healthbridge import dhis2``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden, Invalid
from healthbridge.interop.weekly_csv import write_weekly_csv
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings
from healthbridge.surveillance import import_commands, weekly_import
from healthbridge.surveillance.models import WeeklyCount
from problem_assertions import assert_problem

Stored = dict[tuple[str, str | None, str, str], tuple[int, int | None]]
API = "/api/v1/weekly-counts/import/dhis2"
PAGE = "/surveillance/weekly"

MAPPING: dict[str, Any] = {
    "description": "Weekly dengue and measles from a national DHIS2",
    "dataElements": {
        "fbfJHSPpUQD": {"disease": "dengue", "measure": "cases", "name": "Dengue cases"},
        "eY5ehpbEsB7": {"disease": "dengue", "measure": "deaths", "name": "Dengue deaths"},
        "cYeuwXTCPkU": {"disease": "B05", "measure": "cases", "name": "Measles cases"},
        "x3Do5e7g4Qo": None,
    },
    "orgUnits": {
        "DiszpKrYNg8": {"country": "THA", "area": "TH-10", "name": "Bangkok"},
        "ImspTQPwCqd": {"country": "THA", "area": None, "name": "Thailand"},
        "O6uvpzGd5pu": {"country": "VNM", "area": "VN-HN", "name": "Ha Noi"},
    },
    "categoryOptionCombos": "sum",
}
BANGKOK, THAILAND, HA_NOI = "DiszpKrYNg8", "ImspTQPwCqd", "O6uvpzGd5pu"
CASES, DEATHS, MEASLES, IGNORED = "fbfJHSPpUQD", "eY5ehpbEsB7", "cYeuwXTCPkU", "x3Do5e7g4Qo"
UNDER_5, OVER_5 = "ZGQBfv5kNoB", "qhp6Hb2sdyY"


def value(
    element: str = CASES,
    unit: str = BANGKOK,
    number: str = "12",
    period: str = "2024W7",
    combo: str = UNDER_5,
) -> dict[str, Any]:
    return {
        "dataElement": element,
        "period": period,
        "orgUnit": unit,
        "categoryOptionCombo": combo,
        "attributeOptionCombo": "HllvX50cXC0",
        "value": number,
        "storedBy": "admin",
    }


def data_value_set(*values: dict[str, Any]) -> bytes:
    return json.dumps({"dataSet": "QX4ZTUbOt3a", "dataValues": list(values)}).encode()


MAPPING_BYTES = json.dumps(MAPPING).encode()
SAMPLE = data_value_set(
    value(number="12"),
    value(number="30", combo=OVER_5),
    value(DEATHS, number="1"),
    value(unit=THAILAND, number="140"),
    value(unit=THAILAND, number="160", period="2024W08"),
    value(IGNORED, number="999"),
    value(MEASLES, unit=THAILAND, number="4", period="2024W08"),
)
#: The same counts as SAMPLE, written as the weekly-counts CSV.
SAMPLE_CSV = write_weekly_csv(
    [
        {
            "country": "THA",
            "area": "TH-10",
            "disease": "dengue",
            "week": "2024-W07",
            "cases": 42,
            "deaths": 1,
        },
        {"country": "THA", "area": None, "disease": "dengue", "week": "2024-W07", "cases": 140},
        {"country": "THA", "area": None, "disease": "dengue", "week": "2024-W08", "cases": 160},
        {"country": "THA", "area": None, "disease": "B05", "week": "2024W8", "cases": 4},
    ]
).encode()


def run_import(
    factory: sessionmaker[Session],
    actor: Principal,
    data: bytes = SAMPLE,
    mapping: bytes = MAPPING_BYTES,
) -> weekly_import.WeeklyImportReport:
    with unit_of_work(factory) as session:
        return weekly_import.import_dhis2(
            session=session,
            actor=actor,
            data=data,
            filename="export.json",
            mapping=mapping,
            mapping_filename="mapping.json",
        )


def stored(factory: sessionmaker[Session]) -> Stored:
    with factory() as session:
        return {
            (c.country_code, c.area_code, c.disease_code, c.week): (c.cases, c.deaths)
            for c in session.scalars(select(WeeklyCount))
        }


def audit_entries(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "weekly_counts.import")
                .order_by(AuditEntry.id)
            )
        )


EXPECTED: Stored = {
    ("THA", "TH-10", "dengue", "2024-W07"): (42, 1),
    ("THA", None, "dengue", "2024-W07"): (140, None),
    ("THA", None, "dengue", "2024-W08"): (160, None),
    ("THA", None, "measles", "2024-W08"): (4, None),
}


@pytest.fixture
def thai_reporter(make_user: Any) -> Principal:
    user = make_user(Role.EPIDEMIOLOGIST, "THA")
    return Principal(email=user.email, role=Role.EPIDEMIOLOGIST, country="THA", user_id=user.id)


# --- the store -----------------------------------------------------------------------------------


def test_a_dhis2_file_is_stored_once_however_often_it_is_imported(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    first = run_import(session_factory, operator)
    assert (first.rows, first.created, first.updated, first.unchanged) == (7, 4, 0, 0)
    assert (first.countries, first.diseases) == (["THA"], ["dengue", "measles"])
    assert (first.first_week, first.last_week) == ("2024-W07", "2024-W08")
    assert stored(session_factory) == EXPECTED
    second = run_import(session_factory, operator)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 4)
    assert stored(session_factory) == EXPECTED
    [entry, _again] = audit_entries(session_factory)
    assert entry.object_id == "export.json"
    assert entry.country_code == "THA"
    assert entry.detail["format"] == "dhis2"
    assert entry.detail["mapping"] == "mapping.json"
    assert len(entry.detail["mapping_sha256"]) == 64
    assert (entry.detail["rows"], entry.detail["created"]) == (7, 4)


def test_a_changed_value_updates_its_count(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator)
    changed = data_value_set(value(number="20"), value(number="30", combo=OVER_5))
    report = run_import(session_factory, operator, changed)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    # The file is the latest word: no deaths value now, so deaths are not reported.
    assert stored(session_factory)[("THA", "TH-10", "dengue", "2024-W07")] == (50, None)


def test_a_bad_value_changes_nothing(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    run_import(session_factory, operator)
    before = stored(session_factory)
    bad = data_value_set(
        value(number="99"),  # would update
        value(period="2024W09"),  # would create
        value(number="-4", period="2024W10"),
        value(unit="someUnknown"),
    )
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, bad)
    assert "export.json" in raised.value.detail
    assert [(e.row, e.field) for e in raised.value.errors] == [
        (3, "dataValues[2].value"),
        (4, "dataValues[3].orgUnit"),
    ]
    assert stored(session_factory) == before
    assert len(audit_entries(session_factory)) == 1


def test_a_bad_mapping_changes_nothing_and_names_the_mapping_key(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    mapping = {
        **MAPPING,
        "orgUnits": {**MAPPING["orgUnits"], BANGKOK: {"country": "THA", "area": "VN-HN"}},
    }
    with pytest.raises(Invalid) as raised:
        run_import(session_factory, operator, mapping=json.dumps(mapping).encode())
    assert raised.value.detail.startswith("mapping.json: 1 problem(s) in the mapping")
    assert [(e.row, e.field) for e in raised.value.errors] == [(None, f"orgUnits.{BANGKOK}.area")]
    assert stored(session_factory) == {}


def test_csv_and_dhis2_of_the_same_data_give_the_same_counts(
    session_factory: sessionmaker[Session], operator: Principal
) -> None:
    with unit_of_work(session_factory) as session:
        from_csv = weekly_import.import_weekly_csv(
            session=session, actor=operator, data=SAMPLE_CSV, filename="same.csv"
        )
    assert from_csv.created == 4
    assert stored(session_factory) == EXPECTED
    from_dhis2 = run_import(session_factory, operator)
    assert (from_dhis2.created, from_dhis2.updated, from_dhis2.unchanged) == (0, 0, 4)
    assert stored(session_factory) == EXPECTED


def test_a_thai_reporter_cannot_import_viet_nam_org_units(
    session_factory: sessionmaker[Session], thai_reporter: Principal
) -> None:
    data = data_value_set(value(), value(unit=HA_NOI), value(unit=HA_NOI, combo=OVER_5))
    with pytest.raises(Forbidden) as raised:
        run_import(session_factory, thai_reporter, data)
    assert raised.value.detail.startswith("export.json row 2:")
    [error] = raised.value.errors
    assert (error.row, error.field) == (2, "dataValues[1].orgUnit")
    assert "VNM is outside your scope (THA)" in error.message
    assert stored(session_factory) == {}
    assert run_import(session_factory, thai_reporter).created == 4


# --- the API -------------------------------------------------------------------------------------


def uploads(data: bytes = SAMPLE, mapping: bytes = MAPPING_BYTES) -> dict[str, Any]:
    return {
        "file": ("export.json", data, "application/json"),
        "mapping": ("mapping.json", mapping, "application/json"),
    }


@pytest.fixture
def thai_headers(make_user: Any, login: Any) -> dict[str, str]:
    headers: dict[str, str] = login(make_user(Role.EPIDEMIOLOGIST, "THA"))
    return headers


def test_the_api_imports_a_dhis2_file_once(
    client: TestClient, thai_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    response = client.post(API, files=uploads(), headers=thai_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "export.json",
        "rows": 7,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "countries": ["THA"],
        "diseases": ["dengue", "measles"],
        "first_week": "2024-W07",
        "last_week": "2024-W08",
        "signals_created": 0,
        "signals_updated": 0,
    }
    again = client.post(API, files=uploads(), headers=thai_headers)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 4)
    assert stored(session_factory) == EXPECTED


def test_the_api_answers_problems_naming_the_data_value(
    client: TestClient, thai_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    bad = data_value_set(value(), value(period="202407"))
    body = assert_problem(client.post(API, files=uploads(bad), headers=thai_headers), 422)
    assert body["errors"] == [
        {
            "row": 2,
            "field": "dataValues[1].period",
            "message": "'202407' is a monthly period: only weekly periods (2024W07, the ISO week) "
            "can be imported",
        }
    ]
    for garbage in (b"\xff\xfe{", b"{", b"null", b'{"dataValues": [1]}'):
        assert_problem(client.post(API, files=uploads(garbage), headers=thai_headers), 422)
        assert_problem(client.post(API, files=uploads(mapping=garbage), headers=thai_headers), 422)
    foreign = data_value_set(value(unit=HA_NOI))
    body = assert_problem(client.post(API, files=uploads(foreign), headers=thai_headers), 403)
    assert body["errors"][0]["field"] == "dataValues[0].orgUnit"
    missing = assert_problem(
        client.post(API, files={"file": ("x.json", SAMPLE)}, headers=thai_headers), 422
    )
    assert {e["field"] for e in missing["errors"]} == {"mapping"}
    assert stored(session_factory) == {}


def test_viewers_cannot_import(client: TestClient, make_user: Any, login: Any) -> None:
    headers = login(make_user(Role.VIEWER, "THA"))
    assert_problem(client.post(API, files=uploads(), headers=headers), 403)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_has_a_dhis2_form_that_imports_and_lists_errors(
    client: TestClient, thai_headers: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    headers = {**thai_headers, "accept": "text/html"}
    page = client.get(PAGE, headers=headers).text
    assert 'action="/surveillance/weekly/import/dhis2"' in page
    assert '<label for="dhis2-mapping">Mapping JSON</label>' in page
    response = client.post(f"{PAGE}/import/dhis2", files=uploads(), headers=headers)
    assert response.status_code == 200, response.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.text))
    assert "Imported export.json: 7 rows — 4 created, 0 updated, 0 unchanged" in text
    assert stored(session_factory) == EXPECTED
    bad = client.post(
        f"{PAGE}/import/dhis2", files=uploads(data_value_set(value(number="x"))), headers=headers
    )
    assert bad.status_code == 422
    assert "dataValues[0].value" in bad.text
    missing = client.post(f"{PAGE}/import/dhis2", headers=headers)
    assert missing.status_code == 422
    assert "choose the mapping JSON file" in missing.text
    assert "choose the DHIS2 dataValueSets JSON file" in missing.text


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    app, import_app, export_app = typer.Typer(), typer.Typer(), typer.Typer()
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")
    import_commands.register(app=app, import_app=import_app, export_app=export_app)
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_the_dhis2_command_imports_and_prints_what_it_did(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    data, mapping = tmp_path / "export.json", tmp_path / "mapping.json"
    data.write_bytes(SAMPLE)
    mapping.write_bytes(MAPPING_BYTES)
    first = cli("import", "dhis2", str(data), "--mapping", str(mapping))
    assert first.exit_code == 0, first.output
    assert " ".join(first.stdout.split()) == (
        "Imported export.json: 7 rows — 4 created, 0 updated, 0 unchanged (2024-W07 to 2024-W08)."
    )
    second = cli("import", "dhis2", str(data), "--mapping", str(mapping))
    assert "0 created, 0 updated, 4 unchanged" in " ".join(second.stdout.split())
    assert stored(session_factory) == EXPECTED
    help_text = " ".join(cli("import", "dhis2", "--help").output.split())
    assert "--mapping" in help_text
    assert "2024W07" in help_text


def test_the_dhis2_command_lists_the_errors_and_exits_non_zero(
    cli: Any, tmp_path: Path, session_factory: sessionmaker[Session]
) -> None:
    data, mapping = tmp_path / "bad.json", tmp_path / "mapping.json"
    data.write_bytes(data_value_set(*(value(number="[bold]x", combo=f"c{i}") for i in range(12))))
    mapping.write_bytes(MAPPING_BYTES)
    result = cli("import", "dhis2", str(data), "--mapping", str(mapping))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "bad.json: 12 problem(s) in the data values; nothing was imported" in output
    assert "row 1, dataValues[0].value: '[bold]x' is not a whole number, 0 or more" in output
    assert "… and 2 more" in output
    missing = cli("import", "dhis2", str(data))
    assert missing.exit_code != 0
    assert stored(session_factory) == {}
