"""The block producer: the proposer's mempool becomes the next block, executed on the ledger.

Each tx runs as Cosmos DeliverTx does, in two steps. The ante checks (nonce, timeout, the fee
payable) decide whether it enters the block at all: a tx that fails them is dropped, and its
nonce stays free. Then its messages run (amounts, account creation, module messages): if they
fail, the tx stays in the block with that code, its fee is charged and its nonce is spent,
and the messages change nothing. `deliver_trusts_checktx` skips the ante checks and the
balance check of the transfers, and the proposer merges every node's mempool (the A2 double
spend). After the block: included txs leave every mempool, senders' queues are re-checked
(stale nonces dropped, futures promoted, txs the sender can no longer pay for dropped), the
TTL is applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Final

from botruntime.chain.tx import JsonValue
from simnet._blocks import Block, TxRecord, block_hash, encode_body
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected, SimnetError
from simnet._ledger import FAUCET, FEE_COLLECTOR
from simnet._node import Node

__all__ = ["BlockResult", "produce_block"]

_NO_BALANCES: Final[Mapping[str, int]] = MappingProxyType({})  # an account not created yet


@dataclass(frozen=True, slots=True)
class BlockResult:
    block: Block
    touched: frozenset[str]  # accounts written by the block
    failed: tuple[str, ...]  # hashes dropped at execution (ante checks): not in the block
    duplicates: tuple[str, ...]  # (sender, nonce) committed twice: auth/unique-tx breaks


def proposer_for(chain: Chain, height: int) -> Node | None:
    """Round robin over the nodes, skipping those that are down, paused or cut off."""
    nodes = chain.nodes
    for step in range(len(nodes)):
        node = nodes[(height + step) % len(nodes)]
        if node.live:
            return node
    return None


def produce_block(chain: Chain, now_us: int) -> BlockResult | None:
    """Make block height+1 at `now_us` (monotonic); None when no node can propose."""
    height = chain.height + 1
    proposer = proposer_for(chain, height)
    if proposer is None:
        return None
    ledger = chain.ledger
    ledger.begin_block(height)
    chain.modules.begin_block(height)
    chain.block_fees_charged = chain.block_fees_credited = 0
    hashes: list[str] = []
    bodies: list[bytes] = []
    for tx_hash, address, denom, amount in chain.faucet_queue:
        ledger.mint(address, denom, amount)
        chain.index[tx_hash] = TxRecord(height, len(hashes), FAUCET, -1, tx_hash)
        chain.index_address(address, height, len(hashes))
        hashes.append(tx_hash)
        faucet_body: dict[str, JsonValue] = {
            "faucet": {"address": address, "denom": denom, "amount": str(amount)}
        }
        bodies.append(encode_body(faucet_body))
    faucet = len(hashes)
    chain.faucet_queue = []
    failed: list[str] = []
    failed_senders: set[str] = set()
    codes = ["ok"] * len(hashes)
    problems: list[str] = []
    trust = chain.vulns.on("deliver_trusts_checktx")

    def include(entry: Entry) -> bool:
        try:
            _ante(chain, entry, height, trust)
        except Rejected as exc:
            failed.append(entry.hash)
            failed_senders.add(entry.sender)
            chain.fail(entry.hash, exc.code)
            for node in chain.nodes:
                node.mempool.remove(entry.hash)
            return False
        touched = ledger.touched
        before = len(touched) + (entry.sender not in touched)  # the fee touches the sender
        code = _deliver(chain, entry, height, trust)
        if code != "ok" and len(touched) > before:
            problems.append(f"tx {entry.hash} failed ({code}) but changed other accounts")
        codes.append(code)
        return True

    max_txs, max_bytes = chain.params.max_block_txs, chain.params.max_block_bytes
    if trust:
        entries = _merged(chain.nodes, max_txs, max_bytes)
        taken = [e for e in entries if include(e)]
    else:
        taken = proposer.mempool.reap(max_txs, max_bytes, include)
    effective = [e for e, code in zip(taken, codes[faucet:], strict=True) if code == "ok"]
    chain.modules.end_block(height, effective)
    chain.block_problems = problems
    prev = chain.latest
    time_us = max(prev.time_us + 1, now_us)
    committed_keys = chain.committed_keys
    duplicates: list[str] = []
    index, index_address = chain.index, chain.index_address
    for i, entry in enumerate(taken, start=faucet):
        tx_hash, sender, nonce = entry.hash, entry.sender, entry.nonce
        hashes.append(tx_hash)
        bodies.append(encode_body(entry.wire))
        code = codes[i]
        index[tx_hash] = TxRecord(height, i, sender, nonce, entry.canonical_hash, code)
        index_address(sender, height, i)
        if code == "ok":  # a failed tx paid no one: it is in its sender's history only
            transfers = entry.transfers
            if len(transfers) == 1:  # the common transfer: no set to build
                if transfers[0][0] != sender:
                    index_address(transfers[0][0], height, i)
            else:
                for to in {to for to, _, _ in transfers if to != sender}:
                    index_address(to, height, i)
        if not committed_keys.commit(sender, nonce):
            duplicates.append(f"{sender}/{nonce}")
    txs = tuple(hashes)
    block = Block(
        height=height,
        time_us=time_us,
        hash=block_hash(chain.spec.chain_id, height, time_us, prev.hash, txs, tuple(codes)),
        prev_hash=prev.hash,
        txs=txs,
        bodies=tuple(bodies),
        proposer=proposer.node_id,
        size=sum(e.size for e in taken),
        codes=tuple(codes),
        events=(
            ((),) * faucet + tuple(tuple(e.events or ()) for e in taken)
            if any(e.events for e in taken)
            else ()
        ),
    )
    chain.blocks.append(block)
    proposer.log(f"proposed block {height} with {len(txs)} txs")
    ledger.end_block()
    _after_block(chain, taken, height, failed_senders)
    return BlockResult(block, frozenset(ledger.touched), tuple(failed), tuple(duplicates))


def _ante(chain: Chain, entry: Entry, height: int, trust: bool) -> None:
    """What decides whether the tx enters the block: raise Rejected to drop it."""
    if trust:
        return
    account = chain.ledger.accounts.get(entry.sender)
    nonce, balances = (0, _NO_BALANCES) if account is None else (account.nonce, account.balances)
    if nonce != entry.nonce and not chain.vulns.on("nonce_not_enforced"):
        raise Rejected("bad_nonce", "nonce changed before execution", {})
    if entry.timeout_height and height > entry.timeout_height:
        raise Rejected("deadline_exceeded", "timeout_height passed before execution", {})
    if balances.get(chain.spec.native, 0) < entry.fee:
        raise Rejected("insufficient_funds", "the fee was spent before execution", {})


def _deliver(chain: Chain, entry: Entry, height: int, trust: bool) -> str:
    """Run the messages, charge the fee, spend the nonce; the messages' code ("ok" or why they
    failed, in which case they changed nothing and only the fee is charged)."""
    ledger = chain.ledger
    native = chain.spec.native
    sender = entry.sender
    creation = chain.creation_fees(entry)
    code = "ok"
    entry.events = None  # a tx is executed once; a module writes what its messages did
    try:
        if not trust:
            costs = entry.cost(native, creation) if creation else entry.costs(native)
            account = ledger.accounts.get(sender)
            balances = _NO_BALANCES if account is None else account.balances
            for denom, needed in costs.items():
                if balances.get(denom, 0) < needed:
                    raise Rejected("insufficient_funds", f"{denom} spent before execution", {})
        if entry.msgs:  # checks, then applies: a refusal changes nothing
            chain.modules.execute(entry, height, entry.fee + creation, chain.spec.chain_id)
    except SimnetError as exc:  # any refusal at execution (a reject, a quota) fails the tx
        code, creation = exc.code, 0
        entry.events = None
    fees = entry.fee + creation
    chain.block_fees_charged += fees
    if not chain.vulns.on("fee_leak"):
        ledger.add_module(FEE_COLLECTOR, native, fees)
        chain.block_fees_credited += fees
    ledger.settle(
        sender,
        entry.pubkey,
        (native, fees),
        entry.transfers if code == "ok" else (),
        advance_nonce=not chain.vulns.on("nonce_not_enforced"),
    )
    return code


def _merged(nodes: Iterable[Node], max_txs: int, max_bytes: int) -> list[Entry]:
    """Every node's admitted txs, once each, best fee per byte first, within block limits."""
    seen: dict[str, Entry] = {}
    for node in nodes:
        if node.up:
            for tx_hash, entry in node.mempool.entries.items():
                seen.setdefault(tx_hash, entry)
    ordered = sorted(seen.values(), key=lambda e: (-e.fee_per_byte, e.arrival))
    out: list[Entry] = []
    size = 0
    for entry in ordered:
        if len(out) >= max_txs:
            break
        if size + entry.size <= max_bytes:
            out.append(entry)
            size += entry.size
    return sorted(out, key=lambda e: (e.sender, e.nonce, e.arrival))


def _after_block(chain: Chain, taken: list[Entry], height: int, failed_senders: set[str]) -> None:
    # a sender whose tx failed has a gap where it was: recheck demotes what follows it
    ledger = chain.ledger
    senders = {e.sender for e in taken} | failed_senders
    hashes = [e.hash for e in taken]
    for node in chain.nodes:
        mempool = node.mempool
        mempool.remove_committed(hashes)
        forget = node.seen.pop
        for tx_hash in hashes:
            forget(tx_hash, None)  # past commit, replays meet the nonce check
        queues = mempool.senders
        for sender in senders:
            if sender not in queues:
                continue  # nothing of it pending here: nothing to recheck
            for stale in mempool.recheck(sender, ledger.nonce(sender)):
                if stale.hash not in chain.index:
                    chain.fail(stale.hash, "bad_nonce")
            for unpaid in mempool.recheck_funds(sender, partial(ledger.balance, sender)):
                if unpaid.hash not in chain.index:
                    chain.fail(unpaid.hash, "insufficient_funds")
        for expired in mempool.expire(height):
            chain.fail(expired.hash, "deadline_exceeded")


def faucet_hash(chain_id: str, address: str, denom: str, amount: int, serial: int) -> str:
    text = f"faucet/{chain_id}/{address}/{denom}/{amount}/{serial}"
    return hashlib.sha256(text.encode()).hexdigest().upper()
