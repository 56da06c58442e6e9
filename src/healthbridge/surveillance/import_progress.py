"""The progress bar and the error listing that every surveillance import command shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from healthbridge.errors import HealthBridgeError
from healthbridge.surveillance.weekly_import import ImportProgress

#: How many of an import's errors a command prints.
SHOWN_ERRORS = 10

R = TypeVar("R")


def run_with_progress(size: int, run: Callable[[ImportProgress], R], *, storing: str) -> R:
    """Run an import behind a Rich progress bar on standard error (checking: bytes of ``size``;
    storing: what ``storing`` names), and answer its report; a refusal prints its first
    :data:`SHOWN_ERRORS` errors and exits non-zero."""
    # Imported here: healthbridge.cli imports the command modules while it is being built.
    from healthbridge.cli import err, fail

    console = err()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int | None) -> None:
            # Reading reports bytes (of the file's size), storing reports records.
            total = size if stage == "read" else total
            if stage not in tasks:
                label = "Checking rows" if stage == "read" else storing
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            return run(advance)
        except HealthBridgeError as refused:
            bar.stop()
            failure = fail(refused.detail)
            print_errors(console, refused)
            raise failure from None


def print_errors(console: Console, refused: HealthBridgeError) -> None:
    """The first :data:`SHOWN_ERRORS` errors of a refused import, one line each (never read as
    markup: they quote the file)."""
    for error in refused.errors[:SHOWN_ERRORS]:
        row = f"row {error.row}, " if error.row is not None else ""
        console.print(f"  {row}{error.field}: {error.message}", highlight=False, markup=False)
    if len(refused.errors) > SHOWN_ERRORS:
        console.print(f"  … and {len(refused.errors) - SHOWN_ERRORS} more", highlight=False)
