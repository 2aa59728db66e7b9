"""One logical node of a chain: its mempool, its seen-cache, and its liveness and faults."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from botruntime.chain.tx import JsonValue
from simnet._mempool import Mempool

__all__ = ["Faults", "Node"]


@dataclass(slots=True)
class Faults:
    """What `POST /simnet/faults` injects into a node's REST front-end."""

    latency_ms: float = 0.0
    error_rate: float = 0.0  # share of requests answered 503
    status: int | None = None  # every request answered with this status
    refuse: bool = False  # the port refuses connections (consensus keeps running)

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "status": self.status,
            "refuse": self.refuse,
        }


@dataclass(slots=True)
class Node:
    index: int
    node_id: str  # "v1", "v2", ...: the same validator runs node i of Alpha and of Delta
    mempool: Mempool
    seen_limit: int
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    up: bool = True  # stopped or killed: its port is closed, it neither gossips nor proposes
    paused: bool = False  # requests wait; it neither gossips nor proposes
    partitioned: bool = False  # no gossip in or out; its view stays at `frozen_height`
    frozen_height: int = 0
    lag_blocks: int = 0
    faults: Faults = field(default_factory=Faults)
    # the most requests its REST front-end held at once (admission queue; api/admission-bound)
    admission_peak: int = 0
    events: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=1_000))

    def log(self, message: str) -> None:
        """A line for `adnet logs`: what happened to this node and when (unix seconds)."""
        self.events.append((time.time(), message))

    @property
    def live(self) -> bool:
        """Takes part in gossip and proposing."""
        return self.up and not self.paused and not self.partitioned

    def remember(self, tx_hash: str) -> None:
        seen = self.seen
        seen[tx_hash] = None
        if len(seen) > self.seen_limit:
            seen.popitem(last=False)

    def forget_state(self) -> None:
        """A kill or restart: the mempool and the seen-cache are gone."""
        self.mempool.clear()
        self.seen.clear()

    def liveness(self) -> dict[str, JsonValue]:
        return {
            "node_id": self.node_id,
            "up": self.up,
            "paused": self.paused,
            "partitioned": self.partitioned,
            "lag_blocks": self.lag_blocks,
            "faults": self.faults.to_wire(),
            "mempool_txs": len(self.mempool),
        }
