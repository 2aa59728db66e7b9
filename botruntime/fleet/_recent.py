"""What the fleet saw lately, and what every committed tx says about the chain's defences.

`RecentTxs` keeps bounded rings of wire txs per chain: those committed in blocks (fed by the
commit watchers) and the fleet's own just submitted (fed by `Intent`). Behaviours that copy
other users' traffic (replayers, later sandwichers) read them; memory stays bounded whatever
the run's length.

`CommitAudit` looks at every committed tx once and counts what must never happen (SCENARIOS.md
A1): a tx whose hash is not the hash of its canonical bytes (`adv.noncanonical_commits`), and
a tx that took effect a second time or on the wrong chain (`adv.replays_effective`): a body
naming another chain id, a (chain, signer, nonce) at or below one already committed, or an
intent (its `tb:` memo) committed twice.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from random import Random

from botruntime.bots.bot import ChainName
from botruntime.chain.tx import JsonValue, SignedTx, parse_memo, tx_hash
from botruntime.metrics import Recorder

__all__ = ["CommitAudit", "RecentTx", "RecentTxs"]


@dataclass(frozen=True, slots=True)
class RecentTx:
    chain: ChainName
    hash: str
    wire: dict[str, JsonValue]
    node: int | None  # the node it was submitted to; None when harvested from a block
    seen_ts: float  # time.perf_counter() when it was seen

    @property
    def body(self) -> dict[str, JsonValue]:
        body = self.wire.get("body")
        return body if isinstance(body, dict) else {}

    @property
    def pubkey(self) -> str:
        return str(self.wire.get("pubkey", ""))

    @property
    def nonce(self) -> int:
        nonce = self.body.get("nonce")
        return nonce if isinstance(nonce, int) else -1


class RecentTxs:
    """Bounded rings of recent txs per chain: committed ones and the fleet's own submissions."""

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._committed: dict[str, deque[RecentTx]] = {}
        self._submitted: dict[str, deque[RecentTx]] = {}
        # next nonce per (chain, pubkey) as the blocks show it: bounded by the accounts seen
        self._next_nonce: dict[tuple[str, str], int] = {}

    def _ring(self, rings: dict[str, deque[RecentTx]], chain: str) -> deque[RecentTx]:
        ring = rings.get(chain)
        if ring is None:
            ring = rings[chain] = deque(maxlen=self.capacity)
        return ring

    def note_committed(self, chain: ChainName, hash_: str, wire: dict[str, JsonValue]) -> None:
        seen = RecentTx(chain, hash_, wire, None, time.perf_counter())
        self._ring(self._committed, chain).append(seen)
        key = (chain, seen.pubkey)
        self._next_nonce[key] = max(self._next_nonce.get(key, 0), seen.nonce + 1)

    def note_submitted(self, chain: ChainName, tx: SignedTx, node: int) -> None:
        seen = RecentTx(chain, tx.hash, tx.to_wire(), node, time.perf_counter())
        self._ring(self._submitted, chain).append(seen)

    def committed(self, chain: ChainName) -> Iterator[RecentTx]:
        return iter(self._committed.get(chain, ()))

    def pick_committed(self, chain: ChainName, rng: Random) -> RecentTx | None:
        ring = self._committed.get(chain)
        return ring[rng.randrange(len(ring))] if ring else None

    def pick_submitted(
        self, chain: ChainName, rng: Random, *, min_age_s: float, max_age_s: float
    ) -> RecentTx | None:
        """A submission between `min_age_s` and `max_age_s` old (the newest such if several)."""
        ring = self._submitted.get(chain)
        if not ring:
            return None
        now = time.perf_counter()
        fitting = [s for s in ring if min_age_s <= now - s.seen_ts <= max_age_s]
        return fitting[rng.randrange(len(fitting))] if fitting else None

    def next_nonce(self, chain: ChainName, pubkey: str) -> int:
        """The nonce the chain expects next from this key, as far as the blocks showed it."""
        return self._next_nonce.get((chain, pubkey), 0)


class CommitAudit:
    """Counts committed txs that a sound chain never commits (see the module docstring)."""

    def __init__(self, recorder: Recorder, run_id: str, *, memo_capacity: int = 1 << 17) -> None:
        self._recorder = recorder
        self._run_id = run_id
        self._last_nonce: dict[tuple[str, str], int] = {}
        self._memos: OrderedDict[str, None] = OrderedDict()
        self._memo_capacity = memo_capacity
        self.checked = 0

    def check(
        self, chain: ChainName, chain_id: str, hash_: str, wire: dict[str, JsonValue]
    ) -> None:
        self.checked += 1
        rec = self._recorder
        if tx_hash(wire) != hash_:
            rec.counter("adv.noncanonical_commits", chain=chain).add(example=hash_)
        body = wire.get("body")
        if not isinstance(body, dict):
            return
        why = self._second_effect(chain, chain_id, str(wire.get("pubkey", "")), body)
        if why is not None:
            rec.counter("adv.replays_effective", chain=chain, how=why).add(example=hash_)

    def _second_effect(
        self, chain: ChainName, chain_id: str, pubkey: str, body: dict[str, JsonValue]
    ) -> str | None:
        found: str | None = None
        if body.get("chain_id") != chain_id:
            found = "foreign_chain"
        nonce = body.get("nonce")
        if isinstance(nonce, int):
            key = (chain, pubkey)
            last = self._last_nonce.get(key)
            if last is not None and nonce <= last:
                found = found or "nonce_reused"
            self._last_nonce[key] = nonce if last is None else max(last, nonce)
        memo = body.get("memo")
        parsed = parse_memo(memo) if isinstance(memo, str) else None
        if parsed is not None and parsed.run_id == self._run_id:
            # one intent, one commit: the memo carries the intent's bot and intended time
            assert isinstance(memo, str)
            if memo in self._memos:
                found = found or "intent_twice"
            else:
                self._memos[memo] = None
                if len(self._memos) > self._memo_capacity:
                    self._memos.popitem(last=False)
        return found
