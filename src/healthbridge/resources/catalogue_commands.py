"""Command line of the catalogue and the stock: ``healthbridge import catalogue FILE``,
``healthbridge stock list`` and ``healthbridge stock write-off-expired``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

CATALOGUE_HELP = """Import catalogue items from a CSV or JSON file (atomic and idempotent).

CSV header: code,name,kind,atc_code,who_eml,unit_of_issue,pack_size,cold_chain,
min_shelf_life_days (any order; code, name, kind and unit_of_issue required). kind: medicine,
vaccine, diagnostic, ppe, equipment or other. atc_code: a WHO ATC code (A07CA), may be empty.
who_eml: true/false. cold_chain: none, 2_8c, minus_20c or minus_70c. JSON: a list of objects
with the same keys (a file ending in .json, or starting with [ or {).

Items are matched by code: new ones are created, changed ones updated. The whole file is
stored or none of it; a bad row is named with its row (the header is row 1) and column."""


def _stock_group(app: typer.Typer) -> typer.Typer:
    """The ``stock`` group of the command line, made once whoever asks first."""
    for group in app.registered_groups:
        if group.name == "stock" and group.typer_instance is not None:
            return group.typer_instance
    stock_app = typer.Typer(
        help="The regional stock: lots, balances, expiry.", no_args_is_help=True
    )
    app.add_typer(stock_app, name="stock")
    return stock_app


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``import catalogue`` and the ``stock`` commands to the command line."""
    # Imported here: the command line imports the parts' commands while it is being built.
    from healthbridge.cli import _operator, _session, clean_errors, out
    from healthbridge.resources import catalogue_import, stock

    stock_app = _stock_group(app)

    @import_app.command("catalogue", help=CATALOGUE_HELP)
    @clean_errors
    def import_catalogue(
        file: Annotated[
            Path,
            typer.Argument(
                help="The catalogue CSV or JSON.",
                metavar="FILE",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
    ) -> None:
        data = file.read_bytes()
        with _session() as session:
            report = catalogue_import.import_catalogue(
                session=session, actor=_operator(), data=data, filename=file.name
            )
        out().print(
            f"Imported [bold]{escape(report.filename)}[/]: {report.rows} items — "
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged.",
            highlight=False,
        )

    @stock_app.command("list")
    @clean_errors
    def list_stock(
        item: Annotated[str | None, typer.Option(help="Only this item (its code).")] = None,
        holder: Annotated[str | None, typer.Option(help="Only this holder (its code).")] = None,
        expiring_within: Annotated[
            int | None,
            typer.Option(
                "--expiring-within",
                metavar="DAYS",
                help="Only lots expiring within DAYS days (expired ones included).",
            ),
        ] = None,
    ) -> None:
        """List the stock of each item at each holder, with what has expired or is short-dated.

        Short-dated: expiring within the item's minimum shelf life or 90 days, whichever is
        longer.
        """
        with _session() as session:
            lines = stock.stock_picture(
                session=session,
                actor=_operator(),
                values=stock.StockFilter(item=item, holder=holder, expiring_within=expiring_within),
            )
            table = Table(title=f"Stock on {stock.today().isoformat()}")
            for column in (
                "Item",
                "Holder",
                "Balance",
                "Lots",
                "Expired",
                "Short-dated",
                "Earliest expiry",
            ):
                table.add_column(column)
            for line in lines:
                table.add_row(
                    line.item.code,
                    line.holder.code,
                    f"{line.balance} {line.item.unit_of_issue}",
                    str(line.lots),
                    str(line.expired_quantity),
                    str(line.short_dated_quantity),
                    line.earliest_expiry.isoformat() if line.earliest_expiry else "",
                )
        if not lines:
            out().print("No stock matches.")
            return
        out().print(table)

    @stock_app.command("write-off-expired")
    @clean_errors
    def write_off_expired(
        on: Annotated[
            dt.datetime | None,
            typer.Option(
                formats=["%Y-%m-%d"],
                help="Write off what has expired before this day (YYYY-MM-DD; default: today).",
            ),
        ] = None,
    ) -> None:
        """Write off every expired lot that still holds stock (its whole balance).

        Each write-off is a movement of the lot's ledger, audited; running the command again
        writes off nothing more.
        """
        with _session() as session:
            done = stock.write_off_expired(
                session=session, actor=_operator(), on=on.date() if on else None
            )
            lines = [
                f"{w.lot.item_code} lot {w.lot.lot_number} at {w.lot.holder_code}: {w.quantity}"
                for w in done
            ]
        for line in lines:
            out().print(escape(line), highlight=False)
        out().print(f"Wrote off {len(done)} expired lot(s).")
