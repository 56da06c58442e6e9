"""Command-line commands of the projects part: IATI export and import.

``healthbridge export iati --output FILE`` (``-`` for stdout) and ``healthbridge import iati FILE``
act as the operator, in one unit of work: an import lands whole or not at all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from healthbridge.errors import Invalid


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
    # The CLI module imports this one; importing it back only when the commands run keeps the
    # import graph free of cycles.
    from healthbridge import cli

    @export_app.command("iati")
    @cli.clean_errors
    def export_iati(
        output: Annotated[
            str, typer.Option("--output", "-o", help="File to write, or '-' for stdout.")
        ],
        identifier: Annotated[
            str | None, typer.Option(help="Only the project with this IATI identifier.")
        ] = None,
    ) -> None:
        """Export the cooperation projects as an IATI 2.03 activity file (XSD-validated)."""
        from healthbridge.interop import iati

        with cli._session() as session:
            data = iati.export_activities(
                session=session, actor=cli._operator(), identifier=identifier
            )
        if output == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        try:
            Path(output).write_bytes(data)
        except OSError as exc:
            raise cli.fail(f"cannot write {output}: {exc.strerror}") from None
        cli.err().print(f"Wrote {len(data)} bytes of IATI 2.03 XML to {output}.", highlight=False)

    @import_app.command("iati")
    @cli.clean_errors
    def import_iati(
        file: Annotated[Path, typer.Argument(help="An IATI 2.03 activity XML file.")],
    ) -> None:
        """Import an IATI activity file: all of it or nothing; the same file twice stores it
        once (projects are matched by iati-identifier)."""
        from healthbridge.interop import iati_import

        try:
            data = file.read_bytes()
        except OSError as exc:
            raise cli.fail(f"cannot read {file}: {exc.strerror}") from None
        try:
            with cli._session() as session:
                report = iati_import.import_activities(
                    session=session, actor=cli._operator(), data=data
                )
        except Invalid as exc:
            # The detail names the first problem (activity, element, line) and how many more
            # there are: one line, as on every other error of the command line.
            raise Invalid(exc.detail) from None
        cli.out().print(f"Imported {file.name}: {report.summary}.", highlight=False)
