"""`scenario_transfer_baseline` for real, in process: embedded simnet, fleet, store, checks.

Smoke size (10 s of load + 5 s drain) keeps each run near 15 s on the 2-core machine.
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psutil
import pytest

from botruntime.scenario import load_scenario
from testbots_dagster.definitions import build_definitions
from testbots_dagster.results_store import ResultsStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
KEY = dg.AssetKey(["scenarios", "transfer_baseline"])
SMOKE = {"ops": {"scenarios__transfer_baseline": {"config": {"size": "smoke"}}}}


def test_two_smoke_runs_materialize_store_and_compare(
    home: Path, instance: dg.DagsterInstance
) -> None:
    job = build_definitions(REPO / "scenarios").resolve_job_def("scenario_transfer_baseline")

    first = job.execute_in_process(instance=instance, run_config=SMOKE)
    assert first.success
    (materialized,) = first.get_asset_materialization_events()
    metadata = {k: v.value for k, v in materialized.materialization.metadata.items()}
    assert metadata["run_id"] == first.run_id and metadata["verdict"] == "PASS"
    assert metadata["size"] == "smoke" and metadata["switches"] == "none"
    assert metadata["achieved_rate_per_s"] > 10  # smoke offers 20 intents/s
    assert 0 < metadata["p50_submit_ms"] <= metadata["p99_submit_ms"]
    assert 0 < metadata["p99_commit_ms"] < 2500
    assert metadata["error_rate"] == 0 and metadata["ledger_mismatch"] == 0
    assert "| C4_completeness | hard | pass |" in metadata["summary"]
    html = Path(str(metadata["html_report"]))
    assert html.parent == home / "runs" / first.run_id and html.read_text().count("<svg") == 2
    assert _checks(first) == {
        "slo": True,
        "validity": True,
        "regression": True,
        "detects_vulnerability": True,
    }

    with ResultsStore.at_home(home) as store:
        stored = store.get(first.run_id)
    assert stored.verdict == "PASS" and stored.size == "smoke" and stored.target == "simnet"
    assert (
        stored.scenario_hash
        == load_scenario(REPO / "scenarios/transfer_baseline.yaml").content_hash
    )
    assert len(stored.series) >= 10 and stored.histograms

    second = job.execute_in_process(instance=instance, run_config=SMOKE)
    assert second.success
    (regression,) = [
        e for e in second.get_asset_check_evaluations() if e.check_name == "regression"
    ]
    compared = {k: v.value for k, v in regression.metadata.items()}
    assert compared["baseline_runs"] == 1
    assert compared["p99_commit_ms_baseline"] == metadata["p99_commit_ms"]
    assert len(instance.fetch_materializations(KEY, limit=10).records) == 2
    with ResultsStore.at_home(home) as store:
        assert [r.run_id for r in store.history("transfer_baseline")] == [
            second.run_id,
            first.run_id,
        ]


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


# Runs the job in its own process, so the test can interrupt it as a run termination does.
RUN_JOB = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import dagster as dg
    from testbots_dagster.definitions import build_definitions

    job = build_definitions(Path(sys.argv[1])).resolve_job_def("scenario_transfer_baseline")
    with dg.instance_for_test(temp_dir=sys.argv[2]) as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=json.loads(sys.argv[3])
        )
        status = instance.get_run_by_id(result.run_id).status.value
    print("RESULT " + json.dumps({"status": status, "run_id": result.run_id}), flush=True)
    """
)


@pytest.fixture
def running_job(tmp_path: Path, home: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    (tmp_path / "dagster").mkdir()
    log = tmp_path / "job.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                RUN_JOB,
                str(REPO / "scenarios"),
                str(tmp_path / "dagster"),
                json.dumps(SMOKE),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )
    children: list[psutil.Process] = []
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            children = psutil.Process(proc.pid).children(recursive=True)
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        for child in children:
            if child.is_running():
                child.kill()


def test_terminating_the_run_stops_every_bot_within_2_s(
    running_job: tuple[subprocess.Popen[bytes], Path], home: Path
) -> None:
    proc, log = running_job
    deadline = time.monotonic() + 90
    while "achieved" not in log.read_text(errors="replace"):  # bots are sending
        assert proc.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "no progress line in 90 s"
        time.sleep(0.2)
    simnet = [
        p
        for p in psutil.Process(proc.pid).children(recursive=True)
        if "simnet" in " ".join(p.cmdline())
    ]
    assert len(simnet) == 1

    os.kill(proc.pid, signal.SIGINT)  # what a Dagster run termination delivers to the run
    proc.wait(timeout=60)
    text = log.read_text(errors="replace")
    stopped = re.search(r"run terminated: every bot stopped ([0-9.]+) s after", text)
    assert stopped is not None, text
    assert float(stopped.group(1)) < 2.0
    assert not simnet[0].is_running()  # the resource's teardown closed the run
    result = json.loads(text.split("RESULT ", 1)[1].splitlines()[0])
    assert result["status"] == "FAILURE"
    with ResultsStore.at_home(home) as store:
        assert store.count() == 0  # an interrupted run is never stored
