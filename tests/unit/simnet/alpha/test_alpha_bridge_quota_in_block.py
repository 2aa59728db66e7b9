"""Bridge locks that pass admission one by one but together exceed the window's outflow quota:
the block is still produced, the tx over the quota is included with `quota_exceeded`, pays its
fee, moves nothing, and every invariant holds (found by the Alpha state machine)."""

from alpha_bench import make_alpha

from botruntime.chain.tx import Msg


def test_a_quota_hit_at_execution_fails_that_tx_and_not_the_block() -> None:
    alpha = make_alpha()
    me = alpha.ids[0]
    bridge = alpha.bridge
    bridge.roll_window()
    amount = bridge.window_quota // 2 + 1  # two fit in admission one at a time, not together
    lock: Msg = {
        "type": "bridge.lock",
        "to": me.delta_address,
        "amount": str(amount),
        "withhold": False,
    }
    entries = [alpha.submit(me, lock) for _ in range(2)]
    height = alpha.chain.height
    alpha.step(1)
    assert alpha.chain.height == height + 1
    codes = [alpha.chain.tx_status(alpha.chain.nodes[0], e.hash)[1].get("code") for e in entries]
    assert codes[0] in (None, "ok") and codes[1] == "quota_exceeded", codes
    assert alpha.chain.ledger.nonce(me.alpha_address) == 2  # the failed lock spent its nonce
    assert alpha.broken() == {}
