"""`smoke_run`: `testbots run <scenario> --size smoke [--simnet-vuln SWITCH]` through the real
CLI, each (scenario, switch) run once per session in a home of its own.

The catalogue test judges every run (PASS on default simnet, FAIL on the criterion naming each
switch); a scenario's own test reads the same run for what only that scenario shows, so no
run is made twice.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from botruntime.runs.report import RunReport

REPO = Path(__file__).resolve().parents[3]
TESTBOTS = str(Path(sys.executable).parent / "testbots")
RUN_TIMEOUT_S = 300  # a smoke run is ~20 s; a busy machine may take many times that


@dataclass(frozen=True)
class SmokeRun:
    code: int
    report: RunReport | None
    output: str
    home: Path

    @property
    def run_dir(self) -> Path:
        assert self.report is not None, self.output
        return self.home / "runs" / self.report.run_id


SmokeRunner = Callable[..., SmokeRun]


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> SmokeRunner:
    made: dict[tuple[str, str | None], SmokeRun] = {}

    def run(scenario_id: str, switch: str | None = None) -> SmokeRun:
        key = (scenario_id, switch)
        if key not in made:
            home = tmp_path_factory.mktemp(f"{scenario_id}-{switch or 'healthy'}")
            vuln = ["--simnet-vuln", switch] if switch else []
            args = [TESTBOTS, "run", scenario_id, "--size", "smoke", *vuln, "--home", str(home)]
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=REPO
            )
            reports = sorted(home.glob("runs/*/report.json"))
            report = RunReport.read(reports[-1]) if reports else None
            made[key] = SmokeRun(done.returncode, report, done.stdout + done.stderr, home)
        return made[key]

    return run
