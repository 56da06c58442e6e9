"""Weekly counts and daily incidence as CSV: what ``healthbridge detect`` and ``rt`` read and write.

Counts (``series,t,count``; other columns are ignored): ``series`` is any text, ``t`` the
1-based time index, ``count`` a non-negative number. A week a series has no row for, or whose
count is empty or ``NA``, is a gap (NaN): the methods treat it as R treats ``NA``. When asked
for dates, the ``week`` column (R's label of the time point: an ISO week such as ``2004-W02``,
or a date such as ``2004-01-05``) gives each week its date; the labels must be consecutive
weeks and agree across series. Incidence (``t,incidence``, or EpiEstim's ``I`` for the
incidence): the same rules for ``t``; a missing day counts as 0 (as in EpiEstim).

Reading stops at the first problem and names its row and column; rows are numbered as a
spreadsheet numbers them (the header is row 1, a row is named by the line it starts on).

Results are written with full precision (the shortest text that reads back as the same double)
and an empty cell where there is no value.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from healthbridge.errors import FieldError, Invalid

COUNTS_COLUMNS: tuple[str, ...] = ("series", "t", "count")
DETECTION_COLUMNS: tuple[str, ...] = ("series", "t", "count", "upperbound", "alarm")
INCIDENCE_COLUMNS: tuple[str, ...] = ("t", "incidence")
#: EpiEstim's name for the incidence column, accepted instead of ``incidence``.
INCIDENCE_ALIAS = "I"
#: EpiEstim's column names of ``estimate_R()$R``.
RT_COLUMNS: tuple[str, ...] = (
    "t_start",
    "t_end",
    "Mean(R)",
    "Std(R)",
    "Quantile.0.025(R)",
    "Quantile.0.05(R)",
    "Quantile.0.25(R)",
    "Median(R)",
    "Quantile.0.75(R)",
    "Quantile.0.95(R)",
    "Quantile.0.975(R)",
)
RT_QUANTILE_COLUMNS: Mapping[float, str] = {
    0.025: "Quantile.0.025(R)",
    0.05: "Quantile.0.05(R)",
    0.25: "Quantile.0.25(R)",
    0.5: "Median(R)",
    0.75: "Quantile.0.75(R)",
    0.95: "Quantile.0.95(R)",
    0.975: "Quantile.0.975(R)",
}
#: The largest time index accepted (about 1900 years of weeks): a typo must not allocate gigabytes.
MAX_T = 100_000
#: Cells that mean "no count" (R writes ``NA``).
MISSING = frozenset({"", "NA"})
#: The column that labels each time point with its week (read only when dates are asked for).
WEEK_COLUMN = "week"
_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{2})(?:-?([1-7]))?")


@dataclass(frozen=True)
class WeeklyCounts:
    """Counts read from a CSV: series names in the order they first appear, and the counts.

    ``counts`` has shape (series, weeks), week ``t`` at column ``t - 1`` and NaN for gaps;
    ``weeks`` is the largest ``t`` of the file. ``dates`` (when asked for) holds the date of
    every week, 7 days apart: the Monday of an ISO week label, or the date given.
    """

    series: tuple[str, ...]
    counts: NDArray[np.float64]
    rows: int
    dates: NDArray[np.datetime64] | None = None

    @property
    def weeks(self) -> int:
        return int(self.counts.shape[1])

    @property
    def gaps(self) -> int:
        return int(np.isnan(self.counts).sum())


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"{source} is not UTF-8 text",
            errors=[FieldError("file", f"byte {exc.start} cannot be decoded")],
        ) from None


def _refuse(source: str, field: str, message: str, row: int | None) -> Invalid:
    return Invalid(f"cannot read {source}", errors=[FieldError(field, message, row=row)])


def _rows(
    data: bytes | str, *, source: str, required: Sequence[Sequence[str]]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (row number, row) pairs; ``required`` lists alternatives for each column."""
    text = _decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise _refuse(source, "file", "the file is empty", None) from None
    except csv.Error as exc:
        raise _refuse(source, "file", f"not a CSV file: {exc}", 1) from None
    for alternatives in required:
        if not any(name in header for name in alternatives):
            raise _refuse(
                source,
                alternatives[0],
                f"missing column (the header has: {', '.join(header) or 'nothing'})",
                1,
            )
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _refuse(source, "file", f"not a CSV row: {exc}", start) from None
        if not cells or all(not cell.strip() for cell in cells):
            continue  # blank line
        if len(cells) > len(header):
            raise _refuse(
                source, "file", f"{len(cells)} cells but the header has {len(header)}", start
            )
        cells = cells + [""] * (len(header) - len(cells))
        rows.append((start, dict(zip(header, cells, strict=True))))
    if not rows:
        raise _refuse(source, "file", "no rows below the header", None)
    return header, rows


def _time_index(text: str, *, source: str, row: int) -> int:
    cell = text.strip()
    try:
        value = float(cell)
    except ValueError:
        raise _refuse(source, "t", f"{cell!r} is not a whole number", row) from None
    if not math.isfinite(value) or value != int(value):
        raise _refuse(source, "t", f"{cell!r} is not a whole number", row)
    if not 1 <= value <= MAX_T:
        raise _refuse(source, "t", f"{cell} is outside 1..{MAX_T}", row)
    return int(value)


def _amount(text: str, *, field: str, source: str, row: int) -> float:
    cell = text.strip()
    if cell in MISSING:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise _refuse(source, field, f"{cell!r} is not a number", row) from None
    if not math.isfinite(value):
        raise _refuse(source, field, f"{cell!r} is not a finite number", row)
    if value < 0:
        raise _refuse(source, field, f"{cell} is negative", row)
    return value


def read_counts(
    data: bytes | str, *, source: str = "the counts file", with_dates: bool = False
) -> WeeklyCounts:
    """Read weekly counts (``series,t,count``) into a (series, weeks) array.

    Parameters
    ----------
    data : bytes or str
        The CSV (bytes are decoded as UTF-8, a byte-order mark allowed).
    source : str
        How messages name the file.
    with_dates : bool
        Also read the ``week`` column into :attr:`WeeklyCounts.dates`.

    Raises
    ------
    Invalid
        At the first problem, naming its row and column: a missing column, a ``t`` that is not
        a whole number within 1..:data:`MAX_T`, a count that is not a non-negative finite number,
        a series given twice for the same ``t``; with dates, a week label that is not an ISO
        week or a date, or labels that are not consecutive weeks.
    """
    required = [(c,) for c in COUNTS_COLUMNS] + ([(WEEK_COLUMN,)] if with_dates else [])
    _header, rows = _rows(data, source=source, required=required)
    index: dict[str, int] = {}
    seen: dict[tuple[int, int], int] = {}
    cells: list[tuple[int, int, float]] = []
    # The Monday of week 1 implied by each row's label; every row must imply the same one.
    origin: tuple[dt.date, int] | None = None
    for number, row in rows:
        name = row["series"]
        t = _time_index(row["t"], source=source, row=number)
        value = _amount(row["count"], field="count", source=source, row=number)
        i = index.setdefault(name, len(index))
        if (i, t) in seen:
            raise _refuse(
                source, "t", f"series {name!r} has week {t} twice (also row {seen[i, t]})", number
            )
        seen[i, t] = number
        cells.append((i, t, value))
        if with_dates:
            day = _week_date(row[WEEK_COLUMN], source=source, row=number)
            first = day - dt.timedelta(weeks=t - 1)
            if origin is None:
                origin = (first, number)
            elif first != origin[0]:
                raise _refuse(
                    source,
                    WEEK_COLUMN,
                    f"{row[WEEK_COLUMN].strip()!r} at t={t} is not {t - 1} weeks after "
                    f"{origin[0].isoformat()}, the week of t=1 by row {origin[1]}",
                    number,
                )
    n_weeks = max(t for _, t, _ in cells)
    counts = np.full((len(index), n_weeks), np.nan)
    for i, t, value in cells:
        counts[i, t - 1] = value
    dates = None
    if origin is not None:
        dates = np.datetime64(origin[0], "D") + 7 * np.arange(n_weeks)
    return WeeklyCounts(series=tuple(index), counts=counts, rows=len(rows), dates=dates)


def _week_date(text: str, *, source: str, row: int) -> dt.date:
    cell = text.strip()
    match = _ISO_WEEK.fullmatch(cell)
    try:
        if match:
            year, week, day = match.groups()
            return dt.date.fromisocalendar(int(year), int(week), int(day or 1))
        return dt.date.fromisoformat(cell)
    except ValueError:
        pass
    raise _refuse(
        source,
        WEEK_COLUMN,
        f"{cell!r} is neither an ISO week (2004-W02) nor a date (2004-01-05)",
        row,
    )


def read_incidence(data: bytes | str, *, source: str = "the incidence file") -> NDArray[np.float64]:
    """Read incidence (``t,incidence`` or ``t,I``) into an array over ``t = 1 .. max t``.

    Days without a row, or with an empty or ``NA`` incidence, are NaN (which the reproduction
    number counts as 0, as EpiEstim does).

    Raises
    ------
    Invalid
        At the first problem, naming its row and column (as :func:`read_counts`), or a day
        given twice.
    """
    header, rows = _rows(data, source=source, required=[("t",), ("incidence", INCIDENCE_ALIAS)])
    column = "incidence" if "incidence" in header else INCIDENCE_ALIAS
    seen: dict[int, int] = {}
    for number, row in rows:
        t = _time_index(row["t"], source=source, row=number)
        if t in seen:
            raise _refuse(source, "t", f"day {t} is given twice (also row {seen[t]})", number)
        seen[t] = number
    values = np.full(max(seen), np.nan)
    for number, row in rows:
        t = _time_index(row["t"], source=source, row=number)
        values[t - 1] = _amount(row[column], field=column, source=source, row=number)
    return values


def format_number(value: float) -> str:
    """Shortest text that reads back as ``value``; whole numbers without ``.0``; NaN empty."""
    if math.isnan(value):
        return ""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def write_detection(
    out: TextIO,
    *,
    series: Sequence[str],
    counts: NDArray[np.float64],
    monitor: NDArray[np.int64],
    upperbound: NDArray[np.float64],
    alarm: NDArray[np.bool_],
    expected: NDArray[np.float64] | None = None,
) -> int:
    """Write ``series,t,count,upperbound,alarm[,expected]``, one row per series and monitored week.

    Arrays are (series, weeks); ``monitor`` holds 0-based week indices (written as 1-based
    ``t``). Returns the number of rows written.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DETECTION_COLUMNS + (("expected",) if expected is not None else ()))
    written = 0
    for i, name in enumerate(series):
        for week in monitor.tolist():
            row = [
                name,
                str(week + 1),
                format_number(float(counts[i, week])),
                format_number(float(upperbound[i, week])),
                "1" if alarm[i, week] else "0",
            ]
            if expected is not None:
                row.append(format_number(float(expected[i, week])))
            writer.writerow(row)
            written += 1
    return written


def write_rt(
    out: TextIO,
    *,
    t_start: NDArray[np.int64],
    t_end: NDArray[np.int64],
    mean: NDArray[np.float64],
    std: NDArray[np.float64],
    quantiles: Mapping[float, NDArray[np.float64]],
) -> None:
    """Write EpiEstim's table of R (:data:`RT_COLUMNS`), one row per window; NA cells empty."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RT_COLUMNS)
    for j in range(len(t_start)):
        writer.writerow(
            [
                str(int(t_start[j])),
                str(int(t_end[j])),
                format_number(float(mean[j])),
                format_number(float(std[j])),
            ]
            + [format_number(float(quantiles[p][j])) for p in RT_QUANTILE_COLUMNS]
        )
