"""Each core vulnerable-mode switch: off by default, and when on it opens exactly its weakness.

Every case is a function that runs the same scenario and returns True when the weakness shows.
The same function runs with the switch off (must be False) and on (must be True).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from botruntime.chain.tx import canonical_json
from botruntime.identity import parse_address
from simnet import Params, SimnetError


def try_submit(bench: Any, wire: Any, node: int = 0, chain: str = "alpha") -> str:
    """'pending' / 'queued_future' when admitted, else the refusal code."""
    c = bench.network.chains[chain]
    try:
        return str(c.submit(c.nodes[node], wire, bench.clock())[1])
    except SimnetError as exc:
        return exc.code


def broken(bench: Any, route: str) -> bool:
    for inv in bench.network.invariants.values():
        inv.full()
    return any(not inv.verdicts[route].ok for inv in bench.network.invariants.values())


def mempool_drop(bench: Any) -> bool:
    admitted = [
        bench.tx(who, nonce)
        for who in range(40)
        for nonce in range(10)
        if try_submit(bench, bench.tx(who, nonce)) == "pending"
    ]
    bench.network.step(3)
    return len(bench.alpha.index) < len(admitted)


def fee_leak(bench: Any) -> bool:
    try_submit(bench, bench.tx(0, 0))
    bench.network.step(1)
    return broken(bench, "fees/conservation") and broken(bench, "bank/total-supply")


def mempool_unbounded_fifo(bench: Any) -> bool:
    codes = [try_submit(bench, bench.tx(who, 0, fee=5_000)) for who in range(12)]
    rich = bench.tx(20, 0, fee=50_000)
    code = try_submit(bench, rich)
    bench.network.step(1)
    first = bench.alpha.blocks[1].txs[0]
    fifo = first != bench.alpha.decode(rich).hash
    return "mempool_full" not in codes and code == "pending" and fifo


def nonce_not_enforced(bench: Any) -> bool:
    wire = bench.tx(0, 0)
    try_submit(bench, wire)
    bench.network.step(1)
    replay = try_submit(bench, wire)
    bench.network.step(1)
    return (
        replay == "pending"
        and bench.alpha.ledger.balance(bench.ids[1].alpha_address, "AX") == 10**12 + 2 * 10**6
    )


def chain_id_unsigned(bench: Any) -> bool:
    wire = bench.tx(0, 0)
    body = wire["body"]
    body["chain_id"] = "delta-simnet-1"
    body["sender"] = parse_address(body["sender"]).encode("dx")
    body["msgs"][0]["to"] = parse_address(body["msgs"][0]["to"]).encode("dx")
    body["msgs"][0]["denom"] = "DX"
    return try_submit(bench, wire, chain="delta") == "pending"


def noncanonical_hash(bench: Any) -> bool:
    wire = bench.tx(0, 0)
    reordered = {"signature": wire["signature"], "pubkey": wire["pubkey"], "body": wire["body"]}
    entry, _ = bench.alpha.submit(bench.alpha.nodes[0], reordered, bench.clock())
    bench.network.step(1)
    return entry.hash != entry.canonical_hash and broken(bench, "auth/unique-tx")


def deliver_trusts_checktx(bench: Any) -> bool:
    everything = 10**12 - 10_000
    try_submit(bench, bench.tx(0, 0, to=1, amount=everything), node=0)
    try_submit(bench, bench.tx(0, 0, to=2, amount=everything), node=1)
    bench.network.step(1)
    return bench.alpha.ledger.balance(bench.ids[0].alpha_address, "AX") < 0


def no_size_limits(bench: Any) -> bool:
    return try_submit(bench, bench.tx(0, 0, memo="m" * 300, fee=10**6)) == "pending"


def free_dust_accounts(bench: Any) -> bool:
    newcomer = len(bench.ids) - 1
    code = try_submit(bench, bench.tx(0, 0, to=newcomer, amount=1))
    bench.network.step(1)
    paid = 10**12 - bench.alpha.ledger.balance(bench.ids[0].alpha_address, "AX")
    return code == "pending" and paid == 5_000 + 1


def lenient_decode(bench: Any) -> bool:
    me = bench.ids[0]
    wire = bench.tx(0, 0)
    wire["body"]["msgs"][0]["amount"] = "-5000000"
    wire["body"]["gas"] = 1
    wire["signature"] = base64.b64encode(me.sign(canonical_json(wire["body"]))).decode()
    code = try_submit(bench, wire)
    bench.network.step(1)
    pulled = bench.alpha.ledger.balance(bench.ids[1].alpha_address, "AX") < 10**12
    return code == "pending" and pulled  # a negative amount took funds from the recipient


def one_pending_per_sender(bench: Any) -> bool:
    try_submit(bench, bench.tx(0, 0))
    return try_submit(bench, bench.tx(0, 1)) == "bad_nonce"


def future_queue_unbounded(bench: Any) -> bool:
    code = try_submit(bench, bench.tx(0, 40))
    bench.network.step(25)
    return (
        code == "queued_future"
        and bench.alpha.nodes[0].mempool.status(
            bench.alpha.nodes[0].mempool.senders[bench.ids[0].alpha_address].future[40].hash
        )
        == "queued_future"
    )


def no_gap_promotion(bench: Any) -> bool:
    later = bench.alpha.decode(bench.tx(0, 1)).hash
    try_submit(bench, bench.tx(0, 1))
    try_submit(bench, bench.tx(0, 0))
    bench.network.step(3)
    return later not in bench.alpha.index


def no_mempool_gossip(bench: Any) -> bool:
    try_submit(bench, bench.tx(0, 0), node=0)
    bench.clock.now += 1.0
    bench.network.pump()
    return len(bench.alpha.nodes[1].mempool) == 0


CASES: dict[str, Callable[[Any], bool]] = {
    f.__name__: f
    for f in (
        mempool_drop,
        fee_leak,
        mempool_unbounded_fifo,
        nonce_not_enforced,
        chain_id_unsigned,
        noncanonical_hash,
        deliver_trusts_checktx,
        no_size_limits,
        free_dust_accounts,
        lenient_decode,
        one_pending_per_sender,
        future_queue_unbounded,
        no_gap_promotion,
        no_mempool_gossip,
    )
}


@pytest.mark.parametrize("switch", sorted(CASES))
def test_the_switch_is_off_by_default_and_opens_its_weakness(
    switch: str, bench_factory: Callable[..., Any]
) -> None:
    params = Params(mempool_max_txs=10)
    defended = bench_factory(params, accounts=45)
    weak = bench_factory(params, (switch,), accounts=45)
    assert defended.network.vulns.active == []
    assert (CASES[switch](defended), CASES[switch](weak)) == (False, True)
