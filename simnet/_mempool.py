"""One node's mempool: per-sender nonce queues, a future-nonce window, caps and eviction.

Per sender, `ready` holds the nonces that can execute in order from the account's next nonce,
`future` the ones beyond a gap (at most `future_window` ahead). Blocks take ready txs by fee
per byte, then arrival; when the pool is full the lowest fee per byte goes first (with the
same sender's later nonces, which could not execute without it). Every method is synchronous
and knows nothing of HTTP or of other nodes.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Final, Literal

from simnet._entry import Entry
from simnet._errors import Rejected, Throttled
from simnet._params import Params
from simnet._vuln import Vulns

__all__ = ["Mempool", "Placement", "SenderQueue"]

Placement = Literal["ready", "future"]


class SenderQueue:
    """One sender's txs on one node; `spent` sums what its ready txs will cost, per denom."""

    __slots__ = ("future", "native", "ready", "spent")

    def __init__(self, native: str) -> None:
        self.native = native
        self.ready: dict[int, Entry] = {}
        self.future: dict[int, Entry] = {}
        self.spent: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ready) + len(self.future)

    def put_ready(self, entry: Entry) -> None:
        self.ready[entry.nonce] = entry
        spent = self.spent
        for denom, amount in entry.costs(self.native).items():
            spent[denom] = spent.get(denom, 0) + amount

    def drop(self, entry: Entry) -> None:
        if self.ready.get(entry.nonce) is entry:
            del self.ready[entry.nonce]
            spent = self.spent
            for denom, amount in entry.costs(self.native).items():
                spent[denom] -= amount
        elif self.future.get(entry.nonce) is entry:
            del self.future[entry.nonce]

    def promote(self, nonce: int) -> None:
        """Ready from `nonce` on, as long as the future queue holds the next one."""
        while nonce in self.future:
            self.put_ready(self.future.pop(nonce))
            nonce += 1

    def demote_all(self) -> None:
        for nonce in sorted(self.ready):
            entry = self.ready[nonce]
            self.drop(entry)
            self.future[nonce] = entry


_NO_QUEUE: Final = SenderQueue("")  # what `place` reads for a sender with nothing pending


class Mempool:
    def __init__(self, params: Params, vulns: Vulns, native: str) -> None:
        self.native = native
        self.params = params
        self.vulns = vulns
        self.entries: dict[str, Entry] = {}  # insertion order = admission order on this node
        self.heights: dict[str, int] = {}  # hash -> height at which this node took it
        self.senders: dict[str, SenderQueue] = {}
        self.bytes = 0
        # the eviction heap, (fee/byte, -arrival, hash): lazy (a tx that leaves stays in it),
        # and only kept while the pool is near full (None otherwise: most pools never fill,
        # and every new tx would climb the whole heap, the newest being the lowest)
        self._low: list[tuple[float, int, str]] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, tx_hash: str) -> bool:
        return tx_hash in self.entries

    def status(self, tx_hash: str) -> Literal["pending", "queued_future"] | None:
        entry = self.entries.get(tx_hash)
        if entry is None:
            return None
        queue = self.senders[entry.sender]
        return "pending" if queue.ready.get(entry.nonce) is entry else "queued_future"

    def next_nonce(self, sender: str, account_nonce: int) -> int:
        queue = self.senders.get(sender)
        return account_nonce + (len(queue.ready) if queue else 0)

    def spent_by(self, sender: str) -> dict[str, int]:
        """What the sender's ready txs on this node will cost, per denom."""
        queue = self.senders.get(sender)
        return {} if queue is None else queue.spent

    # ---- admission -----------------------------------------------------------------------------

    def place(self, entry: Entry, account_nonce: int) -> tuple[Placement, Entry | None]:
        """Where `entry` goes and which pending tx it replaces; raise if its nonce has no room."""
        vulns = self.vulns
        queue = self.senders.get(entry.sender)
        if queue is None:
            queue = _NO_QUEUE  # only read here: no queue is made for a tx that may be refused
        nonce = entry.nonce
        if vulns.on("nonce_not_enforced"):
            return "ready", self._replaces(queue.ready.get(nonce), entry, account_nonce)
        if nonce < account_nonce:
            raise Rejected(
                "bad_nonce",
                f"nonce {nonce} is already used; the account's next nonce is {account_nonce}",
                {"expected": account_nonce},
            )
        ready, future = queue.ready, queue.future
        next_free = account_nonce + len(ready)
        if nonce < next_free:
            return "ready", self._replaces(ready[nonce], entry, next_free)
        if nonce in future:
            return "future", self._replaces(future[nonce], entry, next_free)
        pending = len(ready) + len(future)
        if pending >= self.params.max_pending_per_sender and not vulns.on("mempool_unbounded_fifo"):
            raise Throttled(
                "sender_quota",
                f"{entry.sender} already has {pending} txs pending on this node "
                f"(limit {self.params.max_pending_per_sender}); wait for some to commit",
                {"pending": pending, "limit": self.params.max_pending_per_sender},
                retry_after_s=self.params.block_time_s,
            )
        if vulns.on("one_pending_per_sender") and nonce != account_nonce:
            raise Rejected(
                "bad_nonce",
                f"nonce {nonce}: only the account's next nonce {account_nonce} is accepted",
                {"expected": account_nonce},
            )
        if nonce == next_free:
            return "ready", None
        window = self.params.future_window
        if nonce - next_free > window and not vulns.on("future_queue_unbounded"):
            raise Rejected(
                "bad_nonce",
                f"nonce {nonce} is more than {window} ahead of the next nonce {next_free}",
                {"expected": next_free, "future_window": window},
            )
        return "future", None

    def _replaces(self, old: Entry | None, new: Entry, expected: int) -> Entry | None:
        if old is None:
            return None
        if old.hash == new.hash:
            raise Rejected("duplicate_tx", f"tx {new.hash} is already pending", {"hash": new.hash})
        bump = self.params.replace_fee_bump_pct
        needed = old.fee + old.fee * bump // 100 + 1
        if new.fee < needed:
            raise Rejected(
                "bad_nonce",
                f"nonce {new.nonce} is taken by pending tx {old.hash}; send nonce {expected}, "
                f"or replace it with a fee of at least {needed} (+{bump} %)",
                {"expected": expected, "pending": old.hash, "replace_min_fee": str(needed)},
            )
        return old

    def insert(
        self, entry: Entry, placement: Placement, replaced: Entry | None, height: int
    ) -> Sequence[Entry]:
        """Store `entry`; return what was evicted to make room (raise mempool_full if nothing)."""
        evicted: Sequence[Entry] = ()
        if replaced is not None:
            evicted = self.remove(replaced.hash)
        params = self.params
        full = (
            len(self.entries) >= params.mempool_max_txs
            or self.bytes + entry.size > params.mempool_max_bytes
        )
        if full and not self.vulns.on("mempool_unbounded_fifo"):
            evicted = [*evicted, *self._make_room(entry)]
        sender, tx_hash = entry.sender, entry.hash
        queue = self.senders.get(sender)
        if queue is None:
            queue = self.senders[sender] = SenderQueue(self.native)
        if placement == "ready":
            queue.put_ready(entry)
        else:
            queue.future[entry.nonce] = entry
        entries = self.entries
        entries[tx_hash] = entry
        self.heights[tx_hash] = height
        self.bytes += entry.size
        low = self._low
        if low is not None:
            heapq.heappush(low, (entry.fee_per_byte, -entry.arrival, tx_hash))
            if len(low) > 2 * len(entries) + 1_000:
                self._compact_low()  # it keeps txs that left; it must not grow with history
        if placement == "ready" and queue.future:
            self._promote(queue)
        return evicted

    def _make_room(self, entry: Entry) -> list[Entry]:
        params = self.params
        evicted: list[Entry] = []
        while (
            len(self.entries) >= params.mempool_max_txs
            or self.bytes + entry.size > params.mempool_max_bytes
        ):
            victim = self._lowest()
            # a tx evicts only for a fee per byte higher by the replacement bump: equal fees
            # on txs a few bytes apart must not churn the pool (each eviction drops a tx its
            # sender was told is pending), so a full pool refuses them instead
            bump = 1 + params.replace_fee_bump_pct / 100
            if victim is None or entry.fee_per_byte < victim.fee_per_byte * bump:
                raise Throttled(
                    "mempool_full",
                    f"the mempool is full ({len(self.entries)} txs, {self.bytes} bytes) and "
                    f"this tx pays less per byte than the cheapest pending one plus "
                    f"{params.replace_fee_bump_pct} %",
                    {"min_fee_per_byte": victim.fee_per_byte * bump if victim else 0.0},
                    retry_after_s=params.block_time_s,
                )
            evicted += self.remove(victim.hash, with_successors=True)
        return evicted

    def _compact_low(self) -> None:
        """The eviction heap rebuilt from the txs still here (it is lazy: removal leaves
        entries behind), so it stays within twice the pool, amortized O(1) per insert."""
        low: list[tuple[float, int, str]] = [
            (e.fee_per_byte, -e.arrival, h) for h, e in self.entries.items()
        ]
        heapq.heapify(low)
        self._low = low

    def _lowest(self) -> Entry | None:
        if self._low is None:
            self._compact_low()
        low = self._low
        assert low is not None
        while low:
            entry = self.entries.get(low[0][2])
            if entry is not None:
                return entry
            heapq.heappop(low)
        return None

    def _promote(self, queue: SenderQueue) -> None:
        if self.vulns.on("no_gap_promotion") or not queue.future or not queue.ready:
            return
        queue.promote(max(queue.ready) + 1)

    # ---- removal -------------------------------------------------------------------------------

    def remove(self, tx_hash: str, *, with_successors: bool = False) -> list[Entry]:
        entry = self.entries.pop(tx_hash, None)
        if entry is None:
            return []
        del self.heights[tx_hash]
        self.bytes -= entry.size
        removed = [entry]
        queue = self.senders[entry.sender]
        queue.drop(entry)
        if with_successors:
            later = [
                e for e in (*queue.ready.values(), *queue.future.values()) if e.nonce > entry.nonce
            ]
            for e in later:
                removed += self.remove(e.hash)
        if not queue.ready and not queue.future:  # a successor's removal may have dropped it
            self.senders.pop(entry.sender, None)
        return removed

    def remove_committed(self, hashes: list[str]) -> None:
        """After a block: its txs leave. A sender whose every pending tx here committed
        leaves whole, without updating its queue tx by tx."""
        entries, heights, queues = self.entries, self.heights, self.senders
        take = entries.pop
        here: dict[str, list[Entry]] = {}
        for tx_hash in hashes:
            entry = take(tx_hash, None)
            if entry is not None:
                del heights[tx_hash]
                same = here.get(entry.sender)
                if same is None:
                    here[entry.sender] = [entry]
                else:
                    same.append(entry)
        gone = 0
        for sender, committed in here.items():
            queue = queues[sender]
            ready, future = queue.ready, queue.future
            whole = len(committed) == len(ready) + len(future)
            for entry in committed:
                gone += entry.size
                if whole and ready.get(entry.nonce) is not entry:
                    whole = future.get(entry.nonce) is entry
            if whole:
                del queues[sender]
                continue
            for entry in committed:
                queue.drop(entry)
            if not ready and not future:
                del queues[sender]
        self.bytes -= gone

    def recheck(self, sender: str, account_nonce: int) -> list[Entry]:
        """After a block: drop nonces below the account's, promote futures the gap now reaches."""
        queue = self.senders.get(sender)
        if queue is None or self.vulns.on("nonce_not_enforced"):
            return []
        stale = [
            e for e in (*queue.ready.values(), *queue.future.values()) if e.nonce < account_nonce
        ]
        for entry in stale:
            self.remove(entry.hash)
        queue = self.senders.get(sender)
        if queue is None or self.vulns.on("no_gap_promotion"):
            return stale
        if queue.ready and min(queue.ready) != account_nonce:  # a gap below: none is ready
            queue.demote_all()
        queue.promote(account_nonce + len(queue.ready))
        return stale

    def recheck_funds(self, sender: str, balance: Callable[[str], int]) -> list[Entry]:
        """After a block: the txs the sender can no longer pay for leave, as CheckTx run again
        on the new state does (CometBFT recheck; geth drops queued txs that cost more than
        the balance too). Ready txs are paid in nonce order: the first one the balance does
        not cover goes, with its later nonces (they cannot execute without it); a queued
        future tx goes when it alone costs more than the balance. A conflicting tx committed
        from another node's mempool is what leaves a pending tx unpaid: the loser of a double
        spend goes now, not when this node next proposes or its TTL ends."""
        queue = self.senders.get(sender)
        if queue is None:
            return []
        native = self.native
        unpaid = [
            e
            for e in queue.future.values()
            if any(amount > balance(denom) for denom, amount in e.costs(native).items())
        ]
        held: dict[str, int] = {}
        for nonce in sorted(queue.ready):
            entry = queue.ready[nonce]
            costs = entry.costs(native).items()
            for denom, amount in costs:
                held[denom] = held.get(denom, 0) + amount
            if any(held[denom] > balance(denom) for denom, _ in costs):
                unpaid.append(entry)
                break
        removed: list[Entry] = []
        for entry in unpaid:
            removed += self.remove(entry.hash, with_successors=entry.nonce in queue.ready)
        return removed

    def expire(self, height: int) -> list[Entry]:
        """Drop what this node has held past the TTL (futures too, unless unbounded)."""
        ttl = self.params.mempool_ttl_blocks
        keep_future = self.vulns.on("future_queue_unbounded")
        old: list[str] = []
        for tx_hash, since in self.heights.items():
            if since + ttl >= height:
                if not keep_future:
                    break
                continue
            if keep_future and self.status(tx_hash) == "queued_future":
                continue
            old.append(tx_hash)
        expired: list[Entry] = []
        for tx_hash in old:
            expired += self.remove(tx_hash)
        params = self.params
        if (
            2 * len(self.entries) < params.mempool_max_txs
            and 2 * self.bytes < params.mempool_max_bytes
        ):
            self._low = None  # far from full again: built anew when it next fills
        return expired

    def clear(self) -> None:
        self.entries.clear()
        self.heights.clear()
        self.senders.clear()
        self._low = None
        self.bytes = 0

    # ---- block building ------------------------------------------------------------------------

    def reap(self, max_txs: int, max_bytes: int, include: Callable[[Entry], bool]) -> list[Entry]:
        """Ready txs for a block, best first; `include` executes one and says if it went in."""
        fifo = self.vulns.on("mempool_unbounded_fifo")
        # per sender: (fee key, arrival, sender's place, position, its ready txs in nonce order)
        heads: list[tuple[float, int, int, int, list[Entry]]] = []
        for i, queue in enumerate(self.senders.values()):
            ready = queue.ready
            if ready:
                chain = [ready[n] for n in sorted(ready)] if len(ready) > 1 else [*ready.values()]
                first = chain[0]
                heads.append((0.0 if fifo else -first.fee_per_byte, first.arrival, i, 0, chain))
        heapq.heapify(heads)
        taken: list[Entry] = []
        size = 0
        pop, push = heapq.heappop, heapq.heappush
        while heads and len(taken) < max_txs:
            _, _, i, at, chain = pop(heads)
            entry = chain[at]
            if size + entry.size > max_bytes:
                continue
            if not include(entry):
                continue  # the sender's later nonces cannot execute now
            taken.append(entry)
            size += entry.size
            at += 1
            if at < len(chain):
                following = chain[at]
                key = 0.0 if fifo else -following.fee_per_byte
                push(heads, (key, following.arrival, i, at, chain))
        return taken
