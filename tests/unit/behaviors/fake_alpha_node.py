"""A scripted Alpha node over `MockTransport` for behaviour tests, and a fleet context on it.

A module with a name of its own (not `conftest`), so the behaviour tests import it. The node
answers `POST /txs` by a policy (`admit`), remembers what it accepted, serves its blocks to
the commit watcher, and answers the reads the A3/A8 behaviours make from small tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, tx_hash
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

CHAIN_ID = "alpha-simnet-1"
PARAMS: dict[str, JsonValue] = {
    "chain_id": CHAIN_ID,
    "min_fee_base": 500,
    "min_fee_per_byte": 1,
    "dust_limit": 1000,
    "account_creation_fee": 10_000,
    "max_pending_per_sender": 32,
}


@dataclass
class FakeAlpha:
    """What the node does; tests change the policies and tables."""

    admit: Callable[[dict[str, Any]], Answer | None] = lambda tx: None  # None: accept
    accepted: list[dict[str, Any]] = field(default_factory=list)
    blocks: dict[int, list[JsonValue]] = field(default_factory=dict)
    pending: list[JsonValue] = field(default_factory=list)
    creation_fee: int = 10_000
    faucet: Callable[[dict[str, Any]], Answer] = lambda body: answer({"hash": "F" * 64})
    campaign: dict[str, JsonValue] = field(default_factory=dict)
    payouts: list[JsonValue] = field(default_factory=list)
    eligible: bool = False
    validators: list[JsonValue] = field(default_factory=list)

    def handle(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/txs":
            wire = request.json()
            assert isinstance(wire, dict)
            tx = wire["tx"]
            refused = self.admit(tx)
            if refused is not None:
                return refused
            self.accepted.append(tx)
            return answer({"hash": _hash(tx), "code": "ok", "status": "pending"})
        if path == "/txs/simulate":
            return answer({"code": "ok", "account_creation_fee": str(self.creation_fee)})
        if path == "/params":
            return answer(PARAMS)
        if path == "/status":
            return answer({"chain_id": CHAIN_ID, "node_id": "v1", "height": 1, "time": "t"})
        if path == "/mempool":
            return answer({"txs": self.pending})
        if path.startswith("/blocks/") and path.endswith("/txs"):
            return answer({"txs": self.blocks.get(int(path.split("/")[2]), [])})
        if path == "/faucet":
            body = request.json()
            assert isinstance(body, dict)
            return self.faucet(body)
        if path == "/campaign":
            return answer(self.campaign)
        if path == "/campaign/payouts":
            return answer({"payouts": self.payouts})
        if path.startswith("/campaign/eligibility/"):
            return answer(
                {
                    "address": path.rsplit("/", 1)[1],
                    "eligible": self.eligible,
                    "missing": [],
                    "txs": 5,
                    "modules": ["bank", "staking"],
                    "cluster": "x",
                }
            )
        if path == "/validators":
            return answer({"validators": self.validators})
        if path.startswith("/delegators/"):
            return answer({"delegations": []})
        raise AssertionError(f"unexpected {request.method} {request.path}")

    def land(self, height: int, txs: list[dict[str, Any]], code: str = "ok") -> None:
        """Put `txs` into block `height` (served to the commit watcher)."""
        self.blocks[height] = [
            {"hash": _hash(tx), "index": i, "tx": tx, "code": code} for i, tx in enumerate(txs)
        ]


def _hash(tx: JsonValue) -> str:
    return tx_hash(tx)


def refuse(code: str, status: int = 400, **details: JsonValue) -> Answer:
    return error_answer(status, code, details, retry_after="1" if status == 429 else None)


def campaign_info(epoch: int) -> dict[str, JsonValue]:
    return {
        "epoch": epoch,
        "epoch_blocks": 60,
        "next_epoch_end": 60 * (epoch + 1),
        "budget": "1000000000",
        "paid": "0",
        "remaining": "1000000000",
        "reward": "10000000",
        "min_txs": 5,
        "min_modules": 2,
        "min_age_blocks": 20,
        "min_balance": "1000000",
        "cluster_hops": 3,
        "cluster_payouts": 1,
    }


@dataclass
class Stage:
    node: FakeAlpha
    ctx: FleetContext
    side: ChainSide
    recorder: Recorder

    def chains(self, bot: Bot) -> Chains:
        return Chains(self.ctx, bot)

    def intent(self, action: str, expected: frozenset[str] = frozenset()) -> Intent:
        return Intent(self.ctx, action, "alpha", 0.0, expected_codes=expected)

    def count(self, name: str, **labels: str) -> int:
        """The counter `name` with exactly these labels (action included)."""
        return self.recorder.counter(name, **labels).value

    async def land(self, height: int, txs: list[dict[str, Any]], code: str = "ok") -> None:
        """The node makes block `height` of `txs` and the commit watcher reads it."""
        self.node.land(height, txs, code)
        await self.side.watcher._read_block(height)


def stage(node: FakeAlpha | None = None) -> Stage:
    node = node or FakeAlpha()
    client = HttpAlphaClient(transport=MockTransport(node.handle), chain_id=CHAIN_ID)
    side = ChainSide(
        "alpha",
        [client],
        CommitWatcher(client),
        fee=2_280,
        native=AX,
        min_fee_base=500,
        min_fee_per_byte=1,
    )
    recorder = Recorder()
    ctx = FleetContext(
        run_id="run-1", recorder=recorder, sides={"alpha": side}, peers=Peers("s", 8)
    )
    return Stage(node, ctx, side, recorder)


def funded_bot(index: int = 0, role: str = "flooder", ax: int = 10**12) -> Bot:
    bot = Bot("s", index, role)
    bot.wallet.credit(AX, ax)
    return bot
