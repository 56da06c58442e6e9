"""Command-line commands of surveillance: ``healthbridge detect`` and ``healthbridge rt``."""

from __future__ import annotations

import typer


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add the surveillance commands to the ``healthbridge`` command line."""
