"""Command-line commands of the outbox: ``healthbridge notify send`` and ``notify list``."""

from __future__ import annotations

from typing import Annotated

import typer


def register(*, app: typer.Typer) -> None:
    """Add the ``notify`` group to the ``healthbridge`` command line."""
    # Imported here: the command line imports the parts' commands while it is being built.
    from rich.table import Table

    from healthbridge.cli import _operator, _session, clean_errors, fail, out
    from healthbridge.notifications import sender, service
    from healthbridge.settings import get_settings

    notify_app = typer.Typer(
        help="The outbox of e-mails: list and send them.", no_args_is_help=True
    )
    app.add_typer(notify_app, name="notify")

    @notify_app.command("send")
    @clean_errors
    def send(
        limit: Annotated[
            int | None, typer.Option(help="Send at most this many (oldest first).", min=1)
        ] = None,
    ) -> None:
        """Deliver the queued e-mails through the SMTP server of HEALTHBRIDGE_SMTP_HOST.

        A delivery that fails stays queued, with its error and attempt count; the command then
        exits 1.
        """
        config = sender.smtp_config(get_settings())
        with _session() as session:
            report = sender.deliver_pending(
                session=session,
                actor=_operator(),
                config=config,
                after_each=session.commit,
                limit=limit,
            )
            left = service.count_pending(session=session)
        if report.sent == report.failed == 0:
            out().print("No e-mail waits in the outbox.")
            return
        out().print(
            f"Sent {report.sent} e-mail(s) through {config.host}:{config.port}; "
            f"{report.failed} failed; {left} still queued."
        )
        if report.failed:
            raise fail(f"{report.failed} e-mail(s) not delivered, kept queued: {report.errors[0]}")

    @notify_app.command("list")
    @clean_errors
    def list_pending(
        limit: Annotated[int, typer.Option(help="How many to show.", min=1, max=500)] = 50,
    ) -> None:
        """Show the e-mails waiting in the outbox, oldest first."""
        with _session() as session:
            emails = service.pending(session=session, limit=limit)
            total = service.count_pending(session=session)
            table = Table(title=f"{total} e-mail(s) queued")
            for column in ("Id", "Queued (UTC)", "To", "Subject", "Attempts", "Last error"):
                table.add_column(column)
            for e in emails:
                table.add_row(
                    str(e.id),
                    e.queued_at.strftime("%Y-%m-%d %H:%M"),
                    e.to_address,
                    e.subject,
                    str(e.attempts),
                    e.last_error or "",
                )
        out().print(table)
