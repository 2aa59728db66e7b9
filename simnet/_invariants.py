"""The "Both chains" invariants of SCENARIOS.md §7, as named routes returning (ok, detail).

Cheap checks run after every block over what the block touched; full-iteration checks run
every `invariant_full_every` blocks and on demand. A broken invariant stays broken (first
height and detail kept) until the network is reset, and the chain keeps running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from botruntime.chain.tx import JsonValue
from simnet._chain import Chain
from simnet._producer import BlockResult

__all__ = ["ROUTES", "Invariants", "Verdict"]

_NONCES: Final = "nonce == included txs signed, failed ones too"
ROUTES: Final = (
    "bank/total-supply",
    "bank/nonnegative-balance",
    "auth/nonce-monotonic",
    "auth/unique-tx",
    "fees/conservation",
    "blocks/chain-link",
    "mempool/bounds",
    "api/admission-bound",
    "state/determinism",
)


@dataclass(frozen=True, slots=True)
class Verdict:
    route: str
    ok: bool
    height: int
    detail: str

    def to_wire(self, chain: str) -> dict[str, JsonValue]:
        return {
            "chain": chain,
            "route": self.route,
            "ok": self.ok,
            "height": self.height,
            "detail": self.detail,
        }


class Invariants:
    """The latest verdict per route for one chain; broken verdicts are sticky."""

    def __init__(self, chain: Chain, state_roundtrip: Callable[[], str]) -> None:
        self.chain = chain
        self._roundtrip = state_roundtrip
        self._linked = 0  # blocks up to here passed the full chain-link walk
        self.modules = chain.modules.invariants()  # the installed modules' routes (§7)
        self.verdicts: dict[str, Verdict] = {
            r: Verdict(r, True, 0, "not checked yet") for r in (*ROUTES, *self.modules)
        }

    def _record(self, route: str, problem: str | None, detail_ok: str) -> None:
        if not self.verdicts[route].ok:
            return
        height = self.chain.height
        self.verdicts[route] = Verdict(route, problem is None, height, problem or detail_ok)

    def after_block(self, result: BlockResult) -> None:
        chain = self.chain
        touched = result.touched
        self._record("bank/nonnegative-balance", _negative(chain, touched), "touched balances >= 0")
        self._record("auth/nonce-monotonic", _nonce_gaps(chain, touched), _NONCES)
        problem = None
        if result.duplicates:
            problem = f"(signer, nonce) committed twice: {', '.join(result.duplicates[:5])}"
        else:
            for tx_hash in result.block.txs:
                record = chain.index[tx_hash]
                if record.canonical_hash != tx_hash:
                    problem = f"tx {tx_hash} committed under a non-canonical hash"
                    break
        self._record("auth/unique-tx", problem, "unique (signer, nonce) and canonical hashes")
        charged, credited = chain.block_fees_charged, chain.block_fees_credited
        self._record(
            "fees/conservation",
            None if charged == credited else f"fees charged {charged} != collected {credited}",
            f"block fees {charged} (failed txs' included) all collected",
        )
        link = _link(chain, chain.height)
        if link is None and chain.block_problems:
            link = chain.block_problems[0]
        self._record("blocks/chain-link", link, "links, heights, limits; failed txs inert")
        self._record(
            "mempool/bounds", _mempool_bounds(chain, result.block.txs), "within caps and TTL"
        )
        limit = chain.params.admission_queue
        self._record(
            "api/admission-bound",
            _admission(chain),
            f"each front-end held at most {limit} requests at once "
            f"(peak {max((n.admission_peak for n in chain.nodes), default=0)})",
        )
        self._modules()
        if chain.height % chain.params.invariant_full_every == 0:
            self.full()

    def full(self) -> None:
        """Every check that walks the whole state."""
        chain = self.chain
        self._record("bank/total-supply", _supply(chain), "sum of balances == supply")
        every = frozenset(chain.ledger.accounts)
        self._record("bank/nonnegative-balance", _negative(chain, every), "all balances >= 0")
        self._record("auth/nonce-monotonic", _nonce_gaps(chain, every), _NONCES)
        problem = None
        for height in range(max(1, self._linked + 1), chain.height + 1):
            problem = _link(chain, height)
            if problem:
                break
            self._linked = height
        self._record("blocks/chain-link", problem, "all blocks linked")
        self._modules()

    def _modules(self) -> None:
        for route, check in self.modules.items():
            self._record(route, check(), "holds")

    def determinism(self) -> None:
        """Export, import, compare the state hash: the end-of-run check."""
        problem = self._roundtrip()
        self._record("state/determinism", problem or None, "export/import keeps the state hash")

    def report(self) -> list[Verdict]:
        return [self.verdicts[r] for r in (*ROUTES, *self.modules)]


def _negative(chain: Chain, addresses: frozenset[str]) -> str | None:
    for address in addresses:
        account = chain.ledger.accounts.get(address)
        if account is None:
            continue
        for denom, amount in account.balances.items():
            if amount < 0:
                return f"{address} holds {amount} {denom}"
    for module, balances in chain.ledger.modules.items():
        for denom, amount in balances.items():
            if amount < 0:
                return f"module {module} holds {amount} {denom}"
    return None


def _nonce_gaps(chain: Chain, addresses: frozenset[str]) -> str | None:
    for address in addresses:
        account = chain.ledger.accounts.get(address)
        if account is not None and account.nonce != account.signed:
            return f"{address} has nonce {account.nonce} after {account.signed} included txs"
    return None


def _supply(chain: Chain) -> str | None:
    ledger = chain.ledger
    total: dict[str, int] = {}
    for _, account in ledger.iter_accounts():
        for denom, amount in account.balances.items():
            total[denom] = total.get(denom, 0) + amount
    for balances in ledger.modules.values():
        for denom, amount in balances.items():
            total[denom] = total.get(denom, 0) + amount
    for denom in sorted(set(total) | set(ledger.supply)):
        held, supply = total.get(denom, 0), ledger.supply.get(denom, 0)
        if held != supply:
            return f"{denom}: balances sum to {held}, supply is {supply}"
    return None


def _link(chain: Chain, height: int) -> str | None:
    block, prev = chain.blocks[height], chain.blocks[height - 1]
    params = chain.params
    if block.height != prev.height + 1:
        return f"height {block.height} follows {prev.height}"
    if block.prev_hash != prev.hash:
        return f"block {height} links to {block.prev_hash}, not {prev.hash}"
    if block.time_us <= prev.time_us:
        return f"block {height} time does not increase"
    if len(block.txs) > params.max_block_txs + 1_000 or block.size > params.max_block_bytes:
        return f"block {height} holds {len(block.txs)} txs, {block.size} bytes: over the limits"
    if len(block.codes) != len(block.txs):
        return f"block {height} has {len(block.codes)} outcomes for {len(block.txs)} txs"
    return None


def _admission(chain: Chain) -> str | None:
    """A front-end never holds more requests than its admission queue: the rest are shed with
    503 + Retry-After. Judged whatever the switches (no_load_shedding removes the shedding)."""
    limit = chain.params.admission_queue
    for node in chain.nodes:
        if node.admission_peak > limit:
            return (
                f"{node.node_id}: {node.admission_peak} requests held at once, over the "
                f"admission queue of {limit}: excess load was queued, not shed"
            )
    return None


def _mempool_bounds(chain: Chain, committed: tuple[str, ...]) -> str | None:
    params = chain.params
    unbounded = chain.vulns.on("mempool_unbounded_fifo")
    future_unbounded = chain.vulns.on("future_queue_unbounded")
    height = chain.height
    for node in chain.nodes:
        mempool = node.mempool
        if not unbounded and (
            len(mempool) > params.mempool_max_txs or mempool.bytes > params.mempool_max_bytes
        ):
            return f"{node.node_id}: {len(mempool)} txs, {mempool.bytes} bytes over the caps"
        for sender, queue in mempool.senders.items():
            pending = len(queue.ready) + len(queue.future)
            if not unbounded and pending > params.max_pending_per_sender:
                return f"{node.node_id}: {sender} has {pending} pending txs"
            if not future_unbounded and queue.future:
                ahead = max(queue.future) - chain.ledger.nonce(sender)
                if ahead > params.future_window + params.max_pending_per_sender:
                    return f"{node.node_id}: {sender} queues a nonce {ahead} ahead"
        for tx_hash, since in mempool.heights.items():
            if since + params.mempool_ttl_blocks < height:
                return f"{node.node_id}: tx {tx_hash} pending since height {since}, past TTL"
            break  # heights are in admission order: the first is the oldest
        if not mempool.entries.keys().isdisjoint(committed):  # one pass in C, then the culprit
            tx_hash = next(h for h in committed if h in mempool)
            return f"{node.node_id}: committed tx {tx_hash} still pending"
    return None
