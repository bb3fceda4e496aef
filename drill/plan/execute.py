"""Where a plan's points run: this process, a pool of local processes, or a Dask cluster.

Each point is a pure function of its job (its seed included), so the answer is
the same whatever the executor and however many workers: results are put back
in point order, never in completion order.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sim.plan.points import PointJob
from sim.plan.result import PointResult

from .point import run_point

__all__ = ["ClusterError", "Outcome", "run_points"]

#: a point's result, or why it failed (the traceback's last line; the rest goes to its directory)
Outcome = PointResult | str
#: seconds to reach a Dask scheduler before giving up with a clear error
CONNECT_TIMEOUT_S = 10


class ClusterError(RuntimeError):
    """The Dask scheduler could not be reached or used."""


def guarded(job: PointJob) -> Outcome:
    """``run_point`` with its failure kept as text: one broken point must not lose the others."""
    try:
        return run_point(job)
    except Exception as exc:   # a bug in one point: reported in the table, the sweep goes on
        out = Path(job.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "point-error.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return f"{type(exc).__name__}: {exc}"


def run_points(jobs: Sequence[PointJob], workers: int, cluster: str | None,
               done: Callable[[Outcome], None]) -> list[Outcome]:
    """Every job's outcome, in job order; ``done`` is called as each completes (for the progress bar)."""
    if cluster is not None:
        return _dask(jobs, cluster, done)
    if workers <= 1 or len(jobs) <= 1:
        out: list[Outcome] = []
        for job in jobs:
            out.append(guarded(job))
            done(out[-1])
        return out
    results: dict[int, Outcome] = {}
    # spawn: a clean interpreter per worker, whatever threads this process has started
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(guarded, job): i for i, job in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done(results[futures[future]])
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    return [results[i] for i in range(len(jobs))]


def _dask(jobs: Sequence[PointJob], address: str, done: Callable[[Outcome], None]) -> list[Outcome]:
    try:
        # lazy: distributed is optional, for --cluster alone; untyped, so reached through Any rather than
        # silenced call by call
        dask: Any = importlib.import_module("distributed")
    except ImportError:
        raise ClusterError("--cluster needs the 'distributed' package (pip install dask distributed)") from None
    try:
        client = dask.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    results: dict[int, Outcome] = {}
    try:
        futures = client.map(guarded, list(jobs), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in dask.as_completed(futures):
                results[index[future.key]] = future.result()
                done(results[index[future.key]])
        except KeyboardInterrupt:
            client.cancel(futures)
            raise
    finally:
        client.close()
    return [results[i] for i in range(len(jobs))]
