"""``healthbridge detect --all``: detection over the database, its alarms stored as signals."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from healthbridge.surveillance import signals


def detect_all(*, methods: list[str], weeks: int, until: str | None) -> signals.DetectionSummary:
    """Run :func:`~healthbridge.surveillance.signals.detect_series` over every series as the
    operator, in one unit of work, with a progress bar on a terminal; print what it did.

    Raises the services' errors (the caller turns them into one line).
    """
    # Imported here: healthbridge.cli imports this module's caller while it is being built.
    from healthbridge.cli import _operator, _session, err, out

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

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "Running the methods" if stage == "detect" else "Storing signals"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        with _session() as session:
            summary = signals.detect_series(
                session=session,
                actor=_operator(),
                methods=methods,
                weeks=weeks,
                until=until,
                progress=advance,
            )
    if not summary.weeks:
        out().print("No weekly counts to run detection on.", highlight=False)
        return summary
    skipped = ", ".join(f"{n} for {m}" for m, n in summary.skipped.items() if n)
    out().print(
        f"{', '.join(summary.methods)} over {summary.series} series, weeks "
        f"{summary.weeks[0]} to {summary.weeks[-1]}: {summary.alarms} alarm(s) — "
        f"{summary.created} new signal(s), {summary.updated} updated"
        + (f"; skipped as too short: {skipped}" if skipped else "")
        + ".",
        highlight=False,
        soft_wrap=True,
    )
    return summary
