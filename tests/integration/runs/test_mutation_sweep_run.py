"""`testbots mutation` end to end on one pair: a real simnet with the switch on, a real verdict,
the pair judged killed (the whole sweep is `make mutation`, not part of the suite)."""

import subprocess
import sys
from pathlib import Path

import pytest

from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = str(Path(sys.executable).parent / "testbots")


def test_the_fee_leak_mutant_of_transfer_baseline_is_killed_by_its_invariants(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [
            TESTBOTS,
            "mutation",
            "--size",
            "smoke",
            "--scenario",
            "transfer_baseline",
            "--switch",
            "fee_leak",
            "--home",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=Path(__file__).parents[3],
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = done.stdout.splitlines()
    assert lines[0] == "1 mutants at size smoke: transfer_baseline/fee_leak"
    assert lines[1].startswith(
        "killed       transfer_baseline/fee_leak: killed by C6_invariants [FAIL, run "
    )
    assert lines[2].startswith("detection power: 1/1 pairs killed (100%), 1/34 simnet switches")

    (path,) = tmp_path.glob("runs/*/report.json")
    report = RunReport.read(path)
    assert report.switches == ("fee_leak",) and report.verdict == "FAIL"
    assert report.run_id in lines[1]
    c6 = next(c for c in report.criteria if c.id == "C6_invariants")
    # the evidence: the invariant route that broke, with its detail
    assert c6.evidence and all(e.series.startswith("inv ") for e in c6.evidence)
    assert any("fees/" in e.series for e in c6.evidence), c6.evidence
