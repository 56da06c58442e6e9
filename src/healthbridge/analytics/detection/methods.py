"""The outbreak detection methods offered by name (``healthbridge detect --method NAME``).

Each :class:`DetectionMethod` ties a name to its kernel and to the parameter preset of the
reference calls in ``tests/reference/data/README.md``, so that running a method with no options
reproduces the reference output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from healthbridge.analytics.detection.ears import EarsMethod, ears_c, first_week
from healthbridge.analytics.detection.farrington import farrington_flexible

Family = Literal["ears", "farrington"]

#: First monitored week (1-based) of the Farrington-family reference calls: ``5*52+4``, the
#: first week with five whole years of history plus the window of three weeks.
FARRINGTON_FIRST_WEEK = 5 * 52 + 4


class DetectionOutput(NamedTuple):
    """What :meth:`DetectionMethod.run` returns; arrays of shape (series, weeks).

    Attributes
    ----------
    upperbound : NDArray[np.float64]
        NaN outside the monitored weeks and where the method gives none.
    alarm : NDArray[np.bool_]
        False outside the monitored weeks and where there is no upper bound.
    expected : NDArray[np.float64] or None
        The expected count (Farrington family), NaN outside the monitored weeks; None for
        methods that have no such quantity.
    """

    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    expected: NDArray[np.float64] | None


Runner = Callable[..., DetectionOutput]


@dataclass(frozen=True)
class DetectionMethod:
    """A detection method: its kernel, the reference parameter preset and its default range.

    Attributes
    ----------
    name : str
        The command line's name, e.g. ``"ears-c1"``.
    family : {"ears", "farrington"}
        Which kernel computes it.
    reference : str
        The R call its preset reproduces.
    preset : Mapping[str, Any]
        Keyword arguments of the kernel (its own names, e.g. ``min_sigma``), every parameter the
        method accepts being present; :meth:`parameters` overrides them.
    """

    name: str
    family: Family
    reference: str
    preset: Mapping[str, Any]
    _runner: Runner
    _first_week: Callable[[Mapping[str, Any]], int]

    def parameters(self, **overrides: Any) -> dict[str, Any]:
        """The preset with ``overrides`` applied (``None`` values are ignored).

        Raises
        ------
        ValueError
            When an override names a parameter this method does not take.
        """
        unknown = sorted(
            key for key, value in overrides.items() if value is not None and key not in self.preset
        )
        if unknown:
            raise ValueError(f"{self.name} does not take {', '.join(unknown)}")
        return {**self.preset, **{k: v for k, v in overrides.items() if v is not None}}

    def first_week(self, parameters: Mapping[str, Any] | None = None) -> int:
        """The first week (1-based) monitored by default: that of the reference calls."""
        return self._first_week(parameters if parameters is not None else self.preset)

    def run(
        self,
        counts: ArrayLike,
        *,
        monitor: ArrayLike,
        parameters: Mapping[str, Any] | None = None,
        dates: ArrayLike | None = None,
    ) -> DetectionOutput:
        """Run the method over ``counts`` (series, weeks) on the 0-based weeks ``monitor``.

        ``parameters`` defaults to the preset (see :meth:`parameters`). ``dates`` (one per
        week, evenly spaced) makes the Farrington family find its reference weeks by date, as R
        does for an ``sts`` with ``epochAsDate = TRUE``; without them they lie ``frequency``
        weeks apart. The EARS methods do not use dates.

        Raises
        ------
        ValueError
            For counts that are not (series, weeks), monitored weeks outside them, dates given
            to a method that does not use them, or what the kernel refuses.
        """
        y = np.asarray(counts, dtype=np.float64)
        if y.ndim != 2:
            raise ValueError("counts must have shape (series, weeks)")
        weeks = np.asarray(monitor, dtype=np.int64).ravel()
        if weeks.size and (weeks.min() < 0 or weeks.max() >= y.shape[1]):
            raise ValueError(f"monitored weeks must lie within 0..{y.shape[1] - 1}")
        if dates is not None and not self.uses_dates:
            raise ValueError(f"{self.name} does not use dates")
        chosen = dict(parameters if parameters is not None else self.preset)
        if dates is not None:
            chosen["dates"] = dates
        return self._runner(y, weeks, chosen)

    @property
    def uses_dates(self) -> bool:
        """Whether :meth:`run` takes ``dates`` (the Farrington family)."""
        return self.family == "farrington"


#: Weeks between a week and the oldest baseline week any EARS method reads for it, past the
#: baseline itself: C2/C3's guard band of two weeks plus C3's two previous statistics.
_EARS_REACH = 5


def _ears_runner(method: EarsMethod) -> Runner:
    def run(
        counts: NDArray[np.float64], monitor: NDArray[np.int64], params: dict[str, Any]
    ) -> DetectionOutput:
        upperbound = np.full(counts.shape, np.nan)
        alarm = np.zeros(counts.shape, dtype=np.bool_)
        if monitor.size == 0:
            return DetectionOutput(upperbound, alarm, None)
        # A week's bound depends only on the weeks up to `_EARS_REACH + baseline` before it:
        # compute over that window, not the whole series (the latest week of a long series
        # then costs a few weeks' work).
        start = max(0, int(monitor.min()) - _EARS_REACH - int(params.get("baseline", 7)))
        stop = int(monitor.max()) + 1
        result = ears_c(counts[:, start:stop], method=method, **params)
        upperbound[:, monitor] = result.upperbound[:, monitor - start]
        alarm[:, monitor] = result.alarm[:, monitor - start]
        return DetectionOutput(upperbound, alarm, None)

    return run


def _farrington_runner(
    counts: NDArray[np.float64], monitor: NDArray[np.int64], params: dict[str, Any]
) -> DetectionOutput:
    result = farrington_flexible(counts, monitor=monitor, **params)
    return DetectionOutput(
        np.asarray(result.upperbound, dtype=np.float64),
        np.asarray(result.alarm, dtype=np.bool_),
        np.asarray(result.expected, dtype=np.float64),
    )


def _ears(name: str, method: EarsMethod) -> DetectionMethod:
    first = {"C1": 8, "C2": 10, "C3": 12}[method]
    return DetectionMethod(
        name=name,
        family="ears",
        reference=(
            f'surveillance::earsC(x, control=list(range={first}:n, method="{method}", '
            "baseline=7, alpha=0.001))"
        ),
        preset=MappingProxyType({"baseline": 7, "alpha": 0.001, "min_sigma": 0.0}),
        _runner=_ears_runner(method),
        _first_week=lambda params: first_week(method, int(params["baseline"])),
    )


_FARRINGTON_1996: dict[str, Any] = {
    "b": 5,
    "w": 3,
    "reweight": True,
    "weights_threshold": 1.0,
    "trend": True,
    "p_threshold_trend": 0.05,
    "alpha": 0.05,
    "limit54": (5, 4),
    "powertrans": "2/3",
    "no_periods": 1,
    "past_weeks_not_included": 3,
    "threshold_method": "delta",
    "frequency": 52,
}
_NOUFAILY_2013: dict[str, Any] = {
    **_FARRINGTON_1996,
    "weights_threshold": 2.58,
    "p_threshold_trend": 1.0,
    "no_periods": 10,
    "past_weeks_not_included": 26,
    "threshold_method": "nbPlugin",
}


def _farrington(name: str, preset: dict[str, Any], reference: str) -> DetectionMethod:
    return DetectionMethod(
        name=name,
        family="farrington",
        reference=reference,
        preset=MappingProxyType(preset),
        _runner=_farrington_runner,
        _first_week=lambda params: FARRINGTON_FIRST_WEEK,
    )


#: The methods by command-line name.
METHODS: Mapping[str, DetectionMethod] = MappingProxyType(
    {
        "ears-c1": _ears("ears-c1", "C1"),
        "ears-c2": _ears("ears-c2", "C2"),
        "ears-c3": _ears("ears-c3", "C3"),
        "farrington": _farrington(
            "farrington",
            _FARRINGTON_1996,
            "surveillance::farringtonFlexible(x, control=list(range=(5*52+4):n, b=5, w=3, "
            "reweight=TRUE, weightsThreshold=1, trend=TRUE, pThresholdTrend=0.05, alpha=0.05, "
            'limit54=c(5,4), powertrans="2/3", noPeriods=1, pastWeeksNotIncluded=3, '
            'thresholdMethod="delta"))',
        ),
        "noufaily": _farrington(
            "noufaily",
            _NOUFAILY_2013,
            "surveillance::farringtonFlexible(x, control=list(range=(5*52+4):n, b=5, w=3, "
            "reweight=TRUE, weightsThreshold=2.58, trend=TRUE, pThresholdTrend=1, alpha=0.05, "
            'limit54=c(5,4), powertrans="2/3", noPeriods=10, pastWeeksNotIncluded=26, '
            'thresholdMethod="nbPlugin"))',
        ),
    }
)
