"""One worker is many clients: each bot carries its own `X-Client-Id` (DESIGN §5).

simnet's default limits are per client and per node (SCENARIOS.md §1.6: 100 tx/s, burst 200).
1,000 bots at 450 signed transfers/s over 4 nodes is ~112 tx/s per node. One id per worker
spends its burst after 200 / 12.5 = 16 s, so the hold lasts 30 s (with one id per worker this
run got 311 `rate_limited` answers; a 10 s hold got none, which proves nothing). One id per bot
(0.45 tx/s each) is never limited.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

TESTBOTS = str(Path(sys.executable).parent / "testbots")
RATE_PER_S = 450
HOLD_S = 30
BOTS = 1_000

SCENARIO = f"""\
id: many_clients_one_worker
description: {BOTS} bots in one worker send {RATE_PER_S} AX transfers/s, each as its own client
target:
  chains: [alpha-simnet-*]
seed: 1101
roles:
  - name: general_user
    group: legitimate
    behaviours: {{send_ax: 1}}
    max_in_flight_per_bot: 1
sizes:
  default:
    bots: {BOTS}
    load:
      general_user:
        kind: ramping
        stages:
          - {{kind: hold, seconds: {HOLD_S}, rate_per_s: {RATE_PER_S}}}
          - {{kind: drain, seconds: 5}}
verdict:
  criteria:
    - id: C1_no_rate_limit
      expr: "n.reject{{code=rate_limited}} == 0"
      severity: hard
limits:
  max_rate_per_s: 2000
  max_bots: 5000
  max_spend_per_bot: {{AX: 10000000000}}
  max_spend_total: {{AX: 20000000000000}}
simnet:
  block_time_s: 1.0
"""


def test_one_worker_driving_1000_bots_at_450_tx_per_s_is_never_rate_limited(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "many_clients_one_worker.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    home = tmp_path / "home"
    done = subprocess.run(
        [TESTBOTS, "run", str(scenario), "--workers", "1", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).parents[3],
    )
    output = done.stdout + done.stderr
    reports = sorted(home.glob("runs/*/report.json"))
    assert reports, output
    report = RunReport.read(reports[-1])
    assert report.errors_by_code.get("rate_limited", 0) == 0, report.errors_by_code
    assert next(c for c in report.criteria if c.id == "C1_no_rate_limit").status == "pass"
    # the load was really offered and carried: nothing silently skipped, nearly all committed
    planned = RATE_PER_S * HOLD_S
    summary = report.summary
    assert summary["intents"] + summary["dropped"] + summary["blocked_abandoned"] == planned, output
    assert report.summary["dropped"] <= 0.01 * planned, report.summary
    assert report.summary["commits"] >= 0.95 * planned, report.summary
