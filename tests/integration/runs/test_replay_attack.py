"""`testbots run replay_attack` end to end: the real CLI, a real simnet child process.

On default simnet every replay is refused with a code the replayer role expects and nothing
commits twice (PASS); each switch that removes one replay defence makes the run FAIL on the
criterion that names it (SCENARIOS.md A1, §1.5). The smoke size (replays from 2 s to 9 s at
20/s, node v1 restarted at 5 s) keeps each run near 15 s.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = [str(Path(sys.executable).parent / "testbots")]


def _run(tmp_path: Path, *args: str) -> tuple[int, RunReport, str]:
    done = subprocess.run(
        [*TESTBOTS, "run", "replay_attack", "--size", "smoke", *args, "--home", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[3],
    )
    output = done.stdout + done.stderr
    reports = sorted(tmp_path.glob("runs/*/report.json"))
    assert reports, output
    return done.returncode, RunReport.read(reports[-1]), output


def _status(report: RunReport) -> dict[str, str]:
    return {c.id.split("_")[0]: c.status for c in report.criteria}


def test_replays_are_refused_as_expected_on_default_simnet(tmp_path: Path) -> None:
    code, report, output = _run(tmp_path)
    assert (code, report.verdict) == (0, "PASS"), output
    status = _status(report)
    assert status["C1"] == status["C2"] == status["C3"] == "pass", output
    codes = report.errors_by_code
    # (a), (b), (f) and encoding-only (d) copies are the same tx: duplicate_tx
    assert codes.get("duplicate_tx", 0) > 30, codes
    # (c) another chain's tx and (d) a changed amount are refused before any nonce check
    assert codes.get("wrong_chain", 0) > 0 and codes.get("invalid_amount", 0) > 0, codes
    assert report.summary["ledger_mismatch"] == 0
    assert report.summary["commits"] > 40  # the victims kept paying each other


@pytest.mark.parametrize(
    ("switch", "killed"),
    [
        ("nonce_not_enforced", "C1"),  # (a), (f): committed bytes commit again
        ("chain_id_unsigned", "C1"),  # (c): Alpha bytes take effect on Delta and back
        ("noncanonical_hash", "C3"),  # a tx commits under the hash of its submitted bytes
    ],
)
def test_each_replay_defence_removed_fails_its_criterion(
    tmp_path: Path, switch: str, killed: str
) -> None:
    code, report, output = _run(tmp_path, "--simnet-vuln", switch)
    assert (code, report.verdict) == (1, "FAIL"), output
    assert report.switches == (switch,)
    failed = next(c for c in report.criteria if c.id.startswith(killed))
    assert failed.status == "fail" and switch in failed.kills, output
    assert failed.value is not None and failed.value > 0, failed.explanation
