"""A run's coordinator and workers started before Dagster loads (`python -m testbots_dagster`).

`make run` spends its first seconds importing Dagster and creating the run, and the run's
coordinator and worker processes take about as long to boot; `setup` used to start them only
after all that. `HeadStart.begin` starts them first, in a thread, for the run id the entry then
gives its Dagster run, so they boot while Dagster loads; that run's `setup` op adopts them
(`cluster_for`, and says so in its log) instead of starting its own. The run is the same: the
same processes, the same stages, stopped by `execute` as always.

A run launched from the UI gets an empty `HeadStart` (the code location's resource) and its
`setup` starts the cluster, as `testbots run` does. No Dagster in here: the entry imports this
before Dagster; and no runner until `begin`: the code location imports it too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botruntime.runs.runner import Stack

__all__ = ["COORDINATOR_ENV", "EMBEDDED_WORKERS", "HeadStart"]

# when set (HOST:PORT), runs go to that running coordinator: nothing to start ahead
COORDINATOR_ENV = "TESTBOTS_COORDINATOR"
EMBEDDED_WORKERS = 1  # worker processes of an embedded coordinator (CoordinatorResource's default)


class HeadStart:
    """The embedded cluster started ahead for one run, handed over once; empty by default."""

    def __init__(self, run_id: str = "", cluster: Future[Stack] | None = None) -> None:
        self._run_id = run_id
        self._cluster = cluster

    @classmethod
    @contextlib.contextmanager
    def begin(cls, run_id: str, home: Path) -> Iterator[HeadStart]:
        """Start run `run_id`'s coordinator and workers now (logs in its folder under `home`);
        when the block ends, stop them if the run did not (it failed before adopting them, or
        did not want them). Empty when runs go to an external coordinator (COORDINATOR_ENV)."""
        if os.environ.get(COORDINATOR_ENV):
            yield cls()
            return
        # imported here: the code location imports this module, and stays light without it
        from botruntime.runs.runner import Stack, start_cluster

        run_dir = home / "runs" / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(1, thread_name_prefix="head-start") as pool:
            cluster = pool.submit(start_cluster, Stack(), run_dir, EMBEDDED_WORKERS)
            try:
                yield cls(run_id, cluster)
            finally:
                # stopping is idempotent: a cluster the run adopted is stopped already, and
                # a cluster that failed to start stopped its own children
                with contextlib.suppress(Exception):
                    cluster.result().stop()

    def cluster_for(
        self, run_id: str, workers: int, metrics_listen: str | None
    ) -> Future[Stack] | None:
        """The cluster started ahead, for run `run_id` asking for an embedded coordinator with
        `workers` workers and no /metrics (what it was started as); None otherwise or once
        handed over (a run that does not take it starts its own; `begin` stops this one)."""
        fits = run_id == self._run_id and workers == EMBEDDED_WORKERS and metrics_listen is None
        cluster, self._cluster = (self._cluster, None) if fits else (None, self._cluster)
        return cluster
