"""Command-line commands of the meetings part: plan a series' next meeting, export the calendar,
rebuild the document search index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from healthbridge.cooperation.meetings import search, series, service
from healthbridge.cooperation.meetings.calendars import calendar_events
from healthbridge.cooperation.meetings.models import Meeting
from healthbridge.db import utcnow
from healthbridge.interop import ical
from healthbridge.paging import MAX_LIMIT, PageRequest


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being defined.
    from healthbridge import cli

    meetings_app = typer.Typer(help="Meetings of the dialogue channel.", no_args_is_help=True)
    app.add_typer(meetings_app, name="meetings")

    @meetings_app.command("schedule-next")
    @cli.clean_errors
    def schedule_next(
        code: Annotated[str, typer.Argument(help="The series, e.g. ASEAN-ROK-HMM.")],
    ) -> None:
        """Plan the next meeting of a series (its date, co-chairs and host country)."""
        operator = cli._operator()
        with cli._session() as session:
            found = series.get_series(session=session, actor=operator, code=code)
            meeting, created = series.schedule_next(session=session, actor=operator, series=found)
            names = service.party_names(session=session, actor=operator)
            chairs = ", ".join(names.country(c.country_code or "") for c in meeting.co_chairs)
            verb = "Planned" if created else "Already planned:"
            cli.out().print(
                f"{verb} meeting {meeting.id}, {meeting.title}, on "
                f"{meeting.starts_on.isoformat()} in {names.country(meeting.country_code)} "
                f"(co-chairs: {chairs or 'none'}).",
                highlight=False,
            )

    @meetings_app.command("reindex")
    @cli.clean_errors
    def reindex() -> None:
        """Rebuild the full-text index of the documents (SQLite; PostgreSQL needs nothing)."""
        with cli._session() as session:
            count = search.rebuild_index(session=session)
        cli.out().print(f"Search index rebuilt: {count} documents.")

    @export_app.command("meetings-ics")
    @cli.clean_errors
    def export_ics(
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
        ] = None,
        series_code: Annotated[
            str | None, typer.Option("--series", help="Only this series.")
        ] = None,
        base_url: Annotated[
            str, typer.Option(help="Address of the platform, for the links.")
        ] = "http://127.0.0.1:8000",
    ) -> None:
        """Export the meetings as an iCalendar (RFC 5545) file."""
        operator = cli._operator()
        with cli._session() as session:
            meetings: list[Meeting] = []
            while True:
                rows, total = service.list_meetings(
                    session=session,
                    actor=operator,
                    page=PageRequest(limit=MAX_LIMIT, offset=len(meetings), sort="starts_on"),
                    series=series_code,
                )
                meetings.extend(rows)
                if not rows or len(meetings) >= total:
                    break
            events = calendar_events(
                meetings,
                service.party_names(session=session, actor=operator),
                base_url=base_url.rstrip("/"),
            )
        text = ical.calendar(events, stamp=utcnow())
        if output is None:
            typer.echo(text, nl=False)
            return
        output.write_bytes(text.encode("utf-8"))
        cli.err().print(f"Wrote {len(events)} meetings to {output}.")
