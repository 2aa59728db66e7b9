"""`testbots run sandwich_mev --workers 3` end to end: a real simnet, a real coordinator and
three real worker processes. Placement keeps every sandwich crew (watcher, front- and
back-runner) on one worker, and with the mempool's bodies public (`mempool_view_full`) the
crews on all three workers act: each watcher names victims, and its own runners, reached over
their worker's bus, bracket them; the profit read from chain balances fails C2.

What the generic catalogue test cannot show: where the crews ran, and that each one acted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from botruntime.metrics import RunMetrics
from botruntime.plan import PlanSource, compile_plan, parse_target
from botruntime.runs._metrics_file import read_metrics
from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = [str(Path(sys.executable).parent / "testbots")]
REPO = Path(__file__).parents[3]
_ASSIGNED = re.compile(r"assignment \S+: bots (\d+)\.\.(\d+),")


def _run(home: Path) -> tuple[int, RunReport, str]:
    args = ["run", "sandwich_mev", "--size", "smoke", "--workers", "3"]
    done = subprocess.run(
        [*TESTBOTS, *args, "--simnet-vuln", "mempool_view_full", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    output = done.stdout + done.stderr
    reports = sorted(home.glob("runs/*/report.json"))
    assert reports, output
    return done.returncode, RunReport.read(reports[-1]), output


def _counted(metrics: RunMetrics, name: str, crew: int) -> int:
    return metrics.count(name, {"crew": str(crew)})


def test_crews_on_three_workers_each_act_over_their_own_bus(tmp_path: Path) -> None:
    _, report, output = _run(tmp_path)
    # the crews' profit, read from chain balances: brackets over the public mempool earn;
    # whether it passes the bound is judged at the default size (C2 is statistical)
    assert report.verdict != "INCONCLUSIVE", output
    profit = report.figures["crew_profit_dx"]
    assert profit is not None and profit > 0, output

    plan = compile_plan(
        PlanSource(
            (REPO / "scenarios" / "sandwich_mev.yaml").read_text(),
            "smoke",
            "",
            parse_target("simnet"),
            "check",
        )
    )
    (crew,) = plan.crews
    run_dir = next(tmp_path.glob("runs/*"))
    crews_on: dict[str, set[int]] = {}
    for log in sorted(run_dir.glob("worker-*.log")):
        for first, last in _ASSIGNED.findall(log.read_text()):
            held = range(int(first), int(last) + 1)
            numbers = {crew.crew_of(bot) for bot in held} - {None}
            # a worker holding any member of a crew holds every member: watcher with runners
            for number in numbers:
                assert number is not None
                assert all(crew.member(number, role) in held for role in crew.roles)
            crews_on.setdefault(log.stem, set()).update(n for n in numbers if n is not None)
    assert len(crews_on) == 3 and all(len(n) == 1 for n in crews_on.values()), crews_on
    assert set().union(*crews_on.values()) == {0, 1, 2}

    metrics = read_metrics(run_dir / "metrics.bin")
    for number in range(3):  # every crew: its watcher named victims, its runners acted on them
        assert _counted(metrics, "adv.sandwich_candidates", number) > 0, number
        assert _counted(metrics, "adv.front_runs", number) > 0, number
        assert _counted(metrics, "adv.back_runs", number) > 0, number
