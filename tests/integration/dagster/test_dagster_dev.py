"""A real `dagster dev` on a free loopback port: launch the scenario job through GraphQL, as the
Launchpad does, read its materialization and check results back the same way, and look at the
asset's page in headless Chromium (the screenshot is kept in .testbots/test-artifacts/)."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml
from browser_page import open_page

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
DAGSTER = Path(sys.executable).parent / "dagster"
JOB = {
    "repositoryLocationName": "testbots",
    "repositoryName": "__repository__",
    "jobName": "scenario_transfer_baseline",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[str]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # what `make ui` installs
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "TESTBOTS_HOME": str(tmp_path / "testbots")}
    env.pop("TESTBOTS_RESULTS_URL", None)
    log = (tmp_path / "dagster_dev.log").open("wb")
    proc = subprocess.Popen(
        [str(DAGSTER), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "dagster_dev.log").read_text()
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "dagster dev did not answer in 90 s"
            time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        yield url
    finally:
        children = children or _children(proc.pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # dagster dev stops webserver, daemon, code server
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for child in children:
            if child.is_running():
                child.kill()
        log.close()


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _gql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


PRESET = """query($selector: PipelineSelector!) { pipelineOrError(params: $selector) {
  ... on Pipeline { presets { name runConfigYaml } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
MATERIALIZATIONS = """{ assetOrError(assetKey: {path: ["scenarios", "transfer_baseline"]}) {
  ... on Asset { assetMaterializations(limit: 5) { runId metadataEntries { label __typename
    ... on FloatMetadataEntry { floatValue } ... on TextMetadataEntry { text } } } } } }"""
CHECKS = """{ assetNodeOrError(assetKey: {path: ["scenarios", "transfer_baseline"]}) {
  ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name blocking
    executionForLatestMaterialization { runId status evaluation { severity } } } } } } } }"""


def test_launch_through_graphql_and_read_results_back(dagster_dev: str) -> None:
    url = dagster_dev
    selector = {**{k: v for k, v in JOB.items() if k != "jobName"}, "pipelineName": JOB["jobName"]}
    (preset,) = _gql(url, PRESET, selector=selector)["pipelineOrError"]["presets"]
    config = yaml.safe_load(preset["runConfigYaml"])
    scenario_config = config["ops"]["scenarios__transfer_baseline"]["config"]
    assert scenario_config["scenario"]["id"] == "transfer_baseline"  # the Launchpad's pre-fill
    scenario_config["size"] = "smoke"  # the one edit: keep the test near 15 s of load

    launched = _gql(url, LAUNCH, params={"selector": JOB, "runConfigData": config})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 180
    while (status := _gql(url, STATUS, id=run_id)["runOrError"]["status"]) not in (
        "SUCCESS",
        "FAILURE",
        "CANCELED",
    ):
        assert time.monotonic() < deadline, f"run {run_id} still {status} after 180 s"
        time.sleep(1)
    assert status == "SUCCESS"

    (latest,) = _gql(url, MATERIALIZATIONS)["assetOrError"]["assetMaterializations"]
    assert latest["runId"] == run_id
    entries = {e["label"]: e for e in latest["metadataEntries"]}
    assert entries["verdict"]["text"] == "PASS"
    for plotted in ("achieved_rate_per_s", "p99_submit_ms", "p99_commit_ms", "error_rate"):
        assert entries[plotted]["__typename"] == "FloatMetadataEntry"
    assert entries["achieved_rate_per_s"]["floatValue"] > 10

    node = _gql(url, CHECKS)["assetNodeOrError"]["assetChecksOrError"]["checks"]
    checks = {c["name"]: c for c in node}
    assert set(checks) == {"slo", "validity", "regression", "detects_vulnerability"}
    assert checks["slo"]["blocking"] and not checks["regression"]["blocking"]
    for check in checks.values():
        execution = check["executionForLatestMaterialization"]
        assert execution["runId"] == run_id and execution["status"] == "SUCCEEDED"

    # the asset's page in a real browser: the numeric metadata is plotted over the runs
    shot = REPO / ".testbots" / "test-artifacts" / "scenario_asset_plots.png"
    text, charts, png = asyncio.run(_asset_page(url))
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(png)
    size = len(png)
    for plotted in ("p99_commit_ms", "p99_submit_ms", "achieved_rate_per_s", "error_rate"):
        assert plotted in text
    assert charts >= 8 and size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def _asset_page(url: str) -> tuple[str, int, bytes]:
    async with open_page(f"{url}/assets/scenarios/transfer_baseline") as page:
        await page.wait_for_text("Metadata", timeout_s=60)
        assert await page.click_button("Plots"), "no Plots view on the asset page"
        text = await page.wait_for_text("p99_commit_ms", timeout_s=30)
        await asyncio.sleep(2.0)  # let the charts draw before the screenshot
        dialogs = int(await page.evaluate("document.querySelectorAll('[role=dialog]').length"))
        assert dialogs == 0, "a dialog covers the page (dagster.yaml sets nux.enabled: false)"
        charts = int(await page.evaluate("document.querySelectorAll('canvas, svg').length"))
        return text, charts, await page.screenshot()
