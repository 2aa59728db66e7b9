"""The bridge on the state machine: roundtrip, timeout refund, replayed claims, outflow quota."""

from __future__ import annotations

from alpha_bench import Alpha, make_alpha

from botruntime.chain.tx import JsonValue
from simnet.bridge import Transfer

AMOUNT = 3 * 10**6


def lock(to: str, amount: int = AMOUNT, withhold: bool = False) -> dict[str, JsonValue]:
    return {"type": "bridge.lock", "to": to, "amount": str(amount), "withhold": withhold}


def claim_of(alpha: Alpha, transfer: Transfer) -> dict[str, JsonValue]:
    attestation = alpha.bridge.attestation(transfer)
    assert attestation is not None
    return {
        "type": "bridge.claim",
        "transfer_id": transfer.id,
        "recipient": transfer.recipient,
        "amount": str(transfer.amount),
        "attestation": attestation,
    }


def only_transfer(alpha: Alpha) -> Transfer:
    (transfer,) = alpha.bridge.transfers.values()
    return transfer


def test_lock_relay_mint_then_burn_and_release(alpha: Alpha) -> None:
    me = alpha.ids[0]
    ax_before = alpha.chain.ledger.balance(me.alpha_address, "AX")
    alpha.run(me, lock(me.delta_address))
    transfer = only_transfer(alpha)
    assert alpha.bridge.attestation(transfer) is None  # the key set waits the relay delay
    alpha.step(alpha.bridge.params.relay_delay_blocks + 2)
    assert transfer.status == "completed" and transfer.mints == 1
    assert alpha.delta.ledger.balance(me.delta_address, "bAX") == AMOUNT
    alpha.run(
        me,
        {"type": "bridge.burn", "to": me.alpha_address, "amount": str(AMOUNT), "withhold": False},
        chain="delta",
    )
    back = alpha.bridge.transfers["dx-2"]
    alpha.step(alpha.bridge.params.relay_delay_blocks + 2)
    assert back.status == "completed"
    assert alpha.bridge.escrow() == 0
    assert ax_before - alpha.chain.ledger.balance(me.alpha_address, "AX") == 5_000  # the fee
    assert alpha.broken() == {}


def test_a_withheld_transfer_is_refunded_at_its_timeout(alpha: Alpha) -> None:
    me = alpha.ids[0]
    alpha.run(me, lock(me.delta_address, withhold=True))
    transfer = only_transfer(alpha)
    alpha.step(transfer.timeout_height - alpha.chain.height - 1)
    assert transfer.status == "pending"
    late_claim = claim_of(alpha, transfer)
    alpha.step(1)
    assert transfer.status == "refunded" and transfer.refund_height == transfer.timeout_height
    assert alpha.refusal(me, late_claim, chain="delta") == "deadline_exceeded"
    assert alpha.broken() == {}


def test_a_replayed_claim_is_refused_on_both_chains(alpha: Alpha) -> None:
    me = alpha.ids[0]
    alpha.run(me, lock(me.delta_address))
    alpha.step(alpha.bridge.params.relay_delay_blocks + 2)
    replay = claim_of(alpha, only_transfer(alpha))
    assert alpha.refusal(me, replay, chain="delta") == "already_claimed"
    other_chain = {**replay, "recipient": me.alpha_address}
    assert alpha.refusal(me, other_chain, chain="alpha") == "not_found"


def test_bridge_no_once_mints_a_replayed_claim_again() -> None:
    for vuln, expect_broken in (((), False), (("bridge_no_once",), True)):
        alpha = make_alpha(vuln)
        me = alpha.ids[0]
        alpha.run(me, lock(me.delta_address, withhold=True))
        alpha.step(alpha.bridge.params.relay_delay_blocks)
        claim = claim_of(alpha, only_transfer(alpha))
        alpha.run(me, claim, chain="delta")
        if expect_broken:
            alpha.run(me, claim, chain="delta")
        else:
            assert alpha.refusal(me, claim, chain="delta") == "already_claimed"
        minted = alpha.delta.ledger.balance(me.delta_address, "bAX")
        assert minted == (2 if expect_broken else 1) * AMOUNT
        broken = alpha.broken()
        assert ("bridge/once" in broken) is expect_broken
        assert ("bridge/escrow-backing" in broken) is expect_broken


def test_locks_beyond_the_window_quota_are_refused(alpha: Alpha) -> None:
    me = alpha.ids[0]
    p = alpha.bridge.params
    quota = max(alpha.bridge.escrow(), p.quota_floor) * p.outflow_ppm // 1_000_000
    alpha.run(me, lock(me.delta_address, quota - AMOUNT))
    assert alpha.refusal(me, lock(me.delta_address, AMOUNT + 1)) == "quota_exceeded"
    alpha.run(me, lock(me.delta_address, AMOUNT))
    assert alpha.broken() == {}


def test_a_sender_finds_its_own_transfers_in_lock_order_after_an_import_too(alpha: Alpha) -> None:
    me, other = alpha.ids[0], alpha.ids[1]
    alpha.run(me, lock(me.delta_address))
    alpha.run(other, lock(other.delta_address))
    alpha.run(me, lock(me.delta_address, withhold=True))
    mine = [t.id for t in alpha.bridge.by_sender[me.alpha_address]]
    assert mine == ["ax-1", "ax-3"]
    fresh = make_alpha()
    fresh.bridge.load_wire(alpha.bridge.to_wire())
    assert [t.id for t in fresh.bridge.by_sender[me.alpha_address]] == mine
    assert fresh.bridge.by_sender[me.alpha_address][1] is fresh.bridge.transfers["ax-3"]
