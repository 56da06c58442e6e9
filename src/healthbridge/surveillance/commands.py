"""Command-line commands of surveillance: ``healthbridge detect`` and ``healthbridge rt``.

Both work on files alone (no database): ``detect`` runs an outbreak detection method over weekly
counts, ``rt`` estimates the reproduction number from daily incidence. The parameter options are
named after R's (``surveillance::earsC``, ``farringtonFlexible``; ``EpiEstim::estimate_R``) and
default to the presets of the reference calls, so that a command with no options reproduces
``tests/reference/data``.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.markup import escape

from healthbridge.analytics.detection.methods import METHODS
from healthbridge.analytics.rt import cori_rt
from healthbridge.errors import HealthBridgeError
from healthbridge.interop import counts_csv

#: R's ``thresholdMethod`` values of ``farringtonFlexible``.
THRESHOLD_METHODS: tuple[str, ...] = ("delta", "nbPlugin", "muan")

_EARS = "EARS options"
_FARRINGTON = "Farrington options"


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
            str,
            typer.Option(
                help=f"Detection method: {', '.join(METHODS)}. Its defaults are the reference "
                "control list.",
            ),
        ],
        input_path: Annotated[
            Path,
            typer.Option(
                "--input",
                help="Counts CSV with columns series,t,count (t 1-based; other columns ignored).",
                dir_okay=False,
            ),
        ],
        output_path: Annotated[
            Path,
            typer.Option(
                "--output",
                help="Where to write series,t,count,upperbound,alarm (+ expected).",
                dir_okay=False,
            ),
        ],
        weeks_range: Annotated[
            str | None,
            typer.Option(
                "--range",
                help="Weeks to monitor, FROM:TO (1-based, inclusive). Default: from the first "
                "week the method can score (EARS: baseline+1/+3/+5; Farrington: 5*52+4) "
                "to the end.",
            ),
        ] = None,
        baseline: Annotated[
            int | None,
            typer.Option(help="Weeks in the baseline.", show_default="7", rich_help_panel=_EARS),
        ] = None,
        alpha: Annotated[
            float | None,
            typer.Option(
                help="Significance level.", show_default="0.001 for EARS, 0.05 for Farrington"
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
    ) -> None:
        """Run an outbreak detection method over weekly counts and write upper bounds and alarms."""
        if method not in METHODS:
            raise refuse(f"unknown --method {method!r}: choose one of {', '.join(METHODS)}")
        if threshold_method is not None and threshold_method not in THRESHOLD_METHODS:
            raise refuse(
                f"unknown --threshold-method {threshold_method!r}: choose one of "
                f"{', '.join(THRESHOLD_METHODS)}"
            )
        chosen = METHODS[method]
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
                f"{chosen.name}: {len(data.series)} series, weeks {first}-{last} "
                f"({rows} rows{gaps}), {alarms} alarm(s) → {output_path}"
            ),
            highlight=False,
            soft_wrap=True,
        )

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
