"""Follow a chain's blocks and tell each waiting intent when its transaction lands.

One watcher per chain reads every new block's transactions once (`GET /blocks/{h}/txs`), so
commit tracking costs one request per block instead of one poll per transaction. The moment
a block is first seen is the commit time of its transactions (`lat.commit` ends there).
A transaction whose messages failed at execution is in its block too, with its code: the
intent learns it from `Landed.code`. Every transaction in the block is also shown to `on_tx`
with its code and its events (what module messages did, such as a swap's output), which
credits bots that received funds from this run (the shadow ledger of the recipient) when the
code is "ok"; the waiting intent gets the events too (`Landed.events`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botruntime.chain.alpha import AlphaClient
from botruntime.chain.delta import DeltaClient
from botruntime.chain.errors import ChainError, ProtocolViolation
from botruntime.chain.models import BlockTx
from botruntime.chain.tx import JsonValue
from botruntime.chain.tx import tx_hash as canonical_hash

__all__ = ["CommitWatcher", "Events", "Landed", "TxObserver"]

_log = logging.getLogger("botruntime.fleet")

Events = tuple[dict[str, JsonValue], ...]
TxObserver = Callable[[str, dict[str, JsonValue], str, int, Events], None]
"""(tx hash, wire tx, code: "ok" or why its messages failed, block height, events) for every
tx of every block seen."""


@dataclass(frozen=True, slots=True)
class Landed:
    height: int
    seen_ts: float  # time.perf_counter() when the block was first read
    code: str = "ok"  # else its messages failed: only the fee was charged, the nonce spent
    index: int = 0  # its position in the block
    events: Events = ()  # what its module messages did (empty for a bank tx or a failure)

    def event(self, kind: str) -> dict[str, JsonValue] | None:
        """The first event of type `kind` (`dex.swap`: the swap's result), if any."""
        return next((e for e in self.events if e.get("type") == kind), None)

    @property
    def ok(self) -> bool:
        return self.code == "ok"


class CommitWatcher:
    def __init__(
        self,
        client: AlphaClient | DeltaClient,
        *,
        poll_s: float = 0.05,
        on_tx: TxObserver | None = None,
        fallbacks: Sequence[AlphaClient | DeltaClient] = (),
    ) -> None:
        # the node read from, then the others in turn while it does not answer (a node
        # stopped for maintenance must not stop commit tracking: SCENARIOS.md L10)
        self._nodes = (client, *fallbacks)
        self._current = 0
        self._client = client
        self._poll_s = poll_s
        self._on_tx = on_tx
        self._waiting: dict[str, asyncio.Future[Landed]] = {}
        self.start_height: int | None = None
        self.height = 0
        self.blocks_seen = 0
        self.read_errors = 0

    def expect(self, tx_hash: str) -> asyncio.Future[Landed]:
        """Register before broadcasting, so a block read in between cannot be missed."""
        future = self._waiting.get(tx_hash)
        if future is None:
            future = self._waiting[tx_hash] = asyncio.get_running_loop().create_future()
        return future

    def forget(self, tx_hash: str) -> None:
        future = self._waiting.pop(tx_hash, None)
        if future is not None and not future.done():
            future.cancel()

    async def start(self) -> None:
        """Anchor at the current height: blocks before the run are not ours."""
        self.height = self.start_height = (await self._client.latest_block()).height

    async def run(self) -> None:
        """Follow blocks until cancelled (owned by the fleet's TaskGroup)."""
        if self.start_height is None:
            await self.start()
        while True:
            try:
                latest = (await self._client.latest_block()).height
                while self.height < latest:
                    await self._read_block(self.height + 1)
                    self.height += 1
            except ChainError as exc:
                self.read_errors += 1
                if self.read_errors in (1, 10, 100):
                    _log.warning("commit watcher: reading blocks failed (%s); retrying", exc)
                self._next_node()
            await asyncio.sleep(self._poll_s)

    async def read_through(self, height: int, *, timeout_s: float) -> bool:
        """Wait until the blocks up to `height` are read, so that every tx in them is settled;
        False when `timeout_s` passed first. `run` does the reading."""
        deadline = time.perf_counter() + timeout_s
        while self.height < height:
            if time.perf_counter() >= deadline:
                return False
            await asyncio.sleep(self._poll_s)
        return True

    def _next_node(self) -> None:
        """Read from the next node: blocks are the same on every node, only its lag differs
        (a node behind shows a lower latest height, which only delays what is read)."""
        self._current = (self._current + 1) % len(self._nodes)
        self._client = self._nodes[self._current]

    async def _read_block(self, height: int) -> None:
        txs = await self._client.block_txs(height)
        seen_ts = time.perf_counter()
        self.blocks_seen += 1
        for item in txs:
            try:
                entry = BlockTx.from_wire(item)
            except ProtocolViolation:
                continue
            tx_hash, wire = entry.hash, entry.tx
            future = self._waiting.pop(tx_hash, None)
            if future is None and self._waiting:
                # a sender knows its tx by the hash of its canonical bytes; a chain that
                # hashes something else still committed it (CommitAudit counts the finding)
                future = self._waiting.pop(canonical_hash(wire), None)
            if future is not None and not future.done():
                future.set_result(Landed(height, seen_ts, entry.code, entry.index, entry.events))
            if self._on_tx is not None:
                self._on_tx(tx_hash, wire, entry.code, height, entry.events)
