"""Command line of resource requests: ``healthbridge request list`` (the request board) and
``healthbridge request show ID`` (one request with its steps and pledges)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from healthbridge.paging import MAX_LIMIT, PageRequest


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``request list`` and ``request show`` to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge import cli
    from healthbridge.resources import pledges, requests

    request_app = typer.Typer(
        help="Resource requests of the countries: items and teams.", no_args_is_help=True
    )
    app.add_typer(request_app, name="request")

    @request_app.command("list")
    @cli.clean_errors
    def list_requests(
        status: Annotated[
            str | None, typer.Option(help="submitted, endorsed, approved, rejected, ...")
        ] = None,
        country: Annotated[str | None, typer.Option(help="Asking country, e.g. PHL.")] = None,
        item: Annotated[str | None, typer.Option(help="Item code, e.g. ors-sachet.")] = None,
        priority: Annotated[str | None, typer.Option(help="critical, high, medium, low.")] = None,
        open_only: Annotated[
            bool, typer.Option("--open", help="Only requests still waiting (not final).")
        ] = False,
    ) -> None:
        """The request board: the most urgent first (priority, then needed-by), with what
        approved plans allocate and what was received."""
        operator = cli._operator()
        with cli._session() as session:
            board = requests.list_requests(
                session=session,
                actor=operator,
                values=requests.RequestFilter(
                    status=status,
                    country=country,
                    item=item,
                    priority=priority,
                    open_only=open_only,
                ),
                page=PageRequest(limit=MAX_LIMIT),
            )
            table = Table(title=f"Resource requests ({board.total})")
            for column in (
                "ID",
                "Priority",
                "Needed by",
                "Country",
                "Request",
                "Status",
                "Allocated",
                "Received",
            ):
                table.add_column(column)
            for r in board.rows:
                allocated, received = board.progress[r.id]
                what = r.item_code if r.kind == "item" else f"team {r.team_type}"
                table.add_row(
                    str(r.id),
                    r.priority,
                    r.needed_by.isoformat(),
                    r.country_code,
                    escape(f"{r.quantity:,} × {what}"),
                    r.status,
                    f"{allocated:,}",
                    f"{received:,}",
                )
        cli.out().print(table)

    @request_app.command("show")
    @cli.clean_errors
    def show_request(
        request_id: Annotated[int, typer.Argument(help="The request's id.")],
    ) -> None:
        """One request: what is asked, its approval steps and its pledges."""
        operator = cli._operator()
        console = cli.out()
        with cli._session() as session:
            r = requests.get_request(session=session, actor=operator, request_id=request_id)
            allocated, received = requests.progress_of(session, [r.id])[r.id]
            what = r.item_code if r.kind == "item" else f"team {r.team_type}"
            console.print(
                f"[bold]Request {r.id}[/]: {escape(f'{r.quantity:,} × {what}')} for "
                f"{r.country_code} — {r.status}, priority {r.priority}",
                highlight=False,
            )
            needed = r.needed_by.isoformat()
            if r.needed_until:
                needed += f" until {r.needed_until.isoformat()}"
            lines = [
                ("Needed by", needed),
                ("Delivery point", r.delivery_point),
                ("Asked by", f"{r.requested_by}, {r.requested_at:%Y-%m-%d %H:%M} UTC"),
                ("Allocated", f"{allocated:,}"),
                ("Received", f"{received:,}"),
            ]
            if r.kind == "team":
                lines += [("Skills", ", ".join(r.skills)), ("Languages", ", ".join(r.languages))]
            if r.event_id is not None:
                lines.append(("Event", str(r.event_id)))
            if r.note:
                lines.append(("Note", r.note))
            for label, value in lines:
                console.print(f"{label}: {escape(value)}", highlight=False)
            steps = Table(title="Approval steps")
            for column in ("At (UTC)", "Step", "From", "To", "By", "Note"):
                steps.add_column(column)
            for s in r.steps:
                steps.add_row(
                    f"{s.at:%Y-%m-%d %H:%M}",
                    s.step,
                    s.from_status,
                    s.to_status,
                    escape(s.actor),
                    escape(s.note or ""),
                )
            console.print(steps)
            made = pledges.pledges_for(session=session, actor=operator, request_id=r.id)
            table = Table(title=f"Pledges ({len(made)})")
            for column in ("ID", "Holder", "Pledged", "Status", "Conditions"):
                table.add_column(column)
            for p in made:
                if p.lot is not None:
                    pledged = f"{p.quantity or 0:,} of lot {p.lot.lot_number}"
                else:
                    pledged = f"team {p.team.code}" if p.team else ""
                table.add_row(
                    str(p.id), p.holder_code, escape(pledged), p.status, escape(p.conditions or "")
                )
            console.print(table)
