"""Command-line commands of surveillance: ``healthbridge detect`` and ``healthbridge rt``.

``detect --input/--output`` and ``rt`` work on files alone (no database): ``detect`` runs an
outbreak detection method over weekly counts, ``rt`` estimates the reproduction number from daily
incidence. The parameter options are named after R's (``surveillance::earsC``,
``farringtonFlexible``, ``algo.cusum``; ``EpiEstim::estimate_R``) and default to the presets of
the reference calls, so that a command with no options reproduces ``tests/reference/data``.
``detect --all`` runs the methods over the database's weekly counts and stores their alarms as
signals (:mod:`healthbridge.surveillance.signals`).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape

from healthbridge.analytics.detection.cusum import TRANSFORMS, cusum
from healthbridge.analytics.detection.methods import METHODS, DetectionOutput
from healthbridge.analytics.rt import cori_rt
from healthbridge.errors import HealthBridgeError
from healthbridge.interop import counts_csv
from healthbridge.surveillance import engines, signal_commands, signals

#: R's ``thresholdMethod`` values of ``farringtonFlexible``.
THRESHOLD_METHODS: tuple[str, ...] = ("delta", "nbPlugin", "muan")

_EARS = "EARS options"
_FARRINGTON = "Farrington options"
_CUSUM = "CUSUM options"
_DATABASE = "Over the database (--all)"
#: Every method of ``--method``: the kernels of ``METHODS`` and the CUSUM.
METHOD_NAMES: tuple[str, ...] = (*METHODS, signals.CUSUM)
#: First week ``--method cusum`` monitors by default: two years of in-control weeks before it.
CUSUM_FIRST_WEEK = 105
CUSUM_REFERENCE = (
    "surveillance::algo.cusum(x, control=list(range=105:n, k=1.04, h=2.26, m=NULL, "
    'trans="standard", alpha=NULL)); Rossi G, Lampugnani L, Marchi M (1999), Statistics in '
    "Medicine 18(16), 2111-2122"
)


def _farrington_default(key: str) -> str:
    """The presets of the Farrington family for ``key``, as ``--help`` shows them."""
    values = {
        name: ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        for name, m in METHODS.items()
        if m.family == "farrington"
        for value in (m.preset[key],)
    }
    if len(set(values.values())) == 1:
        return str(next(iter(values.values())))
    return ", ".join(f"{value} ({name})" for name, value in values.items())


def _flags(values: dict[str, Any]) -> list[str]:
    """The command-line flags of the options given (not None), e.g. ``--min-sigma``."""
    return ["--" + key.replace("_", "-") for key, value in values.items() if value is not None]


def _message(error: HealthBridgeError) -> str:
    details = "; ".join(
        f"{e.field}: {e.message}" + (f" (row {e.row})" if e.row is not None else "")
        for e in error.errors
    )
    return error.detail + (f" — {details}" if details else "")


def _parse_range(text: str | None, *, default_first: int, weeks: int) -> tuple[int, int]:
    """``FROM:TO`` (1-based, inclusive; either side may be left empty for its default)."""
    first, last = default_first, weeks
    if text is not None:
        start, colon, end = text.partition(":")
        try:
            if not colon:
                raise ValueError
            first = int(start) if start.strip() else default_first
            last = int(end) if end.strip() else weeks
        except ValueError:
            raise ValueError(f"--range must be FROM:TO with whole weeks, not {text!r}") from None
    if text is None and first > weeks:
        raise ValueError(
            f"the default range starts at week {first}, but the data have {weeks} weeks: "
            "pass --range FROM:TO"
        )
    if not 1 <= first <= last <= weeks:
        raise ValueError(
            f"--range {first}:{last} is not within the data's weeks 1..{weeks} "
            "(FROM must not exceed TO)"
        )
    return first, last


def _parse_limit54(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    try:
        cases, weeks = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--limit54 must be two whole numbers such as 5,4, not {text!r}") from None
    return cases, weeks


def register(*, app: typer.Typer, import_app: typer.Typer, export_app: typer.Typer) -> None:
    """Add the surveillance commands to the ``healthbridge`` command line."""
    # Imported here: healthbridge.cli imports this module while it is being built.
    from healthbridge.cli import err

    del import_app, export_app  # nothing to import or export yet

    def refuse(message: str) -> typer.Exit:
        # As healthbridge.cli.fail, but never wrapped: one line, however long the file's path.
        err().print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        return typer.Exit(1)

    def deliver(text: str, path: Path | None) -> None:
        # Written whole once computed: a failed run leaves no half-written result behind.
        if path is None:
            sys.stdout.write(text)
            return
        try:
            path.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise refuse(f"cannot write {path}: {exc.strerror}") from None

    def read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as exc:
            raise refuse(f"cannot read {path}: {exc.strerror}") from None

    @app.command()
    def detect(
        method: Annotated[
            list[str] | None,
            typer.Option(
                metavar="NAME",
                help=f"Detection method: {', '.join(METHOD_NAMES)}. Its defaults are the "
                "reference control list (cusum: R's algo.cusum with range=105:n, k=1.04, "
                "h=2.26, trans=standard; Rossi et al. 1999). Once with --input; with --all it "
                "may be repeated (default: noufaily).",
            ),
        ] = None,
        input_path: Annotated[
            Path | None,
            typer.Option(
                "--input",
                help="Counts CSV with columns series,t,count (t 1-based; other columns ignored).",
                dir_okay=False,
            ),
        ] = None,
        output_path: Annotated[
            Path | None,
            typer.Option(
                "--output",
                help="Where to write series,t,count,upperbound,alarm (+ expected).",
                dir_okay=False,
            ),
        ] = None,
        run_all: Annotated[
            bool,
            typer.Option(
                "--all",
                help="Run over every weekly series of the database instead of a file, and store "
                "the alarms as signals (deduplicated across runs; triage is kept). Each method "
                "runs with its preset.",
                rich_help_panel=_DATABASE,
            ),
        ] = False,
        weeks: Annotated[
            int | None,
            typer.Option(
                "--weeks",
                help="With --all: how many of the last weeks to monitor.",
                show_default=str(signals.DEFAULT_WEEKS),
                rich_help_panel=_DATABASE,
            ),
        ] = None,
        until: Annotated[
            str | None,
            typer.Option(
                "--until",
                help="With --all: the last week to monitor, e.g. 2024-W52.",
                show_default="the latest week with a count",
                rich_help_panel=_DATABASE,
            ),
        ] = None,
        weeks_range: Annotated[
            str | None,
            typer.Option(
                "--range",
                help="Weeks to monitor, FROM:TO (1-based, inclusive). Default: from the first "
                "week the method can score (EARS: baseline+1/+3/+5; Farrington: 5*52+4; "
                f"cusum: {CUSUM_FIRST_WEEK}) to the end.",
            ),
        ] = None,
        engine: Annotated[
            str,
            typer.Option(
                "--engine",
                help="With --all: where the methods run: local (this process) or dask (a Dask "
                "distributed cluster, over partitions of series; same results).",
                rich_help_panel=_DATABASE,
            ),
        ] = "local",
        scheduler: Annotated[
            str | None,
            typer.Option(
                "--scheduler",
                metavar="ADDRESS",
                help="With --engine dask: the scheduler, e.g. tcp://10.0.0.5:8786.",
                show_default="a cluster of --workers processes started on this machine",
                rich_help_panel=_DATABASE,
            ),
        ] = None,
        partition_size: Annotated[
            int,
            typer.Option(
                "--partition-size",
                min=1,
                help="With --all: series per kernel call (a task, with --engine dask).",
                rich_help_panel=_DATABASE,
            ),
        ] = engines.DEFAULT_PARTITION_SIZE,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                min=1,
                help="With --engine dask and no --scheduler: worker processes to start.",
                show_default="one per CPU",
                rich_help_panel=_DATABASE,
            ),
        ] = None,
        baseline: Annotated[
            int | None,
            typer.Option(help="Weeks in the baseline.", show_default="7", rich_help_panel=_EARS),
        ] = None,
        alpha: Annotated[
            float | None,
            typer.Option(
                help="Significance level; for cusum, the overdispersion of --trans "
                "pearsonNegBin (R's alpha).",
                show_default="0.001 for EARS, 0.05 for Farrington, 0.1 for cusum",
            ),
        ] = None,
        min_sigma: Annotated[
            float | None,
            typer.Option(
                "--min-sigma",
                help="Lower limit of the baseline's standard deviation.",
                show_default="0",
                rich_help_panel=_EARS,
            ),
        ] = None,
        b: Annotated[
            int | None,
            typer.Option(
                "--b",
                help="Years back in the baseline.",
                show_default=_farrington_default("b"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        w: Annotated[
            int | None,
            typer.Option(
                "--w",
                help="Half-window of weeks around each past week.",
                show_default=_farrington_default("w"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        reweight: Annotated[
            bool | None,
            typer.Option(
                "--reweight/--no-reweight",
                help="Down-weight past outbreaks.",
                show_default=_farrington_default("reweight"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        weights_threshold: Annotated[
            float | None,
            typer.Option(
                "--weights-threshold",
                help="Anscombe residual above which a week is down-weighted.",
                show_default=_farrington_default("weights_threshold"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        trend: Annotated[
            bool | None,
            typer.Option(
                "--trend/--no-trend",
                help="Fit a time trend.",
                show_default=_farrington_default("trend"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        p_threshold_trend: Annotated[
            float | None,
            typer.Option(
                "--p-threshold-trend",
                help="p-value under which the trend is kept.",
                show_default=_farrington_default("p_threshold_trend"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        limit54: Annotated[
            str | None,
            typer.Option(
                help="CASES,WEEKS: no upper bound unless CASES cases in the last WEEKS weeks.",
                show_default=_farrington_default("limit54"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        powertrans: Annotated[
            str | None,
            typer.Option(
                help="Power transformation: 2/3, 1/2 or none.",
                show_default=_farrington_default("powertrans"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        no_periods: Annotated[
            int | None,
            typer.Option(
                "--no-periods",
                help="Periods of the seasonal factor (1 = none).",
                show_default=_farrington_default("no_periods"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        past_weeks_not_included: Annotated[
            int | None,
            typer.Option(
                "--past-weeks-not-included",
                help="Recent weeks left out of the baseline.",
                show_default=_farrington_default("past_weeks_not_included"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        threshold_method: Annotated[
            str | None,
            typer.Option(
                "--threshold-method",
                help=f"How the upper bound is computed: {', '.join(THRESHOLD_METHODS)}.",
                show_default=_farrington_default("threshold_method"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        epoch_as_date: Annotated[
            bool,
            typer.Option(
                "--epoch-as-date/--no-epoch-as-date",
                help="Find the reference weeks by date, from the 'week' column (ISO weeks such "
                "as 2004-W02, or dates), as R does for an sts with epochAsDate=TRUE; otherwise "
                "they lie --frequency weeks apart.",
                rich_help_panel=_FARRINGTON,
            ),
        ] = False,
        frequency: Annotated[
            int | None,
            typer.Option(
                help="Weeks in a year.",
                show_default=_farrington_default("frequency"),
                rich_help_panel=_FARRINGTON,
            ),
        ] = None,
        k: Annotated[
            float | None,
            typer.Option(
                "--k",
                help="Reference value of the CUSUM.",
                show_default="1.04",
                rich_help_panel=_CUSUM,
            ),
        ] = None,
        h: Annotated[
            float | None,
            typer.Option(
                "--h",
                help="Decision interval: an alarm when the CUSUM reaches it.",
                show_default="2.26",
                rich_help_panel=_CUSUM,
            ),
        ] = None,
        m: Annotated[
            float | None,
            typer.Option(
                "--m",
                help="In-control mean.",
                show_default="the mean of the weeks before --range",
                rich_help_panel=_CUSUM,
            ),
        ] = None,
        trans: Annotated[
            str | None,
            typer.Option(
                "--trans",
                help=f"How counts are standardised: {', '.join(TRANSFORMS)} (rossi: Rossi et "
                "al. 1999's transformation).",
                show_default="standard",
                rich_help_panel=_CUSUM,
            ),
        ] = None,
    ) -> None:
        """Run an outbreak detection method over weekly counts and write upper bounds and alarms.

        With --all, run the methods over the database's weekly series and store alarms as signals.

        cusum is R's surveillance::algo.cusum (Rossi, Lampugnani, Marchi 1999, Stat Med 18:2111).
        """
        cusum_options: dict[str, Any] = {"k": k, "h": h, "m": m, "trans": trans}
        overrides: dict[str, Any] = {
            "baseline": baseline,
            "alpha": alpha,
            "min_sigma": min_sigma,
            "b": b,
            "w": w,
            "reweight": reweight,
            "weights_threshold": weights_threshold,
            "trend": trend,
            "p_threshold_trend": p_threshold_trend,
            "powertrans": powertrans,
            "no_periods": no_periods,
            "past_weeks_not_included": past_weeks_not_included,
            "threshold_method": threshold_method,
            "frequency": frequency,
        }
        files = {"input": input_path, "output": output_path, "range": weeks_range}
        if run_all:
            given = _flags({**files, "epoch_as_date": epoch_as_date or None})
            given += _flags({**overrides, "limit54": limit54, **cusum_options})
            if given:
                raise refuse(
                    f"{', '.join(given)} cannot be combined with --all: it reads the database "
                    "and runs each method with its preset"
                )
            unknown = [name for name in method or [] if name not in METHOD_NAMES]
            if unknown:
                raise refuse(
                    f"unknown --method {unknown[0]!r}: choose one of {', '.join(METHOD_NAMES)}"
                )
            if engine not in engines.ENGINES:
                raise refuse(f"unknown --engine {engine!r}: choose one of local, dask")
            if engine == "local" and (scheduler or workers):
                raise refuse("--scheduler and --workers apply to --engine dask only")
            if scheduler and workers:
                raise refuse("--workers starts a local cluster: it cannot go with --scheduler")
            try:
                signal_commands.detect_all(
                    methods=list(method or signals.DEFAULT_METHODS),
                    weeks=signals.DEFAULT_WEEKS if weeks is None else weeks,
                    until=until,
                    engine=engine,
                    scheduler=scheduler,
                    partition_size=partition_size,
                    workers=workers,
                )
            except HealthBridgeError as error:
                raise refuse(_message(error)) from None
            return
        if weeks is not None or until is not None:
            raise refuse("--weeks and --until apply to --all only")
        if engine != "local" or scheduler or workers:
            raise refuse("--engine, --scheduler and --workers apply to --all only")
        if input_path is None or output_path is None:
            raise refuse(
                "give --input and --output (a counts file), or --all to run over the database"
            )
        if not method or len(method) > 1:
            raise refuse(
                "give one --method with --input: "
                + ("it was given several times" if method else f"one of {', '.join(METHOD_NAMES)}")
            )
        [method_name] = method
        if method_name == signals.CUSUM:
            alpha = overrides.pop("alpha")
            foreign = _flags(
                {**overrides, "limit54": limit54, "epoch_as_date": epoch_as_date or None}
            )
            if foreign:
                verb = "does" if len(foreign) == 1 else "do"
                raise refuse(f"{', '.join(foreign)} {verb} not apply to --method cusum")
            detect_cusum(
                input_path, output_path, weeks_range=weeks_range, alpha=alpha, **cusum_options
            )
            return
        if method_name not in METHODS:
            raise refuse(
                f"unknown --method {method_name!r}: choose one of {', '.join(METHOD_NAMES)}"
            )
        foreign_cusum = _flags(cusum_options)
        if foreign_cusum:
            verb = "does" if len(foreign_cusum) == 1 else "do"
            raise refuse(f"{', '.join(foreign_cusum)} {verb} not apply to --method {method_name}")
        if threshold_method is not None and threshold_method not in THRESHOLD_METHODS:
            raise refuse(
                f"unknown --threshold-method {threshold_method!r}: choose one of "
                f"{', '.join(THRESHOLD_METHODS)}"
            )
        chosen = METHODS[method_name]
        try:
            overrides["limit54"] = _parse_limit54(limit54)
            try:
                parameters = chosen.parameters(**overrides)
            except ValueError:
                foreign = [
                    "--" + key.replace("_", "-")
                    for key, value in overrides.items()
                    if value is not None and key not in chosen.preset
                ]
                verb = "does" if len(foreign) == 1 else "do"
                raise ValueError(
                    f"{', '.join(foreign)} {verb} not apply to --method {chosen.name}"
                ) from None
            if epoch_as_date and not chosen.uses_dates:
                raise ValueError(f"--epoch-as-date does not apply to --method {chosen.name}")
            data = counts_csv.read_counts(
                read(input_path), source=str(input_path), with_dates=epoch_as_date
            )
            first, last = _parse_range(
                weeks_range, default_first=chosen.first_week(parameters), weeks=data.weeks
            )
            if chosen.family == "ears" and first < chosen.first_week(parameters):
                raise ValueError(
                    f"--range starts at week {first}, but {chosen.name} with a baseline of "
                    f"{parameters['baseline']} weeks can score weeks from "
                    f"{chosen.first_week(parameters)} on"
                )
            monitor = np.arange(first - 1, last, dtype=np.int64)
            result = chosen.run(
                data.counts, monitor=monitor, parameters=parameters, dates=data.dates
            )
        except HealthBridgeError as error:
            raise refuse(_message(error)) from None
        except ImportError as error:
            raise refuse(f"--method {chosen.name} needs the Farrington kernel: {error}") from None
        except ValueError as error:
            raise refuse(str(error)) from None
        write_result(chosen.name, data, monitor, result, output_path, first=first, last=last)

    def write_result(
        name: str,
        data: counts_csv.WeeklyCounts,
        monitor: np.ndarray[Any, np.dtype[np.int64]],
        result: DetectionOutput,
        output_path: Path,
        *,
        first: int,
        last: int,
    ) -> None:
        table = io.StringIO()
        rows = counts_csv.write_detection(
            table,
            series=data.series,
            counts=data.counts,
            monitor=monitor,
            upperbound=result.upperbound,
            alarm=result.alarm,
            expected=result.expected,
        )
        deliver(table.getvalue(), output_path)
        alarms = int(result.alarm[:, monitor].sum())
        gaps = f", {data.gaps} missing series-weeks" if data.gaps else ""
        err().print(
            escape(
                f"{name}: {len(data.series)} series, weeks {first}-{last} "
                f"({rows} rows{gaps}), {alarms} alarm(s) → {output_path}"
            ),
            highlight=False,
            soft_wrap=True,
        )

    def detect_cusum(
        input_path: Path,
        output_path: Path,
        *,
        weeks_range: str | None,
        alpha: float | None,
        k: float | None,
        h: float | None,
        m: float | None,
        trans: str | None,
    ) -> None:
        if trans is not None and trans not in TRANSFORMS:
            raise refuse(f"unknown --trans {trans!r}: choose one of {', '.join(TRANSFORMS)}")
        try:
            data = counts_csv.read_counts(read(input_path), source=str(input_path))
            first, last = _parse_range(
                weeks_range, default_first=CUSUM_FIRST_WEEK, weeks=data.weeks
            )
            if first < 2 and m is None:
                raise ValueError(
                    "--range must start at week 2 or later for --method cusum: the in-control "
                    "mean is that of the weeks before it (or give --m)"
                )
            monitor = np.arange(first - 1, last, dtype=np.int64)
            found = cusum(
                data.counts,
                monitor=monitor,
                k=signals.CUSUM_PRESET["k"] if k is None else k,
                h=signals.CUSUM_PRESET["h"] if h is None else h,
                m=m,
                trans=signals.CUSUM_PRESET["trans"] if trans is None else trans,
                alpha=signals.CUSUM_PRESET["alpha"] if alpha is None else alpha,
            )
        except HealthBridgeError as error:
            raise refuse(_message(error)) from None
        except ValueError as error:
            raise refuse(str(error)) from None
        result = DetectionOutput(found.upperbound, found.alarm, None)
        write_result("cusum", data, monitor, result, output_path, first=first, last=last)

    @app.command()
    def rt(
        input_path: Annotated[
            Path,
            typer.Option(
                "--input",
                help="Incidence CSV with columns t,incidence (or EpiEstim's I); t 1-based.",
                dir_okay=False,
            ),
        ],
        mean_si: Annotated[
            float, typer.Option("--mean-si", help="Mean of the serial interval (> 1), in days.")
        ],
        std_si: Annotated[
            float,
            typer.Option("--std-si", help="Standard deviation of the serial interval (> 0)."),
        ],
        output_path: Annotated[
            Path | None,
            typer.Option(
                "--output", help="Where to write the table (default: stdout).", dir_okay=False
            ),
        ] = None,
        mean_prior: Annotated[
            float, typer.Option("--mean-prior", help="Mean of the gamma prior of R.")
        ] = 5.0,
        std_prior: Annotated[
            float, typer.Option("--std-prior", help="Standard deviation of the gamma prior of R.")
        ] = 5.0,
    ) -> None:
        """Estimate the reproduction number (Cori et al. 2013, as EpiEstim) over weekly windows.

        Prints EpiEstim's table: t_start, t_end, Mean(R), Std(R) and the quantiles of R.
        """
        try:
            incidence = counts_csv.read_incidence(read(input_path), source=str(input_path))
            estimate = cori_rt(
                incidence,
                mean_si=mean_si,
                std_si=std_si,
                mean_prior=mean_prior,
                std_prior=std_prior,
            )
        except HealthBridgeError as error:
            raise refuse(_message(error)) from None
        except ValueError as error:
            raise refuse(str(error)) from None
        table = io.StringIO()
        counts_csv.write_rt(
            table,
            t_start=estimate.t_start,
            t_end=estimate.t_end,
            mean=estimate.mean,
            std=estimate.std,
            quantiles=estimate.quantiles,
        )
        deliver(table.getvalue(), output_path)
        missing = int(np.isnan(incidence).sum())
        estimated = int(np.isfinite(estimate.mean).sum())
        note = f"; {missing} missing day(s) counted as 0" if missing else ""
        err().print(
            escape(
                f"R over {len(estimate.t_start)} weekly windows of {incidence.size} days "
                f"({estimated} estimated, mean SI {mean_si:g}, std {std_si:g}){note}"
            ),
            highlight=False,
            soft_wrap=True,
        )
