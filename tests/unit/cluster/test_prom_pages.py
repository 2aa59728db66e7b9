"""The coordinator's and a worker's /metrics pages: workers by state, each worker's health in
base units, the latest run's merged metrics, and nothing `promtool check metrics` would fix."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from botruntime.cluster import ClusterConfigError, Coordinator, CoordinatorConfig, HealthSample
from botruntime.cluster._prom import (
    MetricsPage,
    MetricsServer,
    WorkerFigures,
    WorkerMetricsPage,
)
from botruntime.cluster._types import Liveness
from botruntime.metrics import DeltaPacker, Recorder


def _samples(page: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(page.decode()):
        for s in family.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


def _health(seq: int) -> HealthSample:
    return HealthSample(
        seq=seq,
        sent_at_unix_s=0.0,
        schedule_lag_ms=3.0,
        loop_lag_ms=1.5,
        cpu_percent=40.0,
        rss_bytes=1 << 20,
        in_flight=2,
        bots_running=10,
    )


def test_the_coordinator_page_counts_workers_by_state(promtool: Callable[[str], str]) -> None:
    now = [0.0]
    coordinator = Coordinator(CoordinatorConfig(), clock=lambda: now[0], wall=lambda: 1e9)
    for name in ("a", "b"):
        record = coordinator.register(name, 100)
        link = coordinator.attach(record.worker_id, record.session_key)
        coordinator.on_heartbeat(link, _health(1))
    page = MetricsPage(coordinator).render()
    samples = _samples(page)
    by_state = {labels["state"]: value for labels, value in samples["testbots_workers"]}
    assert by_state == {"alive": 2, "suspect": 0, "lost": 0, "gone": 0}
    assert {v for _, v in samples["testbots_worker_cpu_ratio"]} == {0.4}
    assert {v for _, v in samples["testbots_worker_schedule_lag_seconds"]} == {0.003}
    assert promtool(page.decode()) == ""


def test_a_worker_page_shows_its_share_of_the_latest_run(promtool: Callable[[str], str]) -> None:
    page = WorkerMetricsPage(lambda: WorkerFigures("w1", Liveness.ALIVE, _health(4)))
    rec, packer = Recorder("a-1"), DeltaPacker()  # packed once, as the worker sends it
    rec.counter("n.intent", action="send_ax").add(7)
    rec.observe("submit", "alpha", "send_ax", "ok", 0.0, 0.0, 0.02)
    page.ingest("run-1", packer.packed(rec.flush(0)))
    first = _samples(page.render())
    assert first["testbots_latency_seconds_count"] == [
        ({"action": "send_ax", "chain": "alpha", "outcome": "ok", "phase": "submit"}, 1.0)
    ]
    rec.counter("n.intent", action="send_ax").add(2)
    page.ingest("run-2", packer.packed(rec.flush(1)))  # a new run: the page shows only its own
    rec.counter("n.intent", action="send_ax").add(5)
    page.ingest("run-1", packer.packed(rec.flush(2)))  # a late delta of the run before
    text = page.render()
    samples = _samples(text)
    assert samples["testbots_intents_total"] == [({"action": "send_ax"}, 2.0)]
    assert "testbots_latency_seconds_count" not in samples
    assert samples["testbots_worker_in_flight"] == [({"worker": "w1"}, 2.0)]
    assert promtool(text.decode()) == ""
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.anyio
async def test_the_server_serves_the_page_and_names_a_bad_address() -> None:
    with pytest.raises(ClusterConfigError, match="--metrics-listen 'nowhere' is not HOST:PORT"):
        await MetricsServer("nowhere", lambda: b"", "--metrics-listen").start()
    address = f"127.0.0.1:{_free_port()}"
    server = MetricsServer(address, lambda: b"# page\n", "--metrics-listen")
    await server.start()
    try:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"http://{address}/metrics")
        assert answer.status_code == 200 and answer.text == "# page\n"
        assert answer.headers["content-type"].startswith("text/plain")
    finally:
        await server.stop()
