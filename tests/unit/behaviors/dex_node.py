"""A Delta node with constant-product pools, played through the shared `MockTransport`, and
a fleet context around it: the DEX behaviours run against it without a network.

Every accepted tx goes into the next block, which the node closes when the commit watcher next
asks for the latest block. A swap pays simnet's own formula (`simnet.delta.swap_out`) unless
`pay_less` is set, which pays one unit less than `min_out` (a chain that ignores min_out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from botruntime.bots.bot import Bot
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, decode_amount, tx_hash
from botruntime.fleet import ChainSide, CommitWatcher, Crews, FleetContext, Peers
from botruntime.fleet._commits import Events
from botruntime.fleet._receipts import Receipts
from botruntime.metrics import Recorder
from botruntime.wallet import DX
from simnet.delta import swap_out

CHAIN_ID = "delta-simnet-1"
FEE = 10_000
_POOL = re.compile(r"^/dex/pools/(\d+)(/quote|/shares/\w+|/twap)?")


@dataclass
class FakePool:
    id: int
    reserve_a: int  # DX
    reserve_b: int  # bAX
    shares: int
    lp: dict[str, int] = field(default_factory=dict)

    def wire(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "denom_a": "DX",
            "denom_b": "bAX",
            "reserve_a": str(self.reserve_a),
            "reserve_b": str(self.reserve_b),
            "total_shares": str(self.shares),
            "locked_shares": "1000",
            "price_a_in_b": str(self.reserve_b * 10**6 // self.reserve_a),
            "price_b_in_a": str(self.reserve_a * 10**6 // self.reserve_b),
        }

    def out(self, denom_in: str, amount: int) -> int:
        x, y = (
            (self.reserve_a, self.reserve_b)
            if denom_in == "DX"
            else (
                self.reserve_b,
                self.reserve_a,
            )
        )
        return swap_out(amount, x, y, 30, False)


class DexNode:
    def __init__(self, *pools: FakePool, oracle: int = 10**6) -> None:
        self.pools = {p.id: p for p in pools}
        self.oracle = oracle
        self.height = 10
        self.blocks: dict[int, list[dict[str, JsonValue]]] = {}
        self.pending: list[dict[str, JsonValue]] = []
        self.sent: list[dict[str, Any]] = []  # the messages of every accepted tx
        self.fees: list[int] = []  # the fee of every accepted tx
        self.pay_less = False
        self.mempool: list[dict[str, JsonValue]] = []  # what GET /mempool lists
        self.view = "redacted"

    def __call__(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/txs":
            return self._submit(request)
        if path == "/blocks/latest":
            if self.pending:
                self.height += 1
                self.blocks[self.height], self.pending = self.pending, []
            return answer(
                {"height": self.height, "time": "t", "hash": "H", "prev_hash": "P", "txs": []}
            )
        if path.startswith("/blocks/") and path.endswith("/txs"):
            height = int(path.split("/")[2])
            return answer({"height": height, "txs": self.blocks.get(height, [])})
        if path == "/mempool":
            shown = [
                item if self.view == "full" else {k: v for k, v in item.items() if k != "tx"}
                for item in self.mempool
            ]
            return answer({"view": self.view, "txs": shown, "next_cursor": None})
        if path == "/dex/pools":
            return answer({"pools": [p.wire() for p in self.pools.values()]})
        if path.startswith("/oracle/prices/"):
            return answer(
                {
                    "pair": "bAX/DX",
                    "median": str(self.oracle),
                    "twap": str(self.oracle),
                    "age": 0,
                    "updated_height": self.height,
                    "sources": 3,
                    "move_bps": 0,
                    "status": "open",
                }
            )
        found = _POOL.match(path)
        assert found is not None, f"the fake node does not serve {request.path}"
        pool = self.pools[int(found.group(1))]
        tail = found.group(2) or ""
        if tail == "/quote":
            query = dict(kv.split("=") for kv in request.path.split("?")[1].split("&"))
            amount = int(query["amount_in"])
            return answer(
                {
                    "pool": pool.id,
                    "denom_in": query["denom_in"],
                    "amount_in": str(amount),
                    "denom_out": "bAX" if query["denom_in"] == "DX" else "DX",
                    "amount_out": str(pool.out(query["denom_in"], amount)),
                    "fee_bps": 30,
                    "height": self.height,
                }
            )
        if tail.startswith("/shares/"):
            address = tail.split("/")[2]
            return answer(
                {
                    "pool": pool.id,
                    "address": address,
                    "shares": str(pool.lp.get(address, 0)),
                    "total_shares": str(pool.shares),
                    "height": self.height,
                }
            )
        return answer(pool.wire())

    def _submit(self, request: Request) -> Answer:
        body = request.json()
        assert isinstance(body, dict)
        wire = body["tx"]
        assert isinstance(wire, dict)
        msg = wire["body"]["msgs"][0]  # type: ignore[call-overload,index]
        self.sent.append(msg)
        self.fees.append(int(str(wire["body"]["fee"])))  # type: ignore[call-overload,index]
        sender = str(wire["body"]["sender"])  # type: ignore[call-overload,index]
        events = self._execute(sender, msg)
        digest = tx_hash(wire)
        self.pending.append(
            {
                "hash": digest,
                "index": len(self.pending),
                "tx": wire,
                "code": "ok",
                "events": list(events),
            }
        )
        return answer({"hash": digest, "code": "ok", "status": "pending"})

    def _execute(self, sender: str, msg: dict[str, Any]) -> Events:
        pool = self.pools[int(msg["pool"])]
        if msg["type"] == "dex.swap":
            amount, denom_in = decode_amount(msg["amount_in"]), str(msg["denom_in"])
            out = pool.out(denom_in, amount)
            if self.pay_less:
                out = decode_amount(msg["min_out"]) - 1
            denom_out = "bAX" if denom_in == "DX" else "DX"
            return (
                _coin("coin_spent", sender, denom_in, amount),
                _coin("coin_received", sender, denom_out, out),
                {"type": "dex.swap", "pool": pool.id, "amount_out": str(out)},
            )
        if msg["type"] == "dex.remove_liquidity":
            shares = decode_amount(msg["shares"])
            a = shares * pool.reserve_a // pool.shares
            b = shares * pool.reserve_b // pool.shares
            return (
                _coin("coin_received", sender, "DX", a),
                _coin("coin_received", sender, "bAX", b),
            )
        a, b = decode_amount(msg["max_a"]), decode_amount(msg["max_b"])
        return (_coin("coin_spent", sender, "DX", a), _coin("coin_spent", sender, "bAX", b))


def _coin(kind: str, address: str, denom: str, amount: int) -> dict[str, JsonValue]:
    return {"type": kind, "address": address, "denom": denom, "amount": str(amount)}


async def fleet_on(
    node: DexNode, bots: list[Bot], recorder: Recorder, crews: Crews | None = None
) -> FleetContext:
    """A one-node fleet context whose commit watcher applies receipts to `bots`."""
    client = HttpDeltaClient(transport=MockTransport(node), chain_id=CHAIN_ID)
    receipts = Receipts("run1")
    owners = {bot.delta_address: bot for bot in bots}

    def on_tx(
        hash_: str, wire: dict[str, JsonValue], code: str, height: int, events: Events
    ) -> None:
        receipts.apply(owners, wire, code, events)

    watcher = CommitWatcher(client, poll_s=0.001, on_tx=on_tx)
    await watcher.start()
    side = ChainSide("delta", [client], watcher, FEE, DX)
    peers = Peers("seed", 100)
    return FleetContext("run1", recorder, {"delta": side}, peers, owners=owners, crews=crews)


def decoded(payload: bytes) -> Any:
    return orjson.loads(payload)
