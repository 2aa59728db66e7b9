"""DESIGN §8 on a real network (here: a simnet given by URL, its control plane unused): an
adversarial scenario is refused until the target is flagged for it, before any bot is funded;
flagged, it runs within its caps and is judged on what public queries show."""

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
FUNDER = Identity.from_seed(bytes(range(1, 33)))
FUNDS = 10**15


def _run(tmp_path: Path, target: str, *extra: str) -> tuple[int, str]:
    done = subprocess.run(
        [
            *(TESTBOTS, "run", "malformed_fuzz", "--size", "smoke", "--target", target),
            *("--home", str(tmp_path), *extra),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "TESTBOTS_FUNDER_SEED": bytes(range(1, 33)).hex()},
        cwd=Path(__file__).parents[3],
    )
    return done.returncode, done.stdout + done.stderr


def _target(simnet: Any) -> str:
    return f"alpha={simnet.alpha_url(0)},alpha={simnet.alpha_url(1)},delta={simnet.delta_url(0)}"


def _funder_ax(simnet: Any) -> int:
    return int(simnet.control("GET", f"/accounts/{FUNDER.alpha_address}")["balances"]["AX"])


def test_an_unflagged_real_network_is_refused_before_any_bot_is_funded(
    simnet: Any, tmp_path: Path
) -> None:
    simnet.reset([(FUNDER.alpha_address, {"AX": FUNDS}), (FUNDER.delta_address, {"DX": FUNDS})])
    code, output = _run(tmp_path, _target(simnet))
    assert code == 2, output
    assert "adversarial" in output and "--allow-adversarial" in output, output
    assert "Traceback" not in output
    assert _funder_ax(simnet) == FUNDS  # refused at the guard: nothing was paid out


def test_a_flagged_real_network_takes_the_fuzzers_and_is_judged(
    simnet: Any, tmp_path: Path
) -> None:
    simnet.reset([(FUNDER.alpha_address, {"AX": FUNDS}), (FUNDER.delta_address, {"DX": FUNDS})])
    target = _target(simnet)
    code, output = _run(tmp_path, target, "--allow-adversarial")
    report = RunReport.read(next(tmp_path.glob("runs/*/report.json")))
    assert (code, report.verdict) == (0, "PASS"), output
    assert report.target == target  # the flag is not part of what baselines key on
    outcome = {c.id: c.status for c in report.criteria}
    assert outcome["C1_no_malformed_accepted"] == "pass"
    assert outcome["C3_no_state_change"] == "pass"  # read from the chain's accounts
    assert outcome["C3_invariants"] == "n/a"  # no invariant endpoint on a real network
    assert report.figures["cases_sent"] > 100
    assert _funder_ax(simnet) < FUNDS  # the bots were funded by the funder, within the caps
