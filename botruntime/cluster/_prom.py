"""Live Prometheus figures of the coordinator: the cluster's health and the latest run's metrics.

Served on `--metrics-listen` (off by default). Cluster figures come from a collector on a
registry of our own (never the global one); the run's merged metrics are botruntime.metrics'
PrometheusExporter, so a scrape shows what the verdict will read.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from botruntime.cluster._coordinator import Coordinator
from botruntime.cluster._types import Liveness, RunState
from botruntime.metrics import PrometheusExporter

__all__ = ["MetricsPage"]


class _ClusterCollector(Collector):
    def __init__(self, coordinator: Coordinator) -> None:
        self._c = coordinator

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        workers = list(self._c.registry)
        by_liveness = GaugeMetricFamily(
            "testbots_cluster_workers", "workers by liveness", labels=["liveness"]
        )
        for state in Liveness:
            by_liveness.add_metric([str(state)], sum(w.liveness is state for w in workers))
        yield by_liveness
        age = GaugeMetricFamily(
            "testbots_worker_heartbeat_age_seconds", "since the last heartbeat", labels=["worker"]
        )
        for w in workers:
            age.add_metric([w.worker_id], self._c.registry.age_s(w))
        yield age
        fields = (
            ("schedule_lag_ms", "arrivals late against their intended time, p99"),
            ("loop_lag_ms", "event-loop lag, p99"),
            ("cpu_percent", "CPU of one core"),
            ("rss_bytes", "resident memory"),
            ("in_flight", "actions in flight"),
            ("bots_running", "bots running"),
        )
        for field, help_text in fields:
            family = GaugeMetricFamily(f"testbots_worker_{field}", help_text, labels=["worker"])
            for w in workers:
                if w.health is not None:
                    family.add_metric([w.worker_id], float(getattr(w.health, field)))
            yield family
        runs = GaugeMetricFamily("testbots_runs", "runs by state", labels=["state"])
        for run_state in RunState:
            runs.add_metric([str(run_state)], sum(r.state is run_state for r in self._c.runs()))
        yield runs
        gaps = GaugeMetricFamily(
            "testbots_run_gap_seconds", "plan seconds a lost share did not offer", labels=["run"]
        )
        for r in self._c.runs():
            gaps.add_metric([r.run_id], sum(g.to_s - g.from_s for g in r.gaps))
        yield gaps


class MetricsPage:
    """`GET /metrics`: the cluster's figures, then the latest run's merged metrics."""

    def __init__(self, coordinator: Coordinator) -> None:
        self._c = coordinator
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_ClusterCollector(coordinator))
        self._exporters: dict[str, PrometheusExporter] = {}

    def render(self) -> bytes:
        body = generate_latest(self._registry)
        runs = self._c.runs()
        if runs:
            latest = runs[-1]
            exporter = self._exporters.get(latest.run_id)
            if exporter is None:
                self._exporters = {latest.run_id: PrometheusExporter(latest.metrics)}
                exporter = self._exporters[latest.run_id]
            body += exporter.render()
        return body

    async def handle(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.render(), headers={"Content-Type": PrometheusExporter.content_type}
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self.handle)
        return app
