"""Roster imports (service and command line): atomic, idempotent, errors naming row and field."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.training.conftest import UnitOfWork
from typer.testing import CliRunner, Result

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.cli import app
from healthbridge.cooperation.training import roster
from healthbridge.cooperation.training.models import Course, Enrolment, Programme, Trainee
from healthbridge.errors import Forbidden, Invalid
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings

HEADER = list(roster.COLUMNS)
ROWS = [
    {
        "full_name": "Kanya Demo",
        "email": "kanya@example.org",
        "sex": "female",
        "country": "THA",
        "organisation": "THA-MOPH",
        "position": "QC analyst",
        "status": "completed",
        "completed_on": "2024-06-14",
    },
    {
        "full_name": "Thi Hoa Demo",
        "email": "hoa@example.org",
        "sex": "",
        "country": "VNM",
        "organisation": "",
        "position": "",
        "status": "enrolled",
        "completed_on": "",
    },
]


def count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def run_import(
    uow: UnitOfWork,
    actor: Principal,
    rows: list[dict[str, str | None]],
    course: Course | None,
    header: list[str] = HEADER,
) -> roster.RosterReport:
    with uow() as session:
        return roster.import_roster(
            session=session,
            actor=actor,
            header=header,
            records=rows,
            course=session.get(Course, course.id) if course else None,
        )


def test_a_roster_creates_trainees_enrolments_and_certificates_once(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    session_factory: sessionmaker[Session],
) -> None:
    report = run_import(uow, operator, list(ROWS), course)  # type: ignore[arg-type]
    assert (report.rows, report.trainees_created, report.enrolments_created) == (2, 2, 2)
    assert (report.completions, report.certificates, report.unchanged) == (
        1,
        ["BIOHUB-2024-0001"],
        0,
    )
    again = run_import(uow, operator, list(ROWS), course)  # type: ignore[arg-type]
    assert (again.trainees_created, again.enrolments_created, again.completions) == (0, 0, 0)
    assert again.unchanged == 2
    assert count(session_factory, Trainee) == 2
    assert count(session_factory, Enrolment) == 2


def test_a_bad_row_refuses_the_whole_roster_naming_row_and_field(
    uow: UnitOfWork,
    operator: Principal,
    course: Course,
    session_factory: sessionmaker[Session],
) -> None:
    rows = [
        dict(ROWS[0]),
        {**ROWS[1], "email": "not an address"},
        {**ROWS[1], "email": "x@example.org", "country": "XYZ"},
        {**ROWS[1], "email": "y@example.org", "status": "graduated"},
        {**ROWS[1], "email": "z@example.org", "completed_on": "14/06/2024"},
    ]
    with pytest.raises(Invalid) as refused:
        run_import(uow, operator, rows, course)  # type: ignore[arg-type]
    errors = [(e.row, e.field) for e in refused.value.errors]
    assert errors == [(2, "email"), (3, "country"), (4, "status"), (5, "completed_on")]
    assert "nothing was imported" in refused.value.detail
    assert count(session_factory, Trainee) == 0


def test_a_roster_header_must_name_known_columns(uow: UnitOfWork, operator: Principal) -> None:
    with pytest.raises(Invalid) as refused:
        run_import(uow, operator, [], None, header=["full_name", "e-mail", "country"])
    assert {(e.row, e.field) for e in refused.value.errors} == {(0, "e-mail"), (0, "email")}


def test_a_focal_point_imports_only_their_own_country(
    uow: UnitOfWork,
    make_user: Callable[..., User],
    course: Course,
    session_factory: sessionmaker[Session],
) -> None:
    focal = accounts.principal_of(make_user(Role.FOCAL_POINT, "THA"))
    with pytest.raises(Forbidden):
        run_import(uow, focal, list(ROWS), course)  # type: ignore[arg-type]
    assert count(session_factory, Trainee) == 0
    report = run_import(uow, focal, [dict(ROWS[0])], None)  # type: ignore[list-item]
    assert report.trainees_created == 1


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def write_roster(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_cli_imports_a_roster_and_exports_the_summary(
    cli: Callable[..., Result],
    course: Course,
    programme: Programme,
    tmp_path: Path,
    session_factory: sessionmaker[Session],
) -> None:
    file = write_roster(tmp_path / "roster.csv", ROWS)
    result = cli("import", "training-roster", str(file), "--course", str(course.id))
    assert result.exit_code == 0, result.output
    assert "2 new trainee(s)" in result.output
    assert "Certificate issued: BIOHUB-2024-0001" in result.output
    again = cli("import", "training-roster", str(file), "--course", str(course.id))
    assert again.exit_code == 0 and "2 row(s) already up to date" in again.output
    assert count(session_factory, Trainee) == 2

    by_country = cli("export", "training-summary", "biohub")
    assert by_country.exit_code == 0, by_country.output
    assert by_country.stdout.splitlines() == [
        "country,country_name,trainees,enrolments,completions,certificates",
        "THA,Thailand,1,1,1,1",
        "VNM,Viet Nam,1,1,0,0",
    ]
    target = tmp_path / "courses.csv"
    by_course = cli(
        "export", "training-summary", "BIOHUB", "--by", "course", "--output", str(target)
    )
    assert by_course.exit_code == 0, by_course.output
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("course_id,title,starts_on")
    assert lines[1].endswith(",1,1,0,1")  # enrolled, completed, withdrawn, certificates
    assert "Kanya" not in target.read_text(encoding="utf-8") + by_country.stdout


def test_the_cli_refuses_a_bad_roster_with_one_clear_line(
    cli: Callable[..., Result], course: Course, tmp_path: Path
) -> None:
    file = write_roster(tmp_path / "bad.csv", [{**ROWS[0], "country": "XYZ"}])
    result = cli("import", "training-roster", str(file), "--course", str(course.id))
    assert result.exit_code == 1
    assert "country" in result.output and "(row 1)" in result.output
    missing = cli("import", "training-roster", str(tmp_path / "absent.csv"))
    assert missing.exit_code == 1 and "cannot read" in missing.output
    unknown = cli("export", "training-summary", "NOPE")
    assert unknown.exit_code == 1 and "no training programme" in unknown.output
