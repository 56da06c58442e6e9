"""The ``healthbridge`` command line: serve, migrate, seed, demo, users, tokens and the audit log.

Every command prints a clear message and exits non-zero when it fails; the operator running the
command line acts as a regional administrator and is recorded as such in the audit log.
"""

from __future__ import annotations

import getpass
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from healthbridge import __version__, flows, migrate
from healthbridge import backup as backups
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import TokenCreate, UserCreate
from healthbridge.audit import service as audit
from healthbridge.cooperation.commitments import commands as commitment_commands
from healthbridge.cooperation.meetings import commands as meeting_commands
from healthbridge.cooperation.projects import commands as project_commands
from healthbridge.cooperation.training import commands as training_commands
from healthbridge.cooperation.uhc import commands as uhc_commands
from healthbridge.db import make_engine, make_session_factory, unit_of_work
from healthbridge.eoc import commands as eoc_commands
from healthbridge.eoc import investigation_commands
from healthbridge.errors import HealthBridgeError
from healthbridge.notifications import commands as notification_commands
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Principal, Role, operator_principal
from healthbridge.resources import allocate_commands
from healthbridge.resources import catalogue_commands as resource_catalogue_commands
from healthbridge.resources import plan_commands as resource_plan_commands
from healthbridge.resources import request_commands as resource_request_commands
from healthbridge.settings import get_settings
from healthbridge.surveillance import case_commands
from healthbridge.surveillance import commands as surveillance_commands
from healthbridge.surveillance import import_commands as weekly_import_commands

app = typer.Typer(
    name="healthbridge",
    help="HealthBridge: the ASEAN–Republic of Korea health cooperation system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Create, list and disable user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Long-lived API tokens for machine clients.", no_args_is_help=True)
audit_app = typer.Typer(help="Inspect and verify the audit log.", no_args_is_help=True)
import_app = typer.Typer(help="Import data files (atomic and idempotent).", no_args_is_help=True)
export_app = typer.Typer(help="Export data in exchange formats.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")


def _console(*, stderr: bool = False) -> Console:
    # Made at each use, not at import: the width follows COLUMNS as it is when the command runs,
    # and output to a pipe or a file gets wide tables instead of truncated cells.
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else int(os.environ.get("COLUMNS") or 0) or 160
    return Console(stderr=stderr, width=width)


def out() -> Console:
    return _console()


def err() -> Console:
    return _console(stderr=True)


F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    # The message may quote user input (a file name, a cell): never read it as markup, and keep
    # it on one line so that scripts can grep it.
    err().print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def clean_errors(func: F) -> F:
    """Turn the errors users can cause into one line on stderr and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HealthBridgeError as exc:
            details = "; ".join(
                f"{e.field}: {e.message}" + (f" (row {e.row})" if e.row is not None else "")
                for e in exc.errors
            )
            raise fail(exc.detail + (f" — {details}" if details else "")) from None
        except OperationalError as exc:
            raise fail(f"cannot use the database: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise fail(f"database error: {exc}") from None

    return wrapper  # type: ignore[return-value]


def _operator() -> Principal:
    try:
        name = getpass.getuser()
    except Exception:
        name = "operator"
    return operator_principal(f"cli:{name}")


@contextmanager
def _session(*, require_schema: bool = True) -> Iterator[Session]:
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        if require_schema and migrate.current_revision(engine) is None:
            raise fail("the database has no schema yet: run 'healthbridge migrate' first")
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _migrate(*, seed: bool = True) -> flows.SeedCounts | None:
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        migrate.upgrade(engine)
        if not seed:
            return None
        with unit_of_work(make_session_factory(engine)) as session:
            return flows.seed_reference_data(session=session, actor=_operator())
    finally:
        engine.dispose()


def _where() -> str:
    url = get_settings().resolved_database_url()
    if "@" in url:  # hide credentials
        scheme, _, rest = url.partition("://")
        url = f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """HealthBridge: the ASEAN–Republic of Korea health cooperation system.

    The database is HEALTHBRIDGE_DATABASE_URL (default: an SQLite file in the user's data
    directory).
    """
    if version:
        out().print(f"healthbridge {__version__}")
        raise typer.Exit(0)


@app.command()
@clean_errors
def migrate_cmd() -> None:
    """Create or upgrade the database schema, then load the reference data."""
    counts = _migrate()
    assert counts is not None
    out().print(
        f"Database at [bold]{_where()}[/] is at the newest schema; reference data: "
        f"{counts.countries} countries, {counts.subdivisions} subdivisions, "
        f"{counts.organisations} organisations, {counts.diseases} diseases."
    )


app.registered_commands[-1].name = "migrate"


@app.command()
@clean_errors
def seed() -> None:
    """(Re)load the reference data: countries, subdivisions, organisations, diseases."""
    with _session() as session:
        counts = flows.seed_reference_data(session=session, actor=_operator())
    out().print(
        f"Loaded {counts.countries} countries, {counts.subdivisions} subdivisions, "
        f"{counts.organisations} organisations and {counts.diseases} diseases."
    )


def _print_demo_logins(demo_accounts: list[flows.DemoAccount]) -> None:
    table = Table(title=f"Demo logins (password for all: {flows.DEMO_PASSWORD})")
    for column in ("E-mail", "Role", "Scope"):
        table.add_column(column)
    for account in demo_accounts:
        table.add_row(account.email, account.role.label, account.country or "Region")
    out().print(table)


@app.command()
@clean_errors
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the app after loading.")
    ] = True,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate, load the demo data and serve the platform (use --no-serve to only load)."""
    _migrate(seed=False)  # load_demo loads the reference data itself
    with _session() as session:
        demo_accounts = flows.load_demo(session=session, actor=_operator())
    out().print(f"Demo data loaded into [bold]{_where()}[/].")
    _print_demo_logins(demo_accounts)
    if serve_after:
        _serve(host=host, port=port, workers=1, reload=False)


def _serve(*, host: str, port: int, workers: int, reload: bool) -> None:
    import uvicorn

    settings = get_settings()
    problems = settings.production_problems()
    if problems:
        for problem in problems:
            err().print(f"error: {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if settings.is_production and reload:
        raise fail("--reload is for development: it may not run in production")
    with _session() as session:
        del session  # only checks that the schema exists before binding the port
    tls = settings.tls_certfile is not None and settings.tls_keyfile is not None
    scheme = "https" if tls else "http"
    out().print(f"Serving HealthBridge on [bold]{scheme}://{host}:{port}[/] (Ctrl+C to stop)")
    uvicorn.run(
        "healthbridge.api:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        ssl_certfile=str(settings.tls_certfile) if tls else None,
        ssl_keyfile=str(settings.tls_keyfile) if tls else None,
        # Longer than clients and proxies keep an idle connection (uvicorn's 5 s would close
        # connections they are about to reuse, and their request then fails).
        timeout_keep_alive=75,
        log_level="info",
    )


@app.command()
@clean_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web UI and the API (/api/v1, documented at /api/v1/docs)."""
    _serve(host=host, port=port, workers=workers, reload=reload)


def _find_user(session: Session, email: str) -> Any:
    user = accounts.find_user_by_email(session=session, email=email)
    if user is None:
        raise fail(f"no account with e-mail '{email}'")
    return user


@user_app.command("create")
@clean_errors
def user_create(
    email: Annotated[str, typer.Argument(help="E-mail address; also the login.")],
    role: Annotated[Role, typer.Option(help="What the user does.", case_sensitive=False)],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    country: Annotated[
        str | None, typer.Option(help="ISO alpha-3 of the user's country; omit for the region.")
    ] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation code.")] = None,
    title: Annotated[str | None, typer.Option(help="Job title.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password; prompted for when omitted, or read from HEALTHBRIDGE_NEW_PASSWORD."
        ),
    ] = None,
) -> None:
    """Create an account."""
    password = password or os.environ.get("HEALTHBRIDGE_NEW_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise fail("no password: pass --password or set HEALTHBRIDGE_NEW_PASSWORD")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user_in = UserCreate(
            email=email,
            full_name=name,
            title=title,
            role=role,
            country=country,
            organisation=organisation,
            password=password,
        )
    except ValueError as exc:
        raise fail(_pydantic_message(exc)) from None
    with _session() as session:
        user = accounts.create_user(session=session, actor=_operator(), user_in=user_in)
        out().print(
            f"Created account {user.id}: {user.email} ({role.label}, "
            f"{user.country_code or 'region'})."
        )


def _pydantic_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors())
    return str(exc)


@user_app.command("list")
@clean_errors
def user_list(
    country: Annotated[str | None, typer.Option(help="Only this country (ISO alpha-3).")] = None,
    role: Annotated[Role | None, typer.Option(help="Only this role.", case_sensitive=False)] = None,
    include_disabled: Annotated[bool, typer.Option(help="Show disabled accounts too.")] = False,
) -> None:
    """List accounts."""
    with _session() as session:
        users, total = accounts.list_users(
            session=session,
            actor=_operator(),
            page=PageRequest(limit=MAX_LIMIT),
            country=country,
            role=role,
            active=None if include_disabled else True,
        )
        table = Table(title=f"{total} account(s)")
        for column in ("Id", "E-mail", "Name", "Role", "Scope", "Active"):
            table.add_column(column)
        for user in users:
            table.add_row(
                str(user.id),
                user.email,
                user.full_name,
                user.role,
                user.country_code or "region",
                "yes" if user.is_active else "no",
            )
        out().print(table)
        if total > len(users):
            out().print(f"(showing the first {len(users)}; filter with --country or --role)")


@user_app.command("disable")
@clean_errors
def user_disable(email: Annotated[str, typer.Argument(help="E-mail of the account.")]) -> None:
    """Disable an account and revoke all its tokens."""
    with _session() as session:
        user = _find_user(session, email)
        accounts.disable_user(session=session, actor=_operator(), user_id=user.id)
        out().print(f"Disabled {user.email}; its tokens are revoked.")


@token_app.command("create")
@clean_errors
def token_create(
    email: Annotated[str, typer.Argument(help="The account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'DHIS2 sync'.")],
    days: Annotated[
        int | None, typer.Option(help="Days until it expires (default 365; 0 = never).", min=0)
    ] = 365,
) -> None:
    """Create a long-lived API token; it is printed once, on stdout."""
    with _session() as session:
        user = _find_user(session, email)
        token, secret = accounts.create_api_token(
            session=session,
            actor=_operator(),
            user=user,
            token_in=TokenCreate(name=name, expires_in_days=days or None),
        )
        expiry = token.expires_at.date().isoformat() if token.expires_at else "never"
    err().print(
        f"Token {token.id} for {user.email}, expires {expiry}. Store it now; it is not shown again:"
    )
    print(secret)


@token_app.command("list")
@clean_errors
def token_list(email: Annotated[str, typer.Argument(help="The account.")]) -> None:
    """List an account's active tokens."""
    with _session() as session:
        user = _find_user(session, email)
        tokens, _total = accounts.list_tokens(
            session=session, actor=_operator(), user=user, page=PageRequest(limit=MAX_LIMIT)
        )
        table = Table(title=f"Tokens of {user.email}")
        for column in ("Id", "Kind", "Name", "Starts with", "Expires", "Last used"):
            table.add_column(column)
        for t in tokens:
            table.add_row(
                str(t.id),
                t.kind,
                t.name,
                t.hint + "…",
                t.expires_at.isoformat(timespec="minutes") if t.expires_at else "never",
                t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "—",
            )
        out().print(table)


@token_app.command("revoke")
@clean_errors
def token_revoke(token_id: Annotated[int, typer.Argument(help="Id from 'token list'.")]) -> None:
    """Revoke a token."""
    with _session() as session:
        accounts.revoke_token(session=session, actor=_operator(), token_id=token_id)
    out().print(f"Token {token_id} revoked.")


@audit_app.command("verify")
@clean_errors
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exits 1 and names the first broken entry."""
    with _session() as session:
        report = audit.verify_chain(session=session, actor=_operator())
    if report.intact:
        out().print(f"Audit chain intact: {report.checked} entries verified.")
        return
    raise fail(
        f"audit chain broken at entry {report.first_broken_id}: {report.reason} "
        f"({report.checked} entries before it verified)"
    )


@audit_app.command("list")
@clean_errors
def audit_list(
    limit: Annotated[int, typer.Option(help="How many entries.", min=1, max=MAX_LIMIT)] = 20,
    outcome: Annotated[str | None, typer.Option(help="ok or denied.")] = None,
    country: Annotated[str | None, typer.Option(help="ISO alpha-3.")] = None,
) -> None:
    """Show the newest audit entries."""
    with _session() as session:
        entries, total = audit.list_entries(
            session=session, actor=_operator(), outcome=outcome, country=country, limit=limit
        )
        table = Table(title=f"{total} audit entries (newest first)")
        for column in ("Id", "At (UTC)", "Actor", "Action", "Outcome", "Object", "Country"):
            table.add_column(column)
        for e in entries:
            table.add_row(
                str(e.id),
                e.at.strftime("%Y-%m-%d %H:%M:%S"),
                e.actor,
                e.action,
                e.outcome,
                f"{e.object_type or ''} {e.object_id or ''}".strip(),
                e.country_code or "",
            )
        out().print(table)


BACKUP_HELP = """Write a backup of the whole database to one file (a ZIP archive).

The backup reads every table in one consistent snapshot, so it can run while the platform
serves; it is written to a temporary file and renamed when complete. It does not depend on the
database engine: a backup of SQLite restores into PostgreSQL and back. Restore it with
'healthbridge restore'.
"""


def _table_progress(title: str, total: int) -> tuple[Progress, Callable[[str, int], None]]:
    console = err()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task(title, total=total)

    def advance(table: str, rows: int) -> None:
        bar.update(task, advance=1, description=f"{title}: {table} ({rows} rows)")

    return bar, advance


@app.command(help=BACKUP_HELP)
@clean_errors
def backup(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The backup file to write.", metavar="FILE")
    ],
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
) -> None:
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        if migrate.current_revision(engine) is None:
            raise fail("the database has no schema yet: run 'healthbridge migrate' first")
        bar, advance = _table_progress("Backing up", len(backups.tables()))
        with bar:
            summary = backups.create_backup(engine, output, force=force, on_table=advance)
        with unit_of_work(make_session_factory(engine)) as session:
            backups.record_backup(session=session, actor=_operator(), summary=summary)
    finally:
        engine.dispose()
    out().print(
        f"Backed up {len(summary.tables)} tables, {summary.rows} rows (schema revision "
        f"{summary.revision}) to [bold]{escape(str(output))}[/]."
    )


RESTORE_HELP = """Restore a backup made by 'healthbridge backup' into the database.

The whole file is checked (format, schema revision, every table's checksum) before anything is
written. The database must be at the backup's schema revision and hold nothing but what
'healthbridge migrate' puts there, unless --replace, which deletes all its data first.
Everything is loaded in one transaction: on any error the database stays as it was. The audit
log's hash chain is verified afterwards.
"""


@app.command(help=RESTORE_HELP)
@clean_errors
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file.", metavar="FILE")],
    replace: Annotated[
        bool, typer.Option(help="Delete all data of the database before restoring.")
    ] = False,
) -> None:
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        bar, advance = _table_progress("Restoring", len(backups.tables()))
        with bar:
            summary = backups.restore_backup(
                engine, file, actor=_operator(), replace=replace, on_table=advance
            )
    finally:
        engine.dispose()
    out().print(
        f"Restored {len(summary.tables)} tables, {summary.rows} rows from the backup of "
        f"{summary.created_at} into [bold]{_where()}[/]."
    )
    chain = summary.chain
    if not chain.intact:
        raise fail(
            f"restored, but the audit chain is broken at entry {chain.first_broken_id}: "
            f"{chain.reason} ({chain.checked} entries before it verified)"
        )
    out().print(f"Audit chain intact: {chain.checked} entries verified.")


for _module in (
    meeting_commands,
    commitment_commands,
    project_commands,
    uhc_commands,
    training_commands,
):
    _module.register(app=app, import_app=import_app, export_app=export_app)
notification_commands.register(app=app)
surveillance_commands.register(app=app, import_app=import_app, export_app=export_app)
weekly_import_commands.register(app=app, import_app=import_app, export_app=export_app)
case_commands.register(app=app, import_app=import_app, export_app=export_app)
eoc_commands.register(app=app, import_app=import_app, export_app=export_app)
investigation_commands.register(app=app, import_app=import_app, export_app=export_app)
allocate_commands.register(app=app, import_app=import_app, export_app=export_app)
resource_catalogue_commands.register(app=app, import_app=import_app, export_app=export_app)
resource_plan_commands.register(app=app, import_app=import_app, export_app=export_app)
resource_request_commands.register(app=app, import_app=import_app, export_app=export_app)


def _reflow(text: str) -> str:
    """Help text with the line breaks of its source joined inside each paragraph, so that Rich
    wraps it to the terminal's width instead of breaking it at both widths."""
    paragraphs = [" ".join(part.split()) for part in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _reflow_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        if command.help:
            command.help = _reflow(command.help)
        elif command.callback is not None and command.callback.__doc__:
            command.help = _reflow(inspect.cleandoc(command.callback.__doc__))
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


_reflow_help(app)
