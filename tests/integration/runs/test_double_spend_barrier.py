"""`testbots run double_spend_race --workers 2` end to end: a real simnet, a real coordinator
and two real worker processes. The spenders of a round sit on both workers, which never talk
to each other; the round's release is one instant of the plan, which both reach through the
run's shared start time. Each process's spenders go out within the 5 ms skew bound of that
instant (their median: one busy 2-core machine may stall a process now and then, and the
tail is the W1 criterion's at the default size), so the two processes release together.

What the generic catalogue test cannot show: spenders on two processes, released together.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from botruntime.runs._metrics_file import read_metrics
from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = [str(Path(sys.executable).parent / "testbots")]
REPO = Path(__file__).parents[3]
SKEW_S = 0.005
_ASSIGNED = re.compile(r"assignment \S+: bots (\d+)\.\.(\d+),")


def test_spenders_on_two_worker_processes_are_released_together(tmp_path: Path) -> None:
    args = ["run", "double_spend_race", "--size", "smoke", "--workers", "2"]
    done = subprocess.run(
        [*TESTBOTS, *args, "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    output = done.stdout + done.stderr
    reports = sorted(tmp_path.glob("runs/*/report.json"))
    assert reports, output
    report = RunReport.read(reports[-1])
    assert report.verdict != "INCONCLUSIVE", output
    run_dir = reports[-1].parent

    # both workers hold spenders (the plan's first 104 bots at smoke)
    held = [
        range(int(first), int(last) + 1)
        for log in sorted(run_dir.glob("worker-*.log"))
        for first, last in _ASSIGNED.findall(log.read_text())
    ]
    assert len(held) == 2 and all(bots.start < 104 for bots in held), held

    metrics = read_metrics(run_dir / "metrics.bin")
    processes = {dict(key.labels)["process"] for key in metrics.keys("adv.release_lag_s")}
    assert len(processes) == 2, processes  # every lag sample names the process that fired
    fired = metrics.count("adv.sets_fired")
    assert fired == 80, output
    medians = {}
    for process in processes:
        lags = metrics.quantiles_s("adv.release_lag_s", {"process": process}, (0.5, 1.0))
        assert metrics.count("adv.release_lag_s", {"process": process}) > 0
        medians[process] = lags[0.5]
        print(f"process {process}: median {lags[0.5] * 1e3:.2f} ms, max {lags[1.0] * 1e3:.2f} ms")
    assert sum(metrics.count("adv.release_lag_s", {"process": p}) for p in processes) == fired
    assert all(median <= SKEW_S for median in medians.values()), medians
