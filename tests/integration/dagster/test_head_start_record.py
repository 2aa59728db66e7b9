"""The coordinator and worker `make run` starts ahead are in the run's record (stack.json) as
soon as they are up, before any setup adopts them: a `make run` killed in between leaves
processes `stop_stack` (the reaper) finds and stops."""

from pathlib import Path

import psutil
import pytest

from botruntime.runs import stop_stack
from botruntime.runs.runner import Stack
from testbots_dagster._head_start import EMBEDDED_WORKERS, HeadStart

pytestmark = pytest.mark.slow


def test_the_cluster_started_ahead_is_recorded_and_reapable(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "run-1"
    with HeadStart.begin("run-1", tmp_path) as head:
        cluster = head.cluster_for("run-1", EMBEDDED_WORKERS, None)
        assert cluster is not None
        started = cluster.result(timeout=120)
        recorded = Stack.load(run_dir)
        assert recorded is not None  # recorded before anything adopted it
        assert recorded.coordinator is not None and started.coordinator is not None
        assert recorded.coordinator.pid == started.coordinator.pid
        pids = [recorded.coordinator.pid, *(w.pid for w in recorded.workers)]
        assert len(pids) == 1 + EMBEDDED_WORKERS
        assert all(psutil.pid_exists(pid) for pid in pids)
        assert stop_stack(run_dir)  # what the reaper does for a run that died
        _, alive = psutil.wait_procs(
            [p for pid in pids if (p := _process(pid)) is not None], timeout=60
        )
        assert not alive, f"still running after the reaper: {alive}"


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
