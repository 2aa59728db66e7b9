"""A real network (here: a simnet given by URL, no control plane used) funds its bots from a
funder account with bank.multisend, within the scenario's spend cap, and the run is judged on
what public queries show."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from botruntime.identity import Identity
from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = str(Path(sys.executable).parent / "testbots")
FUNDER = Identity.from_seed(bytes(range(32)))


def _run(tmp_path: Path, target: str, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [
            TESTBOTS,
            "run",
            "transfer_baseline",
            "--size",
            "smoke",
            "--target",
            target,
            "--home",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
        cwd=Path(__file__).parents[3],
    )
    return done.returncode, done.stdout + done.stderr


def test_funder_pays_the_bots_and_the_run_is_judged(simnet: Any, tmp_path: Path) -> None:
    simnet.reset([(FUNDER.alpha_address, {"AX": 10**15, "DX": 10**15})])
    target = f"alpha={simnet.alpha_url(0)},alpha={simnet.alpha_url(1)},delta={simnet.delta_url(0)}"
    code, output = _run(tmp_path, target, {"TESTBOTS_FUNDER_SEED": bytes(range(32)).hex()})
    report = RunReport.read(next(tmp_path.glob("runs/*/report.json")))
    assert (code, report.verdict) == (0, "PASS"), output
    assert report.target == target and report.summary["ledger_mismatch"] == 0
    c6 = next(c for c in report.criteria if c.id.startswith("C6"))
    assert c6.status == "n/a"  # no invariant endpoint on a real network
    funder = simnet.control("GET", f"/accounts/{FUNDER.alpha_address}")  # control serves reads
    assert int(funder["balances"]["AX"]) < 10**15 - 20 * 10_000 * 10**6


def test_no_funder_key_is_a_usage_error(simnet: Any, tmp_path: Path) -> None:
    code, output = _run(tmp_path, f"alpha={simnet.alpha_url(0)}", {"TESTBOTS_FUNDER_SEED": ""})
    assert code == 2 and "TESTBOTS_FUNDER_SEED" in output and "Traceback" not in output
