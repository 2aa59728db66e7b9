"""A scenario whose only role is a closed loop runs end to end through `testbots run`.

The scenario is transfer_baseline's shape with one human-paced role: 10 sessions that read a
balance or pay a peer, then think ~0.5 s. A closed loop has no arrival plan, so the criteria
kept are the ones that hold whatever the throughput: nothing lost (C4), an exact ledger (C5),
the chain's invariants (C6). The gates are the standard five; G1's offered ratio is over the
open-loop roles, so a closed loop (which sets no rate) never fails it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow

TESTBOTS = str(Path(sys.executable).parent / "testbots")
REPO = Path(__file__).parents[3]


@dataclass(frozen=True)
class ClosedRun:
    exit_code: int
    output: str
    report: dict[str, Any]

    def status(self, judged_id: str) -> str:
        return next(c["status"] for c in self.report["criteria"] if c["id"] == judged_id)


def _closed_loop_scenario() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(
        (REPO / "scenarios" / "transfer_baseline.yaml").read_text()
    )
    doc["id"] = "closed_browsing"
    doc["description"] = "Human-paced sessions that read a balance or pay a peer, then think."
    doc["roles"] = [
        {
            "name": "browser",
            "group": "legitimate",
            "description": "reads its balance or pays a peer, then thinks",
            "share": 1,
            "behaviours": {"get_balance": 1, "send_ax": 1},
            "max_in_flight_per_bot": 1,
        }
    ]
    closed = {
        "kind": "closed",
        "sessions": 10,
        "think_time": {"distribution": "exponential", "mean_s": 0.5},
        "seconds": 6,
        "drain_s": 3,
    }
    doc["sizes"] = {
        "smoke": {
            "description": "10 sessions for 6 s",
            "bots": 20,
            "enforce_statistical": False,
            "load": {"browser": closed},
        },
        "default": {"description": "10 sessions for 6 s", "bots": 20, "load": {"browser": closed}},
    }
    kept = ("C4_", "C5_", "C6_")
    doc["verdict"]["criteria"] = [c for c in doc["verdict"]["criteria"] if c["id"].startswith(kept)]
    return doc


@pytest.fixture(scope="module")
def closed_run(tmp_path_factory: pytest.TempPathFactory) -> ClosedRun:
    """One smoke run of the scenario behind a coordinator and one worker process."""
    where = tmp_path_factory.mktemp("closed_loop")
    scenario = where / "closed_browsing.yaml"
    scenario.write_text(yaml.safe_dump(_closed_loop_scenario(), sort_keys=False))
    home = where / "home"
    done = subprocess.run(
        [TESTBOTS, "run", str(scenario), "--size", "smoke", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        # wide enough that the console never wraps the 'report:' line
        env={**os.environ, "TESTBOTS_HOME": str(home), "COLUMNS": "1000"},
    )
    output = done.stdout + done.stderr
    found = re.search(r"report: (\S+)/report\.json", done.stdout)
    assert found is not None, output
    run_id = Path(found.group(1)).name
    report = json.loads((home / "runs" / run_id / "report.json").read_text())
    return ClosedRun(done.returncode, output, report)


def test_the_closed_role_acts_and_its_ledger_is_exact(closed_run: ClosedRun) -> None:
    summary = closed_run.report["summary"]
    assert summary["intents"] > 0, closed_run.output  # the only role: these are its intents
    assert summary["commits"] > 0 and summary["dropped"] == 0, closed_run.output
    for judged_id in ("G2", "G3", "G4", "G5", "C4_completeness", "C5_ledger_exact"):
        assert closed_run.status(judged_id) == "pass", closed_run.output
    assert closed_run.status("C6_invariants") == "pass", closed_run.output


def test_a_closed_loop_run_passes(closed_run: ClosedRun) -> None:
    assert closed_run.status("G1") == "pass", closed_run.output
    assert (closed_run.exit_code, closed_run.report["verdict"]) == (0, "PASS"), closed_run.output
