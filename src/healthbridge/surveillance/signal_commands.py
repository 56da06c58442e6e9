"""``healthbridge detect --all``: detection over the database, its alarms stored as signals."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from healthbridge.surveillance import engines, signals


def detect_all(
    *,
    methods: list[str],
    weeks: int,
    until: str | None,
    engine: str = "local",
    scheduler: str | None = None,
    partition_size: int = engines.DEFAULT_PARTITION_SIZE,
    workers: int | None = None,
) -> signals.DetectionSummary:
    """Run :func:`~healthbridge.surveillance.signals.detect_series` over every series as the
    operator, in one unit of work, on ``engine`` (local or a Dask cluster), with a progress bar
    on a terminal; print what it did. ``weeks`` may reach
    :data:`~healthbridge.surveillance.signals.MAX_BACKFILL_WEEKS` (a backfill).

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

        runner = engines.make_engine(
            engine, scheduler=scheduler, partition_size=partition_size, workers=workers
        )
        try:
            with _session() as session:
                summary = signals.detect_series(
                    session=session,
                    actor=_operator(),
                    methods=methods,
                    weeks=weeks,
                    until=until,
                    progress=advance,
                    engine=runner,
                    max_weeks=signals.MAX_BACKFILL_WEEKS,
                )
        finally:
            runner.close()
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
