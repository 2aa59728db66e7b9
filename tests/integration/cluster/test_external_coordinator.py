"""`testbots run … --coordinator`: a run handed to a coordinator and workers that were started
apart from it, as deploy/'s manifests run them; the run ends with its verdict and leaves the
cluster as it found it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from botruntime.cluster import ControlClient
from botruntime.runs import RunReport

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
TESTBOTS = str(Path(sys.executable).parent / "testbots")


def _workers(cluster: Cluster, n: int) -> None:
    for i in range(n):
        cluster.workers.append(
            cluster._start(
                f"worker{i}",
                "worker",
                f"--coordinator={cluster.address}",
                "--capacity=100",
                f"--name=worker{i}",
                "--runner=scenario",
            )
        )


def _run(cluster: Cluster, home: Path, *args: str, token: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESTBOTS, "run", "replay_attack", "--size", "smoke", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "TESTBOTS_TOKEN": token},
    )


async def test_a_run_sent_to_a_running_cluster_passes_on_its_three_workers(
    cluster: Cluster, tmp_path: Path
) -> None:
    _workers(cluster, 3)
    async with ControlClient(cluster.address, cluster.token) as client:
        await client.wait_for_workers(3, timeout_s=30)
    token_file = tmp_path / "token"
    token_file.write_text(cluster.token + "\n")
    done = _run(
        cluster,
        tmp_path / "home",
        f"--coordinator={cluster.address}",
        f"--token-file={token_file}",
        "--workers=3",
        "--run-id=ext-1",
        token="",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    report = RunReport.read(tmp_path / "home" / "runs" / "ext-1" / "report.json")
    assert report.verdict == "PASS" and report.summary["intents"] > 0, output
    async with ControlClient(cluster.address, cluster.token) as client:
        view = await client.run_status("ext-1")
        cluster_view = await client.cluster()
    assert view.state == "completed" and len({p.worker_id for p in view.placements}) == 3
    # the coordinator and its workers are still there for the next run
    assert len(cluster_view.alive()) == 3 and cluster.coordinator is not None
    assert cluster.coordinator.alive()


def test_a_run_without_the_token_is_a_usage_error(cluster: Cluster, tmp_path: Path) -> None:
    done = _run(cluster, tmp_path, f"--coordinator={cluster.address}", token="")
    assert done.returncode == 2 and "TESTBOTS_TOKEN" in done.stderr
