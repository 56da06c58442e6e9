"""Where the detection kernels of ``detect --all`` run: in this process (the local engine) or
over partitions of series on a Dask distributed cluster (the Dask engine).

A kernel call is one method over a block of series (rows) that share their first week. Every
method treats each series on its own (its own baseline, fit and bound), so the block is cut into
partitions of ``partition_size`` series, run anywhere, and put back in order. Both engines cut
the same partitions and run the same code on them, so they store exactly the same signals
(``tests/surveillance/test_engines.py`` proves it on a ``LocalCluster``). Another partition size
gives the same alarms; Farrington's bounds may then differ in their last bits (about 1e-15
relative: the batched linear algebra sums in an order that depends on the batch's shape).
The cluster's workers need HealthBridge installed (same version): they import the kernels by
name; they never touch the database — the counts travel to them and the upper
bounds and alarms come back, the signals are stored here.

Dask (``dask.distributed``) is optional: ``pip install 'healthbridge[cluster]'``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from healthbridge.analytics.detection.methods import DetectionOutput
from healthbridge.errors import HealthBridgeError

ENGINES = ("local", "dask")
#: Series per task on a cluster: enough work per task to outweigh its scheduling (~1 ms).
DEFAULT_PARTITION_SIZE = 200


class Kernel(Protocol):
    def __call__(
        self,
        method: str,
        counts: NDArray[np.float64],
        *,
        monitor: NDArray[np.int64],
        dates: Sequence[dt.date],
    ) -> DetectionOutput: ...


@dataclass(frozen=True)
class KernelCall:
    """One method over one block of series: ``counts`` is (series, weeks)."""

    method: str
    counts: NDArray[np.float64]
    monitor: NDArray[np.int64]
    dates: Sequence[dt.date]


Progress = Callable[[int, int], None]


class EngineUnavailable(HealthBridgeError):
    """The chosen engine cannot run here (Dask missing, scheduler unreachable)."""

    status = 503
    slug = "engine-unavailable"


class Engine(Protocol):
    name: str

    def run(
        self, kernel: Kernel, calls: Sequence[KernelCall], progress: Progress | None = None
    ) -> list[DetectionOutput]:
        """Each call's output, in the order of ``calls``."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """The kernels in this process, over the same partitions of series as the Dask engine."""

    name = "local"

    def __init__(self, *, partition_size: int = DEFAULT_PARTITION_SIZE) -> None:
        if partition_size < 1:
            raise ValueError("partition_size must be at least 1")
        self.partition_size = partition_size

    def run(
        self, kernel: Kernel, calls: Sequence[KernelCall], progress: Progress | None = None
    ) -> list[DetectionOutput]:
        jobs = [
            (call, start, stop)
            for call in calls
            for start, stop in partitions(len(call.counts), self.partition_size)
        ]
        done = 0
        outputs = []
        for call in calls:
            parts = []
            for start, stop in partitions(len(call.counts), self.partition_size):
                parts.append(
                    kernel(
                        call.method, call.counts[start:stop], monitor=call.monitor, dates=call.dates
                    )
                )
                done += 1
                if progress is not None:
                    progress(done, len(jobs))
            outputs.append(combine(parts))
        return outputs

    def close(self) -> None:
        return None


def _run_partition(
    kernel: Kernel,
    method: str,
    counts: NDArray[np.float64],
    monitor: NDArray[np.int64],
    dates: Sequence[dt.date],
) -> DetectionOutput:
    """A task on a worker: the kernel over one partition of series."""
    return kernel(method, counts, monitor=monitor, dates=dates)


def partitions(rows: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` row ranges of at most ``size`` rows covering ``rows`` rows."""
    return [(start, min(start + size, rows)) for start in range(0, rows, size)]


def combine(parts: Sequence[DetectionOutput]) -> DetectionOutput:
    """Partitions' outputs put back together along the series axis, in order."""
    expected = None
    if parts[0].expected is not None:
        expected = np.concatenate([p.expected for p in parts if p.expected is not None], axis=0)
    return DetectionOutput(
        np.concatenate([p.upperbound for p in parts], axis=0),
        np.concatenate([p.alarm for p in parts], axis=0),
        expected,
    )


class DaskEngine:
    """The kernels as tasks of a Dask distributed cluster, ``partition_size`` series each.

    ``scheduler`` is the address of a running scheduler (``tcp://host:8786``); without one, a
    cluster of ``workers`` processes is started on this machine for the run.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        partition_size: int = DEFAULT_PARTITION_SIZE,
        workers: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        if partition_size < 1:
            raise ValueError("partition_size must be at least 1")
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise EngineUnavailable(
                "the Dask engine needs dask.distributed: pip install 'healthbridge[cluster]'"
            ) from None
        self.partition_size = partition_size
        self._cluster: Any = None
        try:
            if scheduler:
                self._client: Any = Client(scheduler, timeout=timeout)
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or max(1, os.cpu_count() or 1),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
                self._client = Client(self._cluster, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            where = scheduler or "a local cluster"
            raise EngineUnavailable(f"cannot reach the Dask scheduler at {where}: {exc}") from None

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return str(self._client.scheduler.address)

    def run(
        self, kernel: Kernel, calls: Sequence[KernelCall], progress: Progress | None = None
    ) -> list[DetectionOutput]:
        from distributed import as_completed

        owners: list[int] = []
        blocks: list[NDArray[np.float64]] = []
        for index, call in enumerate(calls):
            for start, stop in partitions(len(call.counts), self.partition_size):
                owners.append(index)
                blocks.append(call.counts[start:stop])
        # Scattered first: the counts go to the workers as data, not inside the task graph.
        scattered = self._client.scatter(blocks) if blocks else []
        jobs: list[tuple[int, Any]] = [
            (
                index,
                self._client.submit(
                    _run_partition,
                    kernel,
                    calls[index].method,
                    block,
                    calls[index].monitor,
                    list(calls[index].dates),
                    pure=False,
                ),
            )
            for index, block in zip(owners, scattered, strict=True)
        ]
        futures = [future for _, future in jobs]
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(done, len(futures))
        results = self._client.gather(futures)
        by_call: list[list[DetectionOutput]] = [[] for _ in calls]
        for (index, _), output in zip(jobs, results, strict=True):
            by_call[index].append(output)
        return [combine(parts) for parts in by_call]

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_engine(
    name: str,
    *,
    scheduler: str | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    workers: int | None = None,
) -> Engine:
    """The engine called ``name`` (:data:`ENGINES`)."""
    if name == "local":
        return LocalEngine(partition_size=partition_size)
    if name == "dask":
        return DaskEngine(scheduler, partition_size=partition_size, workers=workers)
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
