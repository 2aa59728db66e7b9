"""The scenario job on Dagster's multiprocess executor: every op in a process of its own, so
the ops can share only values (the plan, the run handle, the execution) and the processes the
run started; then `report` alone is re-executed from the finished run."""

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import psutil
import pytest

from testbots_dagster.results_store import ResultsStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
NODE = "scenarios__transfer_baseline"
CONFIG = {
    "ops": {NODE: {"config": {"size": "smoke"}}},
    "execution": {"config": {"multiprocess": {}}},
}


def _job() -> Any:  # Dagster's ReconstructableJob (not exported)
    return dg.build_reconstructable_job(
        "_scenario_jobs",
        "scenario_job",
        reconstructable_args=(str(REPO / "scenarios"), "transfer_baseline"),
        reconstructor_working_directory=str(Path(__file__).parent),
    )


def _started_since(when: float, home: Path) -> list[str]:
    """simnet, coordinator and worker processes this run started (after `when`, with its
    TESTBOTS_HOME) still running; others' runs on a shared machine do not count."""
    found = []
    for proc in psutil.process_iter(["cmdline", "create_time"]):
        line = " ".join(proc.info["cmdline"] or [])
        kinds = ("-m simnet", "testbots coordinator", "testbots worker")
        if proc.info["create_time"] < when or not any(k in line for k in kinds):
            continue
        try:
            ours = proc.environ().get("TESTBOTS_HOME") == str(home)
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
        if ours:
            found.append(line)
    return found


def _step_pids(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    return {e.step_key or "": e.dagster_event.pid or 0 for e in events if e.dagster_event}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Scraper(threading.Thread):
    """Keeps the last /metrics page at `url` that shows intents, until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(name="scraper", daemon=True)
        self.url = url
        self.page = ""
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while not self.done.is_set():
                try:
                    page = http.get(self.url).text
                except httpx.HTTPError:
                    page = ""  # the run's coordinator is not up, or gone
                if "testbots_intents_total{" in page:
                    self.page = page
                self.done.wait(0.2)


def test_each_op_in_its_own_process_and_report_reexecuted(
    home: Path, instance: dg.DagsterInstance, promtool: Callable[[str], str]
) -> None:
    started = time.time()
    listen = f"127.0.0.1:{_free_port()}"
    config = {**CONFIG, "resources": {"coordinator": {"config": {"metrics_listen": listen}}}}
    scraper = _Scraper(f"http://{listen}/metrics")
    scraper.start()
    try:
        with dg.execute_job(_job(), instance=instance, run_config=config) as first:
            assert first.success
            run_id = first.run_id
    finally:
        scraper.done.set()
        scraper.join()
    # the run's coordinator served its /metrics while the ops ran, clean for promtool
    assert scraper.page and promtool(scraper.page) == ""
    pids = _step_pids(instance, run_id)
    ops = [f"{NODE}.{op}" for op in ("setup", "distribute", "execute", "report")]
    assert set(ops) <= set(pids) and len({pids[op] for op in ops}) == 4
    with ResultsStore.at_home(home) as store:
        assert store.get(run_id).verdict == "PASS"
    assert _started_since(started, home) == []  # nothing the run started outlives it

    again = dg.ReexecutionOptions(parent_run_id=run_id, step_selection=[f"{NODE}.report"])
    with dg.execute_job(_job(), instance=instance, reexecution_options=again) as second:
        assert second.success
        (materialized,) = second.get_asset_materialization_events()
    metadata = materialized.materialization.metadata
    assert metadata["run_id"].value == run_id and metadata["verdict"].value == "PASS"
    with ResultsStore.at_home(home) as store:
        assert store.count() == 1
