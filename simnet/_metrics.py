"""`GET /simnet/metrics`: Prometheus text built from the network's state at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

import psutil
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from simnet._network import Network

__all__ = ["render_metrics"]


class _NetworkCollector(Collector):
    def __init__(self, network: Network, connections: int) -> None:
        self.network = network
        self.connections = connections

    def collect(self) -> Iterator[Metric]:
        network = self.network
        height = GaugeMetricFamily("simnet_height", "latest block height", labels=["chain"])
        interval = GaugeMetricFamily(
            "simnet_block_interval_seconds", "time between the last two blocks", labels=["chain"]
        )
        txs = GaugeMetricFamily(
            "simnet_mempool_txs", "txs in a node's mempool", labels=["chain", "node"]
        )
        size = GaugeMetricFamily(
            "simnet_mempool_bytes", "bytes in a node's mempool", labels=["chain", "node"]
        )
        rejects = CounterMetricFamily(
            "simnet_reject", "refused txs by reason", labels=["chain", "reason"]
        )
        evictions = CounterMetricFamily(
            "simnet_evicted", "txs that left a mempool uncommitted", labels=["chain", "reason"]
        )
        committed = CounterMetricFamily("simnet_committed_txs", "committed txs", labels=["chain"])
        for name, chain in network.chains.items():
            height.add_metric([name], chain.height)
            if chain.height >= 1:
                last, prev = chain.blocks[-1], chain.blocks[-2]
                interval.add_metric([name], (last.time_us - prev.time_us) / 1e6)
            for node in chain.nodes:
                txs.add_metric([name, node.node_id], len(node.mempool))
                size.add_metric([name, node.node_id], node.mempool.bytes)
            for reason, count in sorted(chain.rejects.items()):
                rejects.add_metric([name, reason], count)
            for reason, count in sorted(chain.evictions.items()):
                evictions.add_metric([name, reason], count)
            committed.add_metric([name], len(chain.index))
        yield from (height, interval, txs, size, rejects, evictions, committed)
        process = psutil.Process()
        yield GaugeMetricFamily("simnet_rss_bytes", "resident memory", process.memory_info().rss)
        yield GaugeMetricFamily("simnet_open_fds", "open file descriptors", process.num_fds())
        yield GaugeMetricFamily("simnet_connections", "open HTTP connections", self.connections)


def render_metrics(network: Network, connections: int) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_NetworkCollector(network, connections))
    return generate_latest(registry)
