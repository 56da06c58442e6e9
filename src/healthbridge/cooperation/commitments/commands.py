"""Command-line commands of the commitments part: ``healthbridge remind commitments``."""

from __future__ import annotations

from typing import Annotated

import typer

from healthbridge.cooperation.commitments.reminders import DEFAULT_WITHIN, MAX_WITHIN


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # Imported here: the command line imports the parts' commands while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, err, out
    from healthbridge.cooperation.commitments import reminders

    remind_app = typer.Typer(help="Queue reminders by e-mail.", no_args_is_help=True)
    app.add_typer(remind_app, name="remind")

    @remind_app.command("commitments")
    @clean_errors
    def remind_commitments(
        within: Annotated[
            int,
            typer.Option(
                help="Remind of commitments due within this many days.", min=0, max=MAX_WITHIN
            ),
        ] = DEFAULT_WITHIN,
    ) -> None:
        """Queue e-mails about overdue commitments and those due soon (once a day at most).

        A country's commitments go to its active focal points, an organisation's to the active
        ASEAN Secretariat users. Send them with 'healthbridge notify send'.
        """
        with _session() as session:
            summary = reminders.queue_reminders(session=session, actor=_operator(), within=within)
        out().print(
            f"{summary.commitments} commitment(s) to remind of on {summary.on.isoformat()}: "
            f"{summary.overdue} overdue, {summary.due_soon} due within {summary.within} days. "
            f"Queued {summary.queued} e-mail(s); {summary.already_queued} already queued today."
        )
        if summary.unreachable:
            err().print(
                "[yellow]warning:[/] nobody to remind for "
                f"{', '.join(summary.unreachable)} (no active focal point or secretariat user)",
                highlight=False,
            )
