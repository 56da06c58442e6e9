"""Command line of allocation plans and shipments: ``healthbridge plan propose``, ``plan show
ID``, ``plan approve ID`` and ``healthbridge shipment list``. The operator acts as a regional
administrator."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.resources import plans
from healthbridge.resources.models import AllocationPlan


def _rate(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, int | float) else "—"


def _figure(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}"
    return f"{int(value):,}" if isinstance(value, int | float) else str(value)


def plan_tables(plan: AllocationPlan) -> list[Table]:
    """A plan's objective values and fill rates beside first-come-first-served, and its lines."""
    summary = plan.summary or {}
    fcfs = (summary.get("fcfs") or {}).get("summary") or {}
    mine = summary.get("objectives") or {}
    theirs = fcfs.get("objectives") or {}
    figures = Table(title=f"Plan {plan.id} ({plan.status}, for {plan.today.isoformat()})")
    for column in ("Measure", "Optimal", "First come, first served"):
        figures.add_column(column)
    figures.add_row(
        "Priority-weighted quantity",
        _figure(mine.get("priority_weighted_quantity")),
        _figure(theirs.get("priority_weighted_quantity")),
    )
    figures.add_row(
        "Units delivered", _figure(summary.get("delivered")), _figure(fcfs.get("delivered"))
    )
    figures.add_row("Fill rate", _rate(summary.get("fill_rate")), _rate(fcfs.get("fill_rate")))
    figures.add_row(
        "Unmet critical need",
        _figure((summary.get("unmet_by_priority") or {}).get("critical")),
        _figure((fcfs.get("unmet_by_priority") or {}).get("critical")),
    )
    figures.add_row(
        "Lateness (unit-days)",
        _figure(mine.get("lateness_unit_days")),
        _figure(theirs.get("lateness_unit_days")),
    )
    countries = Table(title="Fill rate by requesting country")
    for column in ("Country", "Requested", "Optimal", "First come, first served"):
        countries.add_column(column)
    theirs_by_country = fcfs.get("by_country") or {}
    for code, row in sorted((summary.get("by_country") or {}).items()):
        countries.add_row(
            code,
            _figure(row.get("requested")),
            _rate(row.get("fill_rate")),
            _rate((theirs_by_country.get(code) or {}).get("fill_rate")),
        )
    lines = Table(title=f"{len(plan.lines)} lines")
    for column in ("Line", "Item", "Lot", "From", "Request", "To", "Quantity", "Arrives"):
        lines.add_column(column)
    for line in plan.lines:
        lines.add_row(
            str(line.id),
            line.lot.item_code,
            escape(line.lot.lot_number),
            line.lot.holder_code,
            str(line.request_id),
            line.request.country_code,
            f"{line.quantity:,}",
            line.arrives_on.isoformat(),
        )
    return [figures, countries, lines]


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``plan propose``, ``plan show``, ``plan approve`` and ``shipment list`` to the
    ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge import cli

    plan_app = typer.Typer(
        help="Allocation plans of scarce medical resources.", no_args_is_help=True
    )
    app.add_typer(plan_app, name="plan")
    shipment_app = typer.Typer(help="Shipments of approved plans.", no_args_is_help=True)
    app.add_typer(shipment_app, name="shipment")

    @plan_app.command("propose")
    @cli.clean_errors
    def propose(
        today: Annotated[
            str | None, typer.Option(help="The day to plan for (YYYY-MM-DD; default today).")
        ] = None,
    ) -> None:
        """Run an allocation: solve the approved requests against the regional reserve and the
        pledges, store the plan as proposed, and print it beside first-come-first-served."""
        day: dt.date | None = None
        if today is not None:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise cli.fail("--today must be a date (YYYY-MM-DD)") from None
        with cli._session() as session:
            plan = plans.propose(session, cli._operator(), day)
            plan = plans.get_plan(session, cli._operator(), plan.id)
            for table in plan_tables(plan):
                cli.out().print(table)
            plan_id = plan.id
        cli.err().print(
            f"Proposed plan {plan_id}: approve it with 'healthbridge plan approve {plan_id}'",
            highlight=False,
        )

    @plan_app.command("show")
    @cli.clean_errors
    def show(plan_id: Annotated[int, typer.Argument(help="The plan's id.")]) -> None:
        """One plan: its objective values and fill rates beside first-come-first-served, and
        its lines."""
        with cli._session() as session:
            plan = plans.get_plan(session, cli._operator(), plan_id)
            for table in plan_tables(plan):
                cli.out().print(table)
            if plan.decision_note:
                cli.out().print(f"Decision: {escape(plan.decision_note)}", highlight=False)

    @plan_app.command("approve")
    @cli.clean_errors
    def approve(
        plan_id: Annotated[int, typer.Argument(help="The plan's id.")],
        note: Annotated[str | None, typer.Option(help="Why, or on whose word.")] = None,
    ) -> None:
        """Approve a proposed plan: its lines become planned shipments (all or none)."""
        with cli._session() as session:
            plan = plans.approve(session, cli._operator(), plan_id, note)
            count = len(plan.lines)
        cli.out().print(
            f"Approved plan {plan_id}: {count} shipment{'s' if count != 1 else ''} planned",
            highlight=False,
        )

    @shipment_app.command("list")
    @cli.clean_errors
    def list_shipments(
        status: Annotated[
            str | None, typer.Option(help="planned, dispatched, received or cancelled.")
        ] = None,
        country: Annotated[
            str | None, typer.Option(help="Requesting country, ISO alpha-3.")
        ] = None,
        item: Annotated[str | None, typer.Option(help="Item code.")] = None,
        plan: Annotated[int | None, typer.Option(help="Plan id.")] = None,
    ) -> None:
        """Shipments of approved plans, soonest expected first."""
        with cli._session() as session:
            rows, total = plans.list_shipments(
                session,
                cli._operator(),
                plans.ShipmentFilter(status=status, country=country, item=item, plan=plan),
                PageRequest(limit=MAX_LIMIT),
            )
            table = Table(title=f"Shipments ({total})")
            for column in (
                "ID", "Item", "Lot", "From", "To", "Quantity", "Expected", "Status", "Received"
            ):  # fmt: skip
                table.add_column(column)
            for s in rows:
                table.add_row(
                    str(s.id),
                    s.lot.item_code,
                    escape(s.lot.lot_number),
                    s.lot.holder_code,
                    s.destination_holder_code,
                    f"{s.quantity:,}",
                    s.expected_on.isoformat(),
                    s.status,
                    "" if s.quantity_received is None else f"{s.quantity_received:,}",
                )
        cli.out().print(table)
