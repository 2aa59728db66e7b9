"""`testbots run replay_attack` end to end: the real CLI, a real simnet child process.

On default simnet every replay is refused with a code the replayer role expects and nothing
commits twice, bridge claims included. That the run PASSes, and that each switch removing one
replay defence makes it FAIL on the criterion naming it, is the catalogue test's
(test_scenario_catalogue.py) on the same runs. The smoke size (replays from 2 s to 9 s at
20/s, node v1 restarted at 5 s) keeps each run near 15 s.
"""

from collections.abc import Callable
from typing import Any

import pytest

from botruntime.runs.report import RunReport

SmokeRunner = Callable[..., Any]  # conftest.smoke_run -> SmokeRun

pytestmark = pytest.mark.slow


def _status(report: RunReport) -> dict[str, str]:
    return {c.id.split("_")[0]: c.status for c in report.criteria}


def test_replays_are_refused_as_expected_on_default_simnet(smoke_run: SmokeRunner) -> None:
    """The catalogue test judges the verdict and each switch; this one reads how simnet
    refused the replays."""
    run = smoke_run("replay_attack")
    report = run.report
    assert report is not None and report.verdict == "PASS", run.output
    status = _status(report)
    assert status["C1"] == status["C2"] == status["C3"] == "pass", run.output
    codes = report.errors_by_code
    # (a), (b), (f) and encoding-only (d) copies are the same tx: duplicate_tx
    assert codes.get("duplicate_tx", 0) > 30, codes
    # (c) another chain's tx and (d) a changed amount are refused before any nonce check
    assert codes.get("wrong_chain", 0) > 0 and codes.get("invalid_amount", 0) > 0, codes
    # (e) a committed claim's attestation again: the claim registry refuses it
    assert codes.get("already_claimed", 0) > 0, codes
    assert report.figures["claims_replayed"] > 5 and report.figures["claims_credited_twice"] == 0
    assert report.summary["commits"] > 40  # the victims kept paying each other
    assert report.figures["replays_sent"] > 100 and report.figures["replays_effective"] == 0
