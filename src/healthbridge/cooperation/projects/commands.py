"""Command-line commands of the projects part of the dialogue channel."""

from __future__ import annotations

import typer


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this part's commands to the ``healthbridge`` command line."""
