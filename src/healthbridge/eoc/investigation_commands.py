"""Command-line commands of field investigations: ``healthbridge remind tasks``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer


def _remind_group(app: typer.Typer) -> typer.Typer:
    """The ``remind`` group of the command line (made by the commitments part), or a new one."""
    for group in app.registered_groups:
        if group.name == "remind" and group.typer_instance is not None:
            return group.typer_instance
    remind_app = typer.Typer(help="Queue reminders by e-mail.", no_args_is_help=True)
    app.add_typer(remind_app, name="remind")
    return remind_app


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # Imported here: the command line imports the parts' commands while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, out
    from healthbridge.eoc import investigations

    remind_app = _remind_group(app)

    @remind_app.command("tasks")
    @clean_errors
    def remind_tasks(
        on: Annotated[
            dt.datetime | None,
            typer.Option(
                formats=["%Y-%m-%d"],
                help="The day to remind as of (YYYY-MM-DD; default: today, UTC).",
            ),
        ] = None,
    ) -> None:
        """Queue e-mails about overdue field investigation tasks (once a day at most).

        Each assignee of a task still open or in progress after its due date gets one e-mail
        listing all of theirs. Send them with 'healthbridge notify send'.
        """
        day = on.date() if on else investigations.today()
        with _session() as session:
            summary = investigations.queue_task_reminders(
                session=session, actor=_operator(), today=day
            )
        out().print(
            f"{summary.overdue} overdue task(s) on {summary.on.isoformat()}. "
            f"Queued {summary.queued} e-mail(s); {summary.already_queued} already queued today."
        )
