"""One chain (Alpha or Delta): ledger, nodes, blocks, tx index, and admission into a node.

The chain is a synchronous state machine: `submit` admits a tx into one node's mempool,
`deliver_gossip` copies admitted txs to the other nodes after the gossip delay, and
`simnet._producer.produce_block` turns a proposer's mempool into the next block. Nothing here
knows of HTTP or asyncio; the caller passes the time in.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final, Literal

from botruntime.chain.tx import JsonValue
from simnet._admission import TxDecoder
from simnet._blocks import Block, TxRecord
from simnet._entry import Entry
from simnet._errors import Rejected, SimnetError
from simnet._history import AddressHistory
from simnet._ledger import Account, Ledger
from simnet._mempool import Mempool
from simnet._module import Modules
from simnet._node import Node
from simnet._nonces import CommittedNonces
from simnet._params import ChainSpec, Params
from simnet._vuln import Vulns

__all__ = ["Chain", "TxStatus"]

TxStatus = Literal["pending", "queued_future", "committed", "failed", "unknown"]
_FAILED_KEPT: Final = 100_000
_DROP_EVERY: Final = 100  # mempool_drop: 1 % of admitted txs
_NOTHING: Final[Mapping[str, int]] = MappingProxyType({})


def _itself(address: str) -> str:
    return address


class Chain:
    def __init__(
        self,
        spec: ChainSpec,
        other: ChainSpec,
        params: Params,
        vulns: Vulns,
        seed: str,
        genesis_time_us: int,
    ) -> None:
        self.spec = spec
        self.params = params
        self.vulns = vulns
        self.seed = seed
        self.rng = random.Random(f"{seed}/{spec.chain_id}")
        self.admitted = 0  # client txs that passed admission checks (mempool_drop counts them)
        self.decoder = TxDecoder(spec, other, params, vulns)
        self.ledger = Ledger(params.history_blocks)
        self.nodes = [
            Node(i, f"v{i + 1}", Mempool(params, vulns, spec.native), params.seen_cache_size)
            for i in range(params.nodes)
        ]
        genesis_hash = hashlib.sha256(f"{seed}/{spec.chain_id}/genesis".encode()).hexdigest()
        self.blocks: list[Block] = [
            Block(0, genesis_time_us, genesis_hash.upper(), "", (), (), "genesis", 0)
        ]
        self.index: dict[str, TxRecord] = {}
        self.committed_keys = CommittedNonces()  # (sender, nonce)
        # address -> (height, index, hash) of committed txs it signed or received, oldest first
        self.by_address: dict[str, AddressHistory] = {}
        self.failed: OrderedDict[str, str] = OrderedDict()  # hash -> code
        self.client_ids: dict[tuple[str, str], tuple[str, int]] = {}
        self.gossip: deque[tuple[float, Entry, int]] = deque()
        self.faucet_queue: list[tuple[str, str, str, int]] = []  # (hash, address, denom, amount)
        self.faucet_drawn: dict[tuple[str, str], int] = {}
        # (funding source, denom) -> drawn by all its addresses; the source of an address is
        # whoever funded it first, up the funding graph (Alpha's campaign installs the rule)
        self.faucet_source_drawn: dict[tuple[str, str], int] = {}
        self.faucet_source: Callable[[str], str] = _itself
        self.arrivals = 0
        self.rejects: Counter[str] = Counter()
        self.evictions: Counter[str] = Counter()
        self.listeners: list[Callable[[Block], None]] = []
        # told of every tx a node's mempool keeps (GET /events/stream pending_tx)
        self.pending_listeners: list[Callable[[Node, Entry], None]] = []
        # what the last block charged and credited as fees (fees/conservation)
        self.block_fees_charged = 0
        self.block_fees_credited = 0
        # what the last block broke of "a failed tx has no effect" (blocks/chain-link)
        self.block_problems: list[str] = []
        self.modules = Modules()  # staking, gov, bridge, dex, ...: installed by simnet._install

    @property
    def height(self) -> int:
        return self.blocks[-1].height

    @property
    def latest(self) -> Block:
        return self.blocks[-1]

    def served_height(self, node: Node) -> int:
        """The height a node answers at: behind by its lag, frozen while partitioned."""
        height = self.height - node.lag_blocks
        if node.partitioned:
            height = min(height, node.frozen_height)
        return max(height, 0)

    # ---- admission -----------------------------------------------------------------------------

    def submit(self, node: Node, raw_tx: object, now_s: float) -> tuple[Entry, TxStatus]:
        """Check and admit one wire tx into `node`'s mempool; raise SimnetError on refusal."""
        entry = self.decode(raw_tx)
        return entry, self.admit(node, entry, now_s)

    def decode(self, raw_tx: object) -> Entry:
        """The stateless checks: the same answer whatever the chain state."""
        try:
            return self.decoder.decode(raw_tx)
        except SimnetError as exc:
            self.rejects[exc.code] += 1
            raise

    def admit(self, node: Node, entry: Entry, now_s: float) -> TxStatus:
        """The stateful checks and the mempool; gossip follows after the delay."""
        self.arrivals += 1
        entry.arrival = self.arrivals
        entry.received_height = self.height
        entry.origin = node.index
        try:
            status, kept = self._admit(node, entry)
        except SimnetError as exc:
            self.rejects[exc.code] += 1
            raise
        if kept and not self.vulns.on("no_mempool_gossip"):
            self.gossip.append((now_s + self.params.gossip_delay_s, entry, node.index))
        return status

    def _admit(self, node: Node, entry: Entry) -> tuple[TxStatus, bool]:
        """Admit `entry` from a client into `node`; return its status and whether the mempool
        kept it."""
        tx_hash = entry.hash
        if tx_hash in node.seen or tx_hash in node.mempool.entries:
            raise Rejected("duplicate_tx", f"tx {tx_hash} was already received", {"hash": tx_hash})
        record = self.index.get(tx_hash)
        if record is not None and not self.vulns.on("nonce_not_enforced"):
            raise Rejected(
                "duplicate_tx",
                f"tx {tx_hash} is already committed at height {record.height}",
                {"hash": tx_hash, "height": record.height},
            )
        if entry.client_tx_id is not None or entry.timeout_height or entry.msgs:
            self._check_window(entry)
        account = self.ledger.accounts.get(entry.sender)
        return self._take(node, entry, account, self.creation_fees(entry), True)

    def _take(
        self, node: Node, entry: Entry, account: Account | None, creation: int, client: bool
    ) -> tuple[TxStatus, bool]:
        """What differs per node, for a tx from a `client` or a copy gossiped from another
        node: the nonce's room in its mempool, the balance its pending txs leave, the room
        in the pool; then the insertion. What is the same on every node was checked before:
        the window, the sender's `account`, the account-`creation` fees the tx owes."""
        tx_hash = entry.hash
        mempool = node.mempool
        placement, replaced = mempool.place(entry, 0 if account is None else account.nonce)
        if placement == "ready":
            self._check_funds(mempool, entry, replaced, account, creation)
        else:
            self._check_funds_alone(entry)
        # every 100th tx a client submitted, the first early: 1 % exactly, so a short run sees
        # it too; a gossiped copy is never the one dropped (its original lives on elsewhere)
        if client:
            self.admitted += 1
            if self.vulns.on("mempool_drop") and self.admitted % _DROP_EVERY == _DROP_EVERY // 10:
                node.remember(tx_hash)
                return "pending", False  # answered ok, silently never kept
        height = self.blocks[-1].height
        evicted = mempool.insert(entry, placement, replaced, height)
        if evicted:
            for gone in evicted:
                if gone is not entry:
                    self.fail(gone.hash, "mempool_full" if gone is not replaced else "bad_nonce")
        node.remember(tx_hash)
        if entry.client_tx_id is not None:
            self.client_ids[(entry.sender, entry.client_tx_id)] = (tx_hash, height)
        if self.pending_listeners:
            for listener in self.pending_listeners:
                listener(node, entry)
        return ("pending" if placement == "ready" else "queued_future"), True

    def creation_fees(self, entry: Entry) -> int:
        """The account-creation fee for each recipient that does not exist yet."""
        if self.vulns.on("free_dust_accounts"):
            return 0
        accounts = self.ledger.accounts
        if len(entry.transfers) == 1:  # the common transfer: no set to build
            exists = entry.transfers[0][0] in accounts
            return 0 if exists else self.params.account_creation_fee
        new = {to for to, _, _ in entry.transfers if to not in accounts}
        return len(new) * self.params.account_creation_fee

    def _check_funds(
        self,
        mempool: Mempool,
        entry: Entry,
        replaced: Entry | None,
        account: Account | None,
        creation: int,
    ) -> None:
        """`entry` ready after the sender's ready txs on this node: the sender's `account`
        pays for them all and the account `creation` fees (the one `replaced` goes)."""
        native = self.spec.native
        committed = mempool.spent_by(entry.sender)
        back = _NOTHING if replaced is None else replaced.costs(native)  # same nonce: it goes
        balances = _NOTHING if account is None else account.balances
        for denom, cost in entry.costs(native).items():
            needed = cost + (creation if denom == native else 0)
            held = committed.get(denom, 0) - back.get(denom, 0)
            available = balances.get(denom, 0) - held
            if needed > available:
                raise Rejected(
                    "insufficient_funds",
                    f"{entry.sender} needs {needed} {denom} (fee, amounts and account "
                    f"creation) but has {max(available, 0)} after its pending txs",
                    {"denom": denom, "needed": str(needed), "available": str(max(available, 0))},
                )

    def _check_funds_alone(self, entry: Entry) -> None:
        """A tx queued behind a nonce gap must at least be payable on its own (as geth checks
        every tx's cost against the balance): one that never could is refused, not parked."""
        for denom, cost in entry.costs(self.spec.native).items():
            available = self.ledger.balance(entry.sender, denom)
            if cost > available:
                raise Rejected(
                    "insufficient_funds",
                    f"{entry.sender} needs {cost} {denom} (fee and amounts) but holds {available}",
                    {"denom": denom, "needed": str(cost), "available": str(available)},
                )

    def fail(self, tx_hash: str, code: str) -> None:
        """Remember why a tx left the mempools without entering a block (GET /txs/{hash})."""
        self.failed[tx_hash] = code
        self.evictions[code] += 1
        if len(self.failed) > _FAILED_KEPT:
            self.failed.popitem(last=False)

    # ---- gossip --------------------------------------------------------------------------------

    def deliver_gossip(self, now_s: float) -> int:
        """Copy txs whose gossip delay has passed to every other live node; return how many."""
        gossip = self.gossip
        if not gossip or gossip[0][0] > now_s:
            return 0
        delivered = 0
        nodes = self.nodes
        live = [node for node in nodes if node.live]  # no switch flips within this call
        index = self.index if not self.vulns.on("nonce_not_enforced") else {}
        accounts = self.ledger.accounts
        take = self._take
        while gossip and gossip[0][0] <= now_s:
            _, entry, origin = gossip.popleft()
            tx_hash = entry.hash
            if tx_hash in index or not nodes[origin].live:
                continue
            shared: tuple[Account | None, int] | None = None
            for node in live:
                if node.index == origin or tx_hash in node.seen or tx_hash in node.mempool.entries:
                    continue  # the origin, or a node that has it already
                try:
                    if shared is None:  # what every node finds the same, checked once per tx
                        if entry.client_tx_id is not None or entry.timeout_height or entry.msgs:
                            self._check_window(entry)
                        shared = (accounts.get(entry.sender), self.creation_fees(entry))
                    take(node, entry, shared[0], shared[1], False)
                    delivered += 1
                except SimnetError:
                    continue
        return delivered

    def regossip(self, now_s: float) -> None:
        """After a partition heals: every live node offers its mempool to the others."""
        if self.vulns.on("no_mempool_gossip"):
            return
        for node in self.nodes:
            if node.live:
                for entry in node.mempool.entries.values():
                    self.gossip.append((now_s, entry, node.index))

    # ---- reads ---------------------------------------------------------------------------------

    def tx_status(self, node: Node, tx_hash: str) -> tuple[TxStatus, dict[str, JsonValue]]:
        record = self.index.get(tx_hash)
        if record is not None and record.height <= self.served_height(node):
            if record.code != "ok":  # in the block, fee and nonce spent, messages undone
                return "failed", {"height": record.height, "code": record.code}
            return "committed", {"height": record.height}
        status = node.mempool.status(tx_hash)
        if status is not None:
            return status, {}
        code = self.failed.get(tx_hash)
        if code is not None:
            return "failed", {"code": code}
        if record is not None or tx_hash in node.seen:
            return "pending", {}
        return "unknown", {}

    def _check_window(self, entry: Entry) -> None:
        """The checks against the current height that admission and simulation share: the
        client_tx_id window, the timeout height, and the modules' own message checks."""
        height = self.height
        if entry.client_tx_id is not None:
            key = (entry.sender, entry.client_tx_id)
            used = self.client_ids.get(key)
            window = self.params.client_tx_id_window_blocks
            if used is not None and used[0] != entry.hash and height - used[1] <= window:
                raise Rejected(
                    "duplicate_client_id",
                    f"client_tx_id {entry.client_tx_id!r} was used by tx {used[0]} "
                    f"at height {used[1]} (window {window} blocks)",
                    {"hash": used[0], "height": used[1]},
                )
        if entry.timeout_height and entry.timeout_height <= height:
            raise Rejected(
                "deadline_exceeded",
                f"body.timeout_height {entry.timeout_height} is not above the height {height}",
                {"height": height},
            )
        if entry.msgs:
            self.modules.check(entry, height, self.spec.chain_id)

    def simulate(self, node: Node, entry: Entry) -> TxStatus:
        """What `admit` would answer, without admitting: the stateful checks only."""
        if entry.hash in node.mempool or entry.hash in self.index:
            raise Rejected(
                "duplicate_tx", f"tx {entry.hash} is already known", {"hash": entry.hash}
            )
        self._check_window(entry)
        account = self.ledger.accounts.get(entry.sender)
        placement, replaced = node.mempool.place(entry, 0 if account is None else account.nonce)
        if placement == "ready":
            self._check_funds(node.mempool, entry, replaced, account, self.creation_fees(entry))
        else:
            self._check_funds_alone(entry)
        return "pending" if placement == "ready" else "queued_future"

    def index_address(self, address: str, height: int, index: int) -> None:
        """Tx `index` of block `height` involves `address` (the block may not be appended yet)."""
        history = self.by_address.get(address)
        if history is None:
            history = self.by_address[address] = AddressHistory(self)
        history.append(height, index)

    def block_at(self, height: int) -> Block | None:
        return self.blocks[height] if 0 <= height < len(self.blocks) else None

    def nodes_by_id(self, node_ids: Iterable[str]) -> list[Node]:
        wanted = set(node_ids)
        return [n for n in self.nodes if n.node_id in wanted]
