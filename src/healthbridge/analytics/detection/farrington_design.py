"""Baselines of the Farrington family: which past weeks enter each model, and in which period.

A port of ``surveillance``'s ``algo.farrington.referencetimepoints``, ``blocks`` and
``algo.farrington.data.glm`` (R package ``surveillance`` 1.20.3). R builds these per monitored
week over the whole series; here a baseline is described once relative to the monitored week
(``offset`` = monitored week - past week), because it depends only on how far back the reference
weeks lie. That is what lets the model fits run in batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class BaselineDesign:
    """The rows of the GLM for one pattern of reference weeks.

    Attributes
    ----------
    offsets
        Offset (monitored week - week) of each baseline row, oldest first as R orders them.
    levels
        The ``seasgroups`` level of each row (``no_periods`` for the windows around the
        reference weeks, 1 .. no_periods - 1 for the periods in between).
    level_values
        The distinct levels, sorted: the first is the baseline of R's treatment contrasts.
    reach
        The largest offset that R's ``blocks`` writes to. R stops with an error when that lies
        before the first week (a 1-based index below 0), so such a week gets no result.
    """

    offsets: NDArray[np.int64]
    levels: NDArray[np.int64]
    level_values: tuple[int, ...]
    reach: int


def _r_colon(a: int, b: int) -> range:
    """R's ``a:b``, which counts down when ``a > b``."""
    return range(a, b + 1) if a <= b else range(a, b - 1, -1)


def baseline_design(
    reference_offsets: Sequence[int], *, w: int, no_periods: int, past_weeks_not_included: int
) -> BaselineDesign:
    """Port of R's ``blocks`` and of the ``pastWeeksNotIncluded`` exclusion, relative to week k.

    Parameters
    ----------
    reference_offsets
        How many weeks back each of the ``b`` reference weeks lies, nearest first
        (``frequency * i`` for series without dates).
    w, no_periods, past_weeks_not_included
        As in :func:`healthbridge.analytics.detection.farrington.farrington_flexible`.

    Raises
    ------
    ValueError
        Where R stops with "Number of factors too big!".
    """
    p = no_periods
    # Indices relative to the monitored week: R index k + i is stored under i (i <= 0).
    factors: dict[int, int] = {}
    lowest = 0

    def assign(a: int, b: int, value: int) -> None:
        nonlocal lowest
        seq = _r_colon(a, b)
        for i in seq:
            factors[i] = value
        lowest = min(lowest, min(seq))

    assign(-w, 0, p)
    reference_weeks = [0] + [-int(o) for o in reference_offsets]
    for i in range(1, len(reference_weeks)):
        ref = reference_weeks[i]
        assign(ref - w, ref + w, p)
        if p != 1:
            period = reference_weeks[i - 1] - 2 * w - 1 - ref
            if period < p - (2 * w + 1):
                raise ValueError(
                    "no_periods is too large for the gap between reference windows "
                    "(R: 'Number of factors too big!')"
                )
            length, rest = divmod(period, p - 1)
            lengths = [length + (1 if j < rest else 0) for j in range(p - 1)]
            cum = np.concatenate(([0], np.cumsum(lengths))).astype(int).tolist()
            for j in range(1, p):
                assign(ref + w + 1 + cum[j - 1], ref + w + 1 + cum[j] - 1, j)
    for i in _r_colon(-past_weeks_not_included, 0):
        factors.pop(i, None)
    rows = sorted(factors)  # oldest first
    offsets = np.array([-i for i in rows], dtype=np.int64)
    levels = np.array([factors[i] for i in rows], dtype=np.int64)
    return BaselineDesign(
        offsets=offsets,
        levels=levels,
        level_values=tuple(sorted({int(v) for v in levels})),
        reach=-lowest,
    )


def _to_date(day: np.datetime64) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day.astype("datetime64[D]").astype(np.int64)))


def _years_back(day: dt.date, years: int) -> dt.date:
    """R's ``seq(day, by="-1 year")`` step: the same month and day; 29 February rolls to 1 March."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 3, 1)


def dated_reference_offsets(
    dates: NDArray[np.datetime64], t: int, *, b: int, frequency: int
) -> tuple[int, ...] | None:
    """Port of ``algo.farrington.referencetimepoints`` for an ``sts`` with ``epochAsDate``.

    The reference weeks are the same date 1 .. b years back; for weekly data (``frequency``
    52), the nearest day of the same weekday (R compares ``%w``). Returns their offsets from
    week ``t`` (0-based), or None where one of them is not in ``dates`` (R stops there).
    """
    day = _to_date(dates[t])
    as_days = dates.astype("datetime64[D]").astype(np.int64)
    offsets: list[int] = []
    for i in range(1, b + 1):
        ref = _years_back(day, i)
        if frequency == 52:
            # %w: 0 is Sunday; isoweekday: 7 is Sunday.
            day_to_get = day.isoweekday() % 7
            actual = ref.isoweekday() % 7
            a = ref - dt.timedelta(days=actual - day_to_get)
            b_day = a + dt.timedelta(days=-7 if a > ref else 7)
            ref = b_day if abs((a - ref).days) > abs((b_day - ref).days) else a
        key = (ref - _EPOCH).days
        pos = int(np.searchsorted(as_days, key))
        if pos >= len(as_days) or as_days[pos] != key:
            return None
        offsets.append(t - pos)
    return tuple(offsets)
