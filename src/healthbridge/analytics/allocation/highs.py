"""A thin, silent layer over HiGHS (``highspy``) for the allocation models.

HiGHS 1.16 prints a banner on the process's standard output when the first solver instance of a
process is created, before any option can be set; :func:`new_highs` sends that one banner to
standard error instead, so that ``healthbridge allocate --output -`` writes nothing but JSON.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence

import highspy
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_lock = threading.Lock()
_first_made = False


class SolverError(RuntimeError):
    """HiGHS did not solve a model to proven optimality (a bug or a numerical failure)."""


def _make_first() -> highspy.Highs:
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        return highspy.Highs()
    try:
        os.dup2(2, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A HiGHS instance with logging off, exact MIP gaps and one thread."""
    global _first_made
    with _lock:
        if _first_made:
            highs = highspy.Highs()
        else:
            highs = _make_first()
            _first_made = True
    for name, value in (
        ("output_flag", False),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 1e-9),
        ("threads", 1),
        ("random_seed", 0),
    ):
        status = highs.setOptionValue(name, value)
        if status != highspy.HighsStatus.kOk:
            raise SolverError(f"HiGHS refused option {name}={value!r}")
    return highs


class Model:
    """An incrementally built model: columns, rows (given as sparse lists) and a linear
    objective, always minimised."""

    def __init__(self) -> None:
        self.highs = new_highs()
        self.num_cols = 0
        self.num_rows = 0
        self.integer: list[bool] = []
        self._mode: bool | None = None  # mip flag of the last solve; None: to be set again

    def add_cols(self, lower: Sequence[float], upper: Sequence[float], *, integer: bool) -> int:
        """Add columns; returns the index of the first."""
        first = self.num_cols
        count = len(lower)
        if count:
            self._check(
                self.highs.addVars(
                    count, np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
                ),
                "addVars",
            )
        self.num_cols += count
        self.integer.extend([integer] * count)
        self._mode = None
        return first

    def add_rows(
        self,
        lower: Sequence[float],
        upper: Sequence[float],
        rows: Sequence[tuple[Sequence[int], Sequence[float]]],
    ) -> int:
        """Add rows ``lower <= sum(value * x[index]) <= upper``; returns the index of the first."""
        first = self.num_rows
        if rows:
            starts = np.zeros(len(rows), dtype=np.int32)
            indices: list[int] = []
            values: list[float] = []
            for number, (index, value) in enumerate(rows):
                starts[number] = len(indices)
                indices.extend(index)
                values.extend(value)
            self._check(
                self.highs.addRows(
                    len(rows),
                    np.asarray(lower, dtype=np.float64),
                    np.asarray(upper, dtype=np.float64),
                    len(indices),
                    starts,
                    np.asarray(indices, dtype=np.int32),
                    np.asarray(values, dtype=np.float64),
                ),
                "addRows",
            )
        self.num_rows += len(rows)
        return first

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        """Change the bounds of one row."""
        self._check(self.highs.changeRowBounds(row, lower, upper), "changeRowBounds")

    def set_col_bounds(
        self, cols: Sequence[int], lower: Sequence[float], upper: Sequence[float]
    ) -> None:
        if cols:
            self._check(
                self.highs.changeColsBounds(
                    len(cols),
                    np.asarray(cols, dtype=np.int32),
                    np.asarray(lower, dtype=np.float64),
                    np.asarray(upper, dtype=np.float64),
                ),
                "changeColsBounds",
            )

    def drop_last(self, *, cols: int, rows: int) -> None:
        """Delete the last ``cols`` columns and ``rows`` rows."""
        if rows:
            index = np.arange(self.num_rows - rows, self.num_rows, dtype=np.int32)
            self._check(self.highs.deleteRows(rows, index), "deleteRows")
            self.num_rows -= rows
        if cols:
            index = np.arange(self.num_cols - cols, self.num_cols, dtype=np.int32)
            self._check(self.highs.deleteCols(cols, index), "deleteCols")
            self.num_cols -= cols
            del self.integer[-cols:]
            self._mode = None

    def solve(
        self, costs: dict[int, float], *, mip: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Minimise ``sum(costs[j] * x[j])``; returns the column values, and (LP only) the column
        and row duals. Raises :class:`SolverError` unless HiGHS proves optimality."""
        found = self.try_solve(costs, mip=mip)
        if found is None:
            raise SolverError(
                f"HiGHS found the {'MIP' if mip else 'LP'} of {self.num_cols} columns and "
                f"{self.num_rows} rows infeasible"
            )
        return found

    def try_solve(
        self, costs: dict[int, float], *, mip: bool
    ) -> tuple[FloatArray, FloatArray, FloatArray] | None:
        """As :meth:`solve`, but None when the model is infeasible."""
        highs = self.highs
        n = self.num_cols
        objective = np.zeros(n, dtype=np.float64)
        for index, cost in costs.items():
            objective[index] = cost
        every = np.arange(n, dtype=np.int32)
        self._check(highs.changeColsCost(n, every, objective), "changeColsCost")
        self._check(highs.changeObjectiveSense(highspy.ObjSense.kMinimize), "changeObjectiveSense")
        if self._mode is not mip:
            kinds = np.array(
                [
                    highspy.HighsVarType.kInteger
                    if mip and integer
                    else highspy.HighsVarType.kContinuous
                    for integer in self.integer
                ],
                dtype=np.uint8,
            )
            self._check(highs.changeColsIntegrality(n, every, kinds), "changeColsIntegrality")
            # Presolve costs more than it saves on the small, warm-started LPs of a stage.
            for option, value in (
                ("solver", "choose" if mip else "simplex"),
                ("presolve", "choose" if mip else "off"),
            ):
                self._check(highs.setOptionValue(option, value), option)
            self._mode = mip
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                f"HiGHS stopped with model status {highs.modelStatusToString(status)!r} "
                f"({'MIP' if mip else 'LP'} of {n} columns and {self.num_rows} rows)"
            )
        solution = highs.getSolution()
        values = np.asarray(solution.col_value, dtype=np.float64)
        if mip:
            empty = np.zeros(0, dtype=np.float64)
            return values, empty, empty
        return (
            values,
            np.asarray(solution.col_dual, dtype=np.float64),
            np.asarray(solution.row_dual, dtype=np.float64),
        )

    def row_values(self) -> FloatArray:
        return np.asarray(self.highs.getSolution().row_value, dtype=np.float64)

    @staticmethod
    def _check(status: highspy.HighsStatus, what: str) -> None:
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS {what} failed")
