"""Live Prometheus figures of the cluster's processes, served on `--metrics-listen` (off by
default): the coordinator's (`MetricsPage`) and a worker's (`WorkerMetricsPage`).

Both show workers by state and each worker's health (`worker_families`, the one owner of those
names), then a run's metrics as botruntime.metrics' PrometheusExporter names them (the one
owner of the run's names), so a scrape shows what the verdict will read. Every family is
built at scrape time on a registry of our own (never the global one). `MetricsServer` serves
a page over HTTP; the coordinator, a worker and an embedded run's coordinator all use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from botruntime.cluster._coordinator import Coordinator
from botruntime.cluster._errors import ClusterConfigError
from botruntime.cluster._types import HealthSample, Liveness, RunState
from botruntime.metrics import NAMESPACE, MergedIntervals, PackedDelta, PrometheusExporter

__all__ = [
    "MetricsPage",
    "MetricsServer",
    "WorkerFigures",
    "WorkerMetricsPage",
    "worker_families",
]


class WorkerFigures(NamedTuple):
    """One worker as a page shows it, whoever reads it (the coordinator, or the worker)."""

    worker_id: str
    state: Liveness
    health: HealthSample | None
    heartbeat_age_s: float | None = None  # only the coordinator knows it


def worker_families(workers: Iterable[WorkerFigures]) -> Iterator[Metric]:
    """Workers by state, and each one's health from its latest heartbeat, in base units."""
    workers = list(workers)
    by_state = GaugeMetricFamily(f"{NAMESPACE}_workers", "workers by state", labels=["state"])
    for state in Liveness:
        by_state.add_metric([str(state)], sum(w.state is state for w in workers))
    yield by_state
    age = GaugeMetricFamily(
        f"{NAMESPACE}_worker_heartbeat_age_seconds", "since the last heartbeat", labels=["worker"]
    )
    for w in workers:
        if w.heartbeat_age_s is not None:
            age.add_metric([w.worker_id], w.heartbeat_age_s)
    yield age
    fields: tuple[tuple[str, str, Callable[[HealthSample], float]], ...] = (
        ("schedule_lag_seconds", "arrivals late against their intended time, p99",
         lambda h: h.schedule_lag_ms / 1000),
        ("loop_lag_seconds", "event-loop lag, p99", lambda h: h.loop_lag_ms / 1000),
        ("cpu_ratio", "fraction of one core used", lambda h: h.cpu_percent / 100),
        ("resident_memory_bytes", "resident memory", lambda h: float(h.rss_bytes)),
        ("in_flight", "actions in flight", lambda h: float(h.in_flight)),
        ("bots_running", "bots running", lambda h: float(h.bots_running)),
    )  # fmt: skip
    for name, help_text, value in fields:
        family = GaugeMetricFamily(f"{NAMESPACE}_worker_{name}", help_text, labels=["worker"])
        for w in workers:
            if w.health is not None:
                family.add_metric([w.worker_id], value(w.health))
        yield family


class _ClusterCollector(Collector):
    def __init__(self, coordinator: Coordinator) -> None:
        self._c = coordinator

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        registry = self._c.registry
        yield from worker_families(
            WorkerFigures(w.worker_id, w.liveness, w.health, registry.age_s(w)) for w in registry
        )
        runs = GaugeMetricFamily(f"{NAMESPACE}_runs", "runs by state", labels=["state"])
        for run_state in RunState:
            runs.add_metric([str(run_state)], sum(r.state is run_state for r in self._c.runs()))
        yield runs
        gaps = GaugeMetricFamily(
            f"{NAMESPACE}_run_gap_seconds",
            "plan seconds a lost share did not offer",
            labels=["run"],
        )
        for r in self._c.runs():
            gaps.add_metric([r.run_id], sum(g.to_s - g.from_s for g in r.gaps))
        yield gaps


class _Latest:
    """The exporter of the latest run's metrics (one kept: a scrape shows the latest run)."""

    def __init__(self) -> None:
        self._run_id = ""
        self._exporter: PrometheusExporter | None = None

    def render(self, run_id: str, metrics: MergedIntervals) -> bytes:
        if self._exporter is None or run_id != self._run_id:
            self._run_id, self._exporter = run_id, PrometheusExporter(metrics)
        return self._exporter.render()


class MetricsPage:
    """The coordinator's `GET /metrics`: the cluster's figures, then the latest run's merged
    metrics."""

    def __init__(self, coordinator: Coordinator) -> None:
        self._c = coordinator
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_ClusterCollector(coordinator))
        self._latest = _Latest()

    def render(self) -> bytes:
        body = generate_latest(self._registry)
        runs = self._c.runs()
        if runs:
            body += self._latest.render(runs[-1].run_id, runs[-1].metrics)
        return body


class _OneWorker(Collector):
    def __init__(self, figures: Callable[[], WorkerFigures]) -> None:
        self._figures = figures

    def describe(self) -> Iterator[Metric]:
        return iter(())

    def collect(self) -> Iterator[Metric]:
        yield from worker_families([self._figures()])


class WorkerMetricsPage:
    """A worker's `GET /metrics`: its own state and health, then its share of the latest run
    (the deltas it sends the coordinator, merged here too). The run before it is kept for
    its late deltas; older ones are dropped."""

    def __init__(self, figures: Callable[[], WorkerFigures]) -> None:
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(_OneWorker(figures))
        self._runs: dict[str, MergedIntervals] = {}  # by first delta: the newest last
        self._latest = _Latest()

    def ingest(self, run_id: str, delta: PackedDelta) -> None:
        """One delta as this worker packed it for the coordinator (packed once, for both)."""
        metrics = self._runs.get(run_id)
        if metrics is None:
            metrics = self._runs[run_id] = MergedIntervals(keep_intervals=False)  # a scrape
            while len(self._runs) > 2:  # reads whole-run figures: no interval is kept
                self._runs.pop(next(iter(self._runs))).close()
        metrics.ingest_packed(delta)

    def render(self) -> bytes:
        body = generate_latest(self._registry)
        if self._runs:
            run_id = next(reversed(self._runs))
            body += self._latest.render(run_id, self._runs[run_id])
        return body

    def close(self) -> None:
        for metrics in self._runs.values():
            metrics.close()
        self._runs.clear()


class MetricsServer:
    """`GET /metrics` of `render` on HOST:PORT (`--metrics-listen`); off when `listen` is None."""

    def __init__(self, listen: str | None, render: Callable[[], bytes], flag: str) -> None:
        self._listen = listen
        self._render = render
        self._flag = flag
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        if self._listen is None:
            return
        host, sep, port = self._listen.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ClusterConfigError(
                f"{self._flag} {self._listen!r} is not HOST:PORT, e.g. 127.0.0.1:9464"
            )
        app = web.Application()
        app.router.add_get("/metrics", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host.strip("[]"), int(port)).start()
        except OSError as exc:
            await runner.cleanup()
            raise ClusterConfigError(
                f"{self._flag} {self._listen}: cannot listen there ({exc.strerror})"
            ) from None
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self._render(), headers={"Content-Type": PrometheusExporter.content_type}
        )
