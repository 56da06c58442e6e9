"""The ``healthbridge`` command line, run in-process through Typer's CliRunner.

In the installed Click/Typer, ``result.output`` holds stdout and stderr interleaved, and
``result.stdout`` / ``result.stderr`` each stream alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge import flows
from healthbridge.accounts.models import ApiToken, User
from healthbridge.cli import app
from healthbridge.geography.models import Country, Subdivision
from healthbridge.organisations.models import Organisation
from healthbridge.settings import get_settings
from healthbridge.surveillance.models import Disease

PASSWORD = "correct horse battery staple"
Run = Callable[..., Result]


def flat(text: str) -> str:
    """Text with every run of whitespace made one space (Rich wraps long lines)."""
    return " ".join(text.split())


def _runner(monkeypatch: pytest.MonkeyPatch, url: str) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that Rich tables do not truncate
    monkeypatch.delenv("HEALTHBRIDGE_NEW_PASSWORD", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run the command line against the test's database."""
    yield from _runner(monkeypatch, database_url)


@pytest.fixture
def empty_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """Run the command line against an (empty) SQLite file that was never migrated."""
    path = tmp_path / "empty.sqlite3"
    path.touch()
    yield from _runner(monkeypatch, f"sqlite:///{path}")


def ok(result: Result) -> Result:
    assert result.exit_code == 0, f"exit {result.exit_code}: {result.output}\n{result.exception!r}"
    return result


def count(factory: sessionmaker[Session], model: type, *where: object) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def get_user(factory: sessionmaker[Session], email: str) -> User | None:
    with factory() as session:
        return session.scalar(select(User).where(User.email == email))


def create_user(cli: Run, email: str, *extra: str) -> Result:
    return cli(
        "user",
        "create",
        email,
        "--role",
        "epidemiologist",
        "--name",
        "Pim Chaiyaporn",
        "--country",
        "THA",
        "--password",
        PASSWORD,
        *extra,
    )


# --- migrate, seed, demo --------------------------------------------------------------------


def test_migrate_is_idempotent_on_a_migrated_database(
    cli: Run, session_factory: sessionmaker[Session]
) -> None:
    countries = count(session_factory, Country)
    for _ in range(2):
        result = ok(cli("migrate"))
        assert "newest schema" in flat(result.output)
        assert "14 countries" in flat(result.output)
    assert count(session_factory, Country) == countries == 14


def test_migrate_creates_the_schema_of_an_empty_database(tmp_path: Path, empty_sqlite: Run) -> None:
    assert ok(empty_sqlite("migrate"))
    listed = ok(empty_sqlite("user", "list"))
    assert "0 account(s)" in listed.output
    assert (tmp_path / "empty.sqlite3").stat().st_size > 0


def test_migrate_names_the_database_without_credentials(
    cli: Run, database_url: str, backend: str
) -> None:
    text = flat(ok(cli("migrate")).output).replace(" ", "")
    url = make_url(database_url)
    if backend == "postgresql":
        assert f"://***@{url.host}:{url.port}/{url.database}" in text
        assert f"{url.username}@" not in text
    else:
        assert database_url in text


def test_seed(cli: Run, session_factory: sessionmaker[Session]) -> None:
    before = [count(session_factory, m) for m in (Country, Subdivision, Organisation, Disease)]
    result = ok(cli("seed"))
    text = flat(result.output)
    assert f"Loaded 14 countries, {before[1]} subdivisions" in text
    assert f"{before[2]} organisations and {before[3]} diseases" in text
    after = [count(session_factory, m) for m in (Country, Subdivision, Organisation, Disease)]
    assert after == before


def test_demo_without_serving_prints_the_logins_and_creates_the_accounts(
    cli: Run, session_factory: sessionmaker[Session]
) -> None:
    users_before = count(session_factory, User)
    result = ok(cli("demo", "--no-serve"))
    text = flat(result.output)
    assert flows.DEMO_PASSWORD in text
    for account in flows.DEMO_ACCOUNTS:
        assert account.email in text
        user = get_user(session_factory, account.email)
        assert user is not None
        assert user.role == account.role.value
        assert user.country_code == account.country
    assert "Serving" not in text
    ok(cli("demo", "--no-serve"))  # a second run creates nothing new
    assert count(session_factory, User) == users_before + len(flows.DEMO_ACCOUNTS)


def test_demo_accounts_sign_in(cli: Run, client: TestClient) -> None:
    ok(cli("demo", "--no-serve"))
    response = client.post(
        "/api/v1/auth/token",
        data={"username": "focal.tha@healthbridge.demo", "password": flows.DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["role"] == "focal_point"


# --- users ----------------------------------------------------------------------------------


def test_user_create_then_list(cli: Run, session_factory: sessionmaker[Session]) -> None:
    created = ok(create_user(cli, "Pim.C@Example.org", "--organisation", "tha-moph"))
    assert "Created account" in created.output
    assert "pim.c@example.org" in created.output
    user = get_user(session_factory, "pim.c@example.org")
    assert user is not None
    assert (user.role, user.country_code, user.organisation_code, user.is_active) == (
        "epidemiologist",
        "THA",
        "THA-MOPH",
        True,
    )
    listed = ok(cli("user", "list"))
    assert "pim.c@example.org" in listed.output
    assert "Pim Chaiyaporn" in listed.output
    only_vnm = ok(cli("user", "list", "--country", "VNM"))
    assert "pim.c@example.org" not in only_vnm.output
    only_tha = ok(cli("user", "list", "--country", "tha", "--role", "epidemiologist"))
    assert "pim.c@example.org" in only_tha.output


def test_user_create_with_unknown_country_fails_and_creates_nothing(
    cli: Run, session_factory: sessionmaker[Session]
) -> None:
    users = count(session_factory, User)
    result = cli(
        "user",
        "create",
        "nobody@example.org",
        "--role",
        "viewer",
        "--name",
        "No Body",
        "--country",
        "XYZ",
        "--password",
        PASSWORD,
    )
    assert result.exit_code == 1
    assert "unknown country code" in flat(result.stderr)
    assert "unknown country code" not in result.stdout
    assert "Traceback" not in result.output
    assert count(session_factory, User) == users
    assert get_user(session_factory, "nobody@example.org") is None


def test_user_create_duplicate_email_fails(
    cli: Run, session_factory: sessionmaker[Session]
) -> None:
    ok(create_user(cli, "twice@example.org"))
    users = count(session_factory, User)
    again = create_user(cli, "TWICE@example.org")
    assert again.exit_code == 1
    assert "exists already" in flat(again.stderr)
    assert count(session_factory, User) == users


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--password", "short"), "password"),
        (("--country", "THA", "--password", PASSWORD), "region"),  # a regional role
    ],
)
def test_user_create_refuses_bad_input(
    cli: Run, session_factory: sessionmaker[Session], args: tuple[str, ...], message: str
) -> None:
    users = count(session_factory, User)
    result = cli(
        "user", "create", "bad@example.org", "--role", "secretariat", "--name", "Bad", *args
    )
    assert result.exit_code == 1
    assert message in flat(result.output).lower()
    assert "Traceback" not in result.output
    assert count(session_factory, User) == users


def test_user_create_without_password_on_a_pipe_fails(cli: Run) -> None:
    result = cli("user", "create", "np@example.org", "--role", "viewer", "--name", "No Password")
    assert result.exit_code == 1
    assert "no password" in flat(result.stderr)


def test_user_disable(cli: Run, session_factory: sessionmaker[Session]) -> None:
    ok(create_user(cli, "leaving@example.org"))
    result = ok(cli("user", "disable", "leaving@example.org"))
    assert "Disabled leaving@example.org" in flat(result.output)
    user = get_user(session_factory, "leaving@example.org")
    assert user is not None
    assert user.is_active is False
    assert "leaving@example.org" not in ok(cli("user", "list")).output
    with_disabled = ok(cli("user", "list", "--include-disabled")).output
    row = next(line for line in with_disabled.splitlines() if "leaving@example.org" in line)
    assert " no " in row


def test_user_disable_unknown_email_fails(cli: Run) -> None:
    result = cli("user", "disable", "ghost@example.org")
    assert result.exit_code == 1
    assert "no account with e-mail 'ghost@example.org'" in flat(result.stderr)


# --- tokens ---------------------------------------------------------------------------------


def _token(result: Result) -> tuple[int, str]:
    ok(result)
    secret = result.stdout.strip()
    match = re.search(r"Token (\d+) for", result.stderr)
    assert match, result.stderr
    return int(match.group(1)), secret


def test_token_create_authenticates_the_api(
    cli: Run, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    ok(create_user(cli, "machine@example.org"))
    token_id, secret = _token(cli("token", "create", "machine@example.org", "--name", "DHIS2"))
    assert secret.startswith("hb_")
    assert result_lines(cli("token", "create", "machine@example.org", "--name", "b")) == 1
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.text
    assert me.json()["email"] == "machine@example.org"
    assert me.json()["country_code"] == "THA"
    with session_factory() as session:
        token = session.get(ApiToken, token_id)
        assert token is not None
        assert (token.kind, token.name, token.revoked_at) == ("api", "DHIS2", None)
        assert token.expires_at is not None


def result_lines(result: Result) -> int:
    """How many lines ``token create`` wrote on stdout: the token alone, ready for a pipe."""
    return len(ok(result).stdout.splitlines())


def test_token_list_and_revoke(cli: Run, client: TestClient) -> None:
    ok(create_user(cli, "sync@example.org"))
    token_id, secret = _token(
        cli("token", "create", "sync@example.org", "--name", "nightly sync", "--days", "0")
    )
    listed = ok(cli("token", "list", "sync@example.org")).output
    row = next(line for line in listed.splitlines() if f" {token_id} " in line)
    assert "nightly sync" in row
    assert secret[:8] in row
    assert secret not in listed
    assert "never" in row
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    revoked = ok(cli("token", "revoke", str(token_id)))
    assert f"Token {token_id} revoked" in revoked.output
    assert "nightly sync" not in ok(cli("token", "list", "sync@example.org")).output
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    ok(cli("token", "revoke", str(token_id)))  # idempotent


def test_token_revoke_unknown_id_fails(cli: Run) -> None:
    result = cli("token", "revoke", "999999")
    assert result.exit_code == 1
    assert "no token with id 999999" in flat(result.stderr)


def test_token_for_a_disabled_user_is_refused(cli: Run) -> None:
    ok(create_user(cli, "gone@example.org"))
    ok(cli("user", "disable", "gone@example.org"))
    result = cli("token", "create", "gone@example.org", "--name", "x")
    assert result.exit_code == 1
    assert "disabled" in flat(result.stderr)
    assert "hb_" not in result.stdout


def test_disabling_a_user_revokes_its_tokens(cli: Run, client: TestClient) -> None:
    ok(create_user(cli, "robot@example.org"))
    _id, secret = _token(cli("token", "create", "robot@example.org", "--name", "robot"))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    ok(cli("user", "disable", "robot@example.org"))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


# --- audit ----------------------------------------------------------------------------------


def test_audit_verify_and_list(cli: Run) -> None:
    ok(create_user(cli, "audited@example.org"))
    verified = ok(cli("audit", "verify"))
    match = re.search(r"Audit chain intact: (\d+) entries verified", flat(verified.output))
    assert match, verified.output
    assert int(match.group(1)) >= 1
    listed = ok(cli("audit", "list", "--limit", "5"))
    assert "audit entries (newest first)" in listed.output
    assert "user.create" in listed.output
    assert "cli:" in listed.output  # the operator is recorded as the actor


def test_audit_verify_on_a_fresh_database(cli: Run) -> None:
    result = ok(cli("audit", "verify"))
    assert "intact" in result.output


def test_audit_list_rejects_a_bad_limit(cli: Run) -> None:
    result = cli("audit", "list", "--limit", "0")
    assert result.exit_code == 2
    assert "--limit" in result.output


# --- help and errors ------------------------------------------------------------------------


def _commands() -> list[tuple[list[str], Any]]:
    """Every command and group, with its path (Typer ships its own copy of Click's classes)."""
    found: list[tuple[list[str], Any]] = []
    stack: list[tuple[list[str], Any]] = [([], typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        found.append((path, command))
        subcommands = getattr(command, "commands", {})
        stack.extend(([*path, name], sub) for name, sub in subcommands.items())
    return sorted(found, key=lambda item: item[0])


COMMANDS = _commands()


def test_every_command_is_listed() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "",
        "migrate",
        "seed",
        "demo",
        "serve",
        "user",
        "user create",
        "user list",
        "user disable",
        "token",
        "token create",
        "token list",
        "token revoke",
        "audit",
        "audit verify",
        "audit list",
    } <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(p) or "healthbridge" for p, _ in COMMANDS]
)
def test_help(path: list[str], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert f"Usage: healthbridge {' '.join(path)}".rstrip() in text
    assert command.help, f"'{' '.join(path)}' has no help text"
    first_paragraph = flat(command.help.split("\n\n")[0])
    assert first_paragraph in text
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"option {param.opts} of '{' '.join(path)}' has no help"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert re.search(r"healthbridge \d+\.\d+", result.output)


@pytest.mark.parametrize(
    "args",
    [
        ("seed",),
        ("user", "list"),
        ("user", "disable", "a@example.org"),
        ("token", "list", "a@example.org"),
        ("audit", "verify"),
    ],
)
def test_unmigrated_database_says_to_migrate(empty_sqlite: Run, args: tuple[str, ...]) -> None:
    result = empty_sqlite(*args)
    assert result.exit_code == 1
    assert "run 'healthbridge migrate'" in flat(result.stderr)
    assert "Traceback" not in result.output


def test_help_texts_wrap_to_the_terminal_not_to_their_source_lines() -> None:
    """Help written over several source lines reads as paragraphs at any width: no line of the
    80-column help of ``import cases`` is left short by a break from the source."""
    result = CliRunner().invoke(app, ["import", "cases", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    text = [line.rstrip() for line in result.output.splitlines()]
    start = next(i for i, line in enumerate(text) if "--format csv" in line)
    paragraph = text[start : text.index("", start)]
    assert len(paragraph) > 3
    # Every line of the paragraph but its last is filled close to the width.
    assert all(len(line) > 60 for line in paragraph[:-1]), paragraph
