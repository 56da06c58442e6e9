"""Command line of the EOC: ``healthbridge event list`` (the board) and ``healthbridge event
show ID`` (one event with its timeline). The operator sees every event; case-level links are
never printed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from healthbridge.eoc import alerts, service, sitreps
from healthbridge.paging import MAX_LIMIT, PageRequest


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``event list``, ``event show`` and ``export cap`` to the ``healthbridge`` command
    line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge import cli

    event_app = typer.Typer(help="Public-health events of the EOC.", no_args_is_help=True)
    app.add_typer(event_app, name="event")

    @event_app.command("list")
    @cli.clean_errors
    def list_events(
        status: Annotated[
            str | None, typer.Option(help="signal, monitoring, verifying, ... closed.")
        ] = None,
        country: Annotated[str | None, typer.Option(help="ISO alpha-3, e.g. PHL.")] = None,
        disease: Annotated[str | None, typer.Option(help="Disease code, e.g. dengue.")] = None,
        risk: Annotated[str | None, typer.Option(help="very_low ... very_high.")] = None,
        open_only: Annotated[
            bool, typer.Option("--open", help="Leave out closed and discarded events.")
        ] = False,
    ) -> None:
        """The events, last changed first, with their status, risk and activation level."""
        operator = cli._operator()
        with cli._session() as session:
            where = service.check_filter(
                status=status, country=country, disease=disease, risk=risk, open_only=open_only
            )
            rows, total = service.list_events(
                session=session, actor=operator, page=PageRequest(limit=MAX_LIMIT), where=where
            )
            table = Table(title=f"Events ({total})")
            for column in ("ID", "Country", "Title", "Status", "Risk", "EOC", "Updated"):
                table.add_column(column)
            for e in rows:
                table.add_row(
                    str(e.id),
                    e.country_code,
                    escape(e.title),
                    e.status,
                    e.risk_level or "",
                    e.activation_level or "",
                    e.updated_at.strftime("%Y-%m-%d %H:%M"),
                )
        cli.out().print(table)

    report_app = typer.Typer(help="Reports for the EOC and the region.", no_args_is_help=True)
    app.add_typer(report_app, name="report")

    @report_app.command("sitrep")
    @cli.clean_errors
    def report_sitrep(
        event_id: Annotated[int, typer.Argument(help="The event's id.")],
        format: Annotated[str, typer.Option("--format", "-f", help="html or pdf (A4).")] = "html",
        output: Annotated[
            str | None,
            typer.Option(
                "--output", "-o", help="File to write (default: sitrep-EVENT.html or .pdf)."
            ),
        ] = None,
    ) -> None:
        """Write an event's situation report: summary, epicurve by week, cases and deaths by
        area, laboratory summary, risk assessment, actions (rendered offline)."""
        if format not in sitreps.FORMATS:
            raise cli.fail(f"--format must be one of: {', '.join(sitreps.FORMATS)}")
        target = Path(output or f"sitrep-{event_id}.{format}")
        with cli._session() as session:
            data = sitreps.render(
                session=session, actor=cli._operator(), event_id=event_id, format=format
            )
        if str(target) == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        target.write_bytes(data)
        cli.err().print(f"Wrote {escape(str(target))} ({len(data):,} bytes)", highlight=False)

    @export_app.command("cap")
    @cli.clean_errors
    def export_cap(
        event_id: Annotated[int, typer.Argument(help="The event's id.")],
        output: Annotated[
            str, typer.Option("--output", "-o", help="File to write, '-' for standard output.")
        ] = "-",
    ) -> None:
        """Print an event as a CAP 1.2 alert (XML valid against the OASIS schema)."""
        operator = cli._operator()
        with cli._session() as session:
            event = service.get_event(session=session, actor=operator, event_id=event_id)
            data = alerts.event_cap(session, event)
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            Path(output).write_bytes(data)
            cli.err().print(f"Wrote {escape(output)}", highlight=False)

    @event_app.command("show")
    @cli.clean_errors
    def show_event(event_id: Annotated[int, typer.Argument(help="The event's id.")]) -> None:
        """One event: its record, sharing and timeline."""
        operator = cli._operator()
        with cli._session() as session:
            e = service.get_event(session=session, actor=operator, event_id=event_id)
            what = e.disease_code or e.hazard or ""
            areas = ", ".join(a.area_code for a in e.areas) or "national"
            shared = (["the region"] if e.shared_with_region else []) + [
                s.country_code for s in e.shares
            ]
            lines = [
                f"[bold]Event {e.id}: {escape(e.title)}[/bold]",
                f"{e.country_code} ({areas}), {escape(what)}; status {e.status}"
                + (f", risk {e.risk_level}" if e.risk_level else "")
                + (f", EOC {e.activation_level}" if e.activation_level else ""),
                "Shared with " + (", ".join(shared) if shared else "nobody (its country only)"),
            ]
            if e.closure_reason:
                lines.append(f"Closed: {escape(e.closure_reason)}")
            table = Table(title="Timeline")
            for column in ("When (UTC)", "Action", "From", "To", "By", "Detail"):
                table.add_column(column)
            for t in e.transitions:
                table.add_row(
                    t.at.strftime("%Y-%m-%d %H:%M"),
                    t.action,
                    t.from_status or "",
                    t.to_status,
                    escape(t.actor),
                    escape("; ".join(f"{k}: {v}" for k, v in t.detail.items())),
                )
            links = [
                f"{link.kind} {link.signal_id or ''}{escape(link.text or '')}".strip()
                for link in service.visible_links(operator, e)
            ]
        console = cli.out()
        for line in lines:
            console.print(line, highlight=False, soft_wrap=True)
        console.print(table)
        if links:
            console.print("Linked: " + "; ".join(links), highlight=False, soft_wrap=True)
