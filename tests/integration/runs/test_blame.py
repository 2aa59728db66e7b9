"""Who is blamed: a network that stalls FAILs, a generator that stalls is INCONCLUSIVE.

Two runs of transfer_baseline at its default size (100 bots, 50 intents/s, hold from 5 s to
55 s) on a real simnet child process, a coordinator and one worker process, each with a 5 s
stall in the middle of the hold (SCENARIOS.md §1.4):

- the network's: simnet's block clock paused from 25 s to 30 s by a `script:` step of a copy
  of the scenario. Every bot waits for its tx to commit, so later intents are blocked by the
  network, not dropped by the generator: the verdict is FAIL on the latency criterion, the
  commit p99 shows the stall, and once blocks resume nothing is lost and the ledger is exact;
- the tool's: the worker's own event loop blocked from 25 s to 30 s by its test hook
  (TESTBOTS_TEST_BLOCK_LOOP_AT_S). The generator cannot fire the intents due meanwhile: the
  verdict is INCONCLUSIVE, on gates only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
TESTBOTS = str(Path(sys.executable).parent / "testbots")
STALL_AT_S, STALL_S = 25.0, 5.0


def _run(
    tmp_path: Path, scenario: Path | str, env: dict[str, str] | None = None
) -> tuple[int, RunReport, str]:
    done = subprocess.run(
        [TESTBOTS, "run", str(scenario), "--size", "default", "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    output = done.stdout + done.stderr
    reports = sorted((tmp_path / "home").glob("runs/*/report.json"))
    assert reports, output
    return done.returncode, RunReport.read(reports[-1]), output


def _effects(report: RunReport) -> dict[str, str]:
    return {c.id: c.status for c in report.criteria}


def test_a_block_clock_paused_5_s_in_the_hold_fails_on_latency_and_loses_nothing(
    tmp_path: Path,
) -> None:
    document = yaml.safe_load((REPO / "scenarios" / "transfer_baseline.yaml").read_text("utf-8"))
    document["sizes"]["default"]["script"] = [
        {"at_s": STALL_AT_S, "adnet": ["clock", "--pause"]},
        {"at_s": STALL_AT_S + STALL_S, "adnet": ["clock", "--resume"]},
    ]
    paused = tmp_path / "transfer_baseline_paused.yaml"
    paused.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    code, report, output = _run(tmp_path, paused)
    summary, effects = report.summary, _effects(report)
    assert (code, report.verdict) == (1, "FAIL"), output
    # the experiment was sound: every gate holds, nothing is blamed on the generator
    assert [effects[g] for g in ("G1", "G2", "G3", "G4", "G5")] == ["pass"] * 5, output
    assert summary["dropped"] == 0, summary
    # the network is: its latency criterion fails, the intents it held back were blocked
    assert effects["C2_commit_latency"] == "fail", output
    assert summary["blocked"] > 0, summary
    # the commit p99 covers the stall: the txs sent as the clock stopped waited it out
    assert summary["p99_commit_ms"] >= 0.8 * STALL_S * 1000, summary
    assert summary["max_commit_ms"] >= STALL_S * 1000, summary
    # nothing lost, the ledger exact and the invariants whole once blocks resume
    assert summary["n_lost"] == 0 and summary["ledger_mismatch"] == 0, summary
    for exact in ("C4_completeness", "C5_ledger_exact", "C6_invariants"):
        assert effects[exact] == "pass", output


def test_a_worker_loop_blocked_5_s_in_the_hold_is_inconclusive(tmp_path: Path) -> None:
    """A worker silent for 5 s is also one the coordinator judges lost (lost_after_s = 5 s),
    and transfer_baseline's on_worker_loss is fail: the run is aborted. Either way the
    generator did not offer its hold stage (G1), and the network is not blamed."""
    code, report, output = _run(
        tmp_path,
        "transfer_baseline",
        env={"TESTBOTS_TEST_BLOCK_LOOP_AT_S": f"{STALL_AT_S:g},{STALL_S:g}"},
    )
    summary, effects = report.summary, _effects(report)
    assert (code, report.verdict) == (3, "INCONCLUSIVE"), output
    assert effects["G1"] == "fail", output  # the generator did not keep up in the hold stage
    assert {g for g in ("G2", "G4", "G5") if effects[g] != "pass"} == set(), output
    # the network did its part: it kept producing blocks and never pushed back
    assert (effects["S1"], effects["S2"]) == ("pass", "pass"), output
    assert summary["blocked"] == 0, summary
