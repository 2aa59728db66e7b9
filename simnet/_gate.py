"""The ASGI layer in front of a node's routes: faults, admission, limits, heights.

In order, for every request but the control plane (`/simnet/*` and `/metrics`, which must keep
working while a node is faulty): the admission queue (503 + Retry-After); a paused node holds
the request; injected latency; an injected status or error rate; per-client token buckets (429
+ Retry-After); `X-Min-Height` on reads (409 height_not_reached). Every answer carries
`X-Height`, except from a lagging node under the `stale_reads` switch, which also ignores
X-Min-Height.

Injected latency is a service time, not a free sleep: a node serves at most `admission_queue`
requests at once (its capacity), each holding one slot for the latency. A node that sheds never
takes more than it can serve, so no admitted request waits for a slot; under `no_load_shedding`
the requests past the limit queue for a slot, and their wait grows with the queue as a real
node's does, until clients time out.
"""

from __future__ import annotations

import asyncio
import random
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simnet._chain import Chain
from simnet._errors import Rejected, SimnetError, Throttled, Unavailable
from simnet._hotpath import HotPath
from simnet._http import Answer, answer_of, error_response
from simnet._network import Network
from simnet._node import Faults, Node
from simnet._ratelimit import TokenBuckets

__all__ = ["NodeGate"]

_PAUSE_POLL_S: Final = 0.05
_PAUSE_MAX_S: Final = 60.0
_MAX_TRACKED: Final = 100_000


class NodeGate:
    def __init__(self, app: ASGIApp, network: Network, chain_name: str, node_index: int) -> None:
        self.app = app
        self.hot = app if isinstance(app, HotPath) else None  # routes answered at once
        self.network = network
        self.chain_name = chain_name
        self.node_index = node_index
        params = network.params
        self.reads = TokenBuckets(params.reads_per_s, params.reads_burst)
        self.txs = TokenBuckets(params.txs_per_s, params.txs_burst)
        self.inflight = 0
        # the node's capacity while a latency fault makes every request cost a service time
        self._service = asyncio.Semaphore(params.admission_queue)
        self.requests = 0
        self._per_connection: dict[object, int] = {}  # peer (host, port) -> requests served
        self._rng = random.Random(f"{network.seed}/{chain_name}/{node_index}/faults")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        chain = self.network.chains[self.chain_name]
        node = chain.nodes[self.node_index]
        vulns = self.network.vulns
        stale = node.lag_blocks > 0 and vulns.on("stale_reads")
        close = not vulns.on("no_conn_limits") and self._last_on_connection(scope)

        async def send_with_height(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                _stamp(headers, chain, node, stale, close)
                message["headers"] = headers
            await send(message)

        if scope["path"].startswith("/simnet") or scope["path"] == "/metrics":
            await self.app(scope, receive, send_with_height)
            return
        busy = self._shed(node)
        if busy is not None:
            await error_response(busy)(scope, receive, send_with_height)
            return
        self._take_slot(node)
        try:
            try:
                await self._admit(scope, stale)
            except SimnetError as exc:
                await error_response(exc)(scope, receive, send_with_height)
                return
            await self.app(scope, receive, send_with_height)
        finally:
            self.inflight -= 1

    def takes_now(self, method: str, path: str) -> bool:
        """Whether a request may be answered by `answer_now` once its body is read."""
        return self.hot is not None and self.hot.takes_now(method, path)

    def answer_now(self, scope: Scope, body: bytes) -> Answer | None:
        """`__call__`'s answer to a request of a `takes_now` route, given its whole body, when
        nothing in it awaits; None, before anything happened, when something would (a paused
        node, injected latency, an endpoint that waits): the request takes the ASGI path."""
        hot = self.hot
        run = None if hot is None else hot.prepare(scope, body)
        if hot is None or run is None:
            return None
        chain = self.network.chains[self.chain_name]
        node = chain.nodes[self.node_index]
        faults = node.faults
        if node.paused or faults.latency_ms > 0:
            return None
        self.requests += 1
        vulns = self.network.vulns
        stale = node.lag_blocks > 0 and vulns.on("stale_reads")
        close = not vulns.on("no_conn_limits") and self._last_on_connection(scope)
        busy = self._shed(node)
        if busy is not None:
            answer = answer_of(error_response(busy))
        else:
            self._take_slot(node)
            try:
                self._check(scope, stale, faults)
            except SimnetError as exc:
                answer = answer_of(error_response(exc))
            else:
                answer = hot.answer(scope, run)
            finally:
                self.inflight -= 1
        _stamp(answer.headers, chain, node, stale, close)
        return answer

    def _shed(self, node: Node) -> Unavailable | None:
        """The admission queue's refusal when it is full and the node sheds load."""
        if self.inflight < self.network.params.admission_queue:
            return None
        if self.network.vulns.on("no_load_shedding"):
            return None
        return Unavailable(
            f"node {node.node_id} has {self.inflight} requests queued; retry later",
            retry_after_s=1.0,
        )

    def _take_slot(self, node: Node) -> None:
        self.inflight += 1  # the admission queue: every request taken and not yet answered
        if self.inflight > node.admission_peak:
            node.admission_peak = self.inflight

    def _last_on_connection(self, scope: Scope) -> bool:
        """Count requests per connection; the cap-th one is answered with Connection: close."""
        peer = scope.get("client")
        if peer is None:
            return False
        key = tuple(peer)
        served = self._per_connection.get(key, 0) + 1
        if served >= self.network.params.max_requests_per_connection:
            self._per_connection.pop(key, None)
            return True
        if len(self._per_connection) > _MAX_TRACKED:
            self._per_connection.clear()
        self._per_connection[key] = served
        return False

    async def _admit(self, scope: Scope, stale: bool) -> None:
        node = self.network.chains[self.chain_name].nodes[self.node_index]
        waited = 0.0
        while node.paused and waited < _PAUSE_MAX_S:
            await asyncio.sleep(_PAUSE_POLL_S)
            waited += _PAUSE_POLL_S
        if node.paused:
            raise Unavailable(f"node {node.node_id} is paused", retry_after_s=5.0)
        if node.faults.latency_ms > 0:
            async with self._service:  # wait for a slot, then hold it for the service time
                # the cost when served: a fault lifted meanwhile no longer slows the request
                await asyncio.sleep(node.faults.latency_ms / 1000)
        self._check(scope, stale, node.faults)

    def _check(self, scope: Scope, stale: bool, faults: Faults) -> None:
        """What the gate refuses without waiting: injected failures, quotas, X-Min-Height."""
        network = self.network
        chain = network.chains[self.chain_name]
        node = chain.nodes[self.node_index]
        if faults.status is not None:
            if faults.status == 503:
                raise Unavailable(f"node {node.node_id}: injected 503", retry_after_s=1.0)
            raise _Injected(faults.status)
        if faults.error_rate > 0 and self._rng.random() < faults.error_rate:
            raise Unavailable(f"node {node.node_id}: injected error", retry_after_s=1.0)
        vulns = network.vulns
        client_id = min_height = None
        for name, value in scope["headers"]:  # the last of each wins, as in a dict
            if name == b"x-client-id":
                client_id = value
            elif name == b"x-min-height":
                min_height = value
        if not vulns.on("no_rate_limit"):
            client = (client_id or b"").decode("latin-1") or _peer(scope)
            is_tx = scope["method"] == "POST" and scope["path"] == "/txs"
            wait_s = (self.txs if is_tx else self.reads).take(client, network.clock())
            if wait_s > 0:
                kind = "tx" if is_tx else "read"
                raise Throttled(
                    "rate_limited",
                    f"client {client!r} is over its {kind} quota on node {node.node_id}",
                    {"client": client, "kind": kind},
                    retry_after_s=wait_s,
                )
        if min_height is not None and scope["method"] == "GET" and not stale:
            text = min_height.decode("latin-1")
            if not (text.isascii() and text.isdigit() and len(text) < 19):
                raise Rejected("malformed", f"X-Min-Height is a height, got {text!r}")
            served = chain.served_height(node)
            if served < int(text):
                raise Rejected(
                    "height_not_reached",
                    f"node {node.node_id} is at height {served}, below X-Min-Height {text}",
                    {"height": served, "min_height": int(text)},
                )


def _stamp(
    headers: list[tuple[bytes, bytes]], chain: Chain, node: Node, stale: bool, close: bool
) -> None:
    """What the gate adds to every answer: X-Height (not from a stale node), and
    Connection: close on a connection's last request."""
    if not stale:
        headers.append((b"x-height", str(chain.served_height(node)).encode()))
    if close:
        headers.append((b"connection", b"close"))


class _Injected(SimnetError):
    """An injected status other than 503 (the fault `status`)."""

    def __init__(self, status: int) -> None:
        super().__init__("unavailable", f"injected status {status}")
        self._status = status

    @property
    def status(self) -> int:
        return self._status


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}" if client else "unknown"
