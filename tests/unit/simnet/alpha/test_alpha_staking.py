"""Staking, sAX and distribution on the state machine: every number follows from the params."""

from __future__ import annotations

from alpha_bench import Alpha, make_alpha

from botruntime.chain.tx import bank_send
from simnet.alpha import PPM
from simnet.alpha._distribution import SCALE
from simnet.alpha._staking import BONDED_POOL, NOT_BONDED_POOL

AMOUNT = 5 * 10**6


def delegate(validator: str, amount: int = AMOUNT) -> dict[str, str]:
    return {"type": "staking.delegate", "validator": validator, "amount": str(amount)}


def undelegate(validator: str, amount: int = AMOUNT) -> dict[str, str]:
    return {"type": "staking.undelegate", "validator": validator, "amount": str(amount)}


def redelegate(src: str, dst: str, amount: int = AMOUNT) -> dict[str, str]:
    return {
        "type": "staking.redelegate",
        "src_validator": src,
        "dst_validator": dst,
        "amount": str(amount),
    }


def test_delegation_mints_sax_and_bonds_the_tokens(alpha: Alpha) -> None:
    me, ledger = alpha.ids[0], alpha.chain.ledger
    op = alpha.operators()[0]
    before = (ledger.balance(me.alpha_address, "AX"), ledger.modules[BONDED_POOL]["AX"])
    alpha.run(me, delegate(op))
    assert ledger.balance(me.alpha_address, "sAX") == AMOUNT
    assert ledger.modules[BONDED_POOL]["AX"] == before[1] + AMOUNT
    assert alpha.staking.stake_of(me.alpha_address) == AMOUNT
    assert before[0] - ledger.balance(me.alpha_address, "AX") > AMOUNT  # plus the fee
    assert alpha.broken() == {}


def test_unbonding_pays_once_at_its_completion_height(alpha: Alpha) -> None:
    me, ledger = alpha.ids[0], alpha.chain.ledger
    op = alpha.operators()[1]
    alpha.run(me, delegate(op))
    alpha.run(me, undelegate(op, AMOUNT))
    start = alpha.chain.height
    (entry,) = alpha.staking.unbonding.values()
    assert entry.completion_height == start + alpha.staking.params.unbonding_blocks
    assert ledger.balance(me.alpha_address, "sAX") == 0  # burned as unbonding starts
    assert ledger.modules[NOT_BONDED_POOL]["AX"] == AMOUNT
    ax_before = ledger.balance(me.alpha_address, "AX")
    alpha.step(entry.completion_height - start - 1)
    assert ledger.balance(me.alpha_address, "AX") == ax_before  # not early
    alpha.step(1)
    assert entry.released_at == [entry.completion_height]
    paid = ledger.balance(me.alpha_address, "AX") - ax_before
    alpha.step(3)
    assert paid >= AMOUNT and ledger.balance(me.alpha_address, "AX") - ax_before == paid
    assert alpha.broken() == {}


def test_undelegating_needs_the_sax_as_well_as_the_stake(alpha: Alpha) -> None:
    me, peer = alpha.ids[0], alpha.ids[1]
    op = alpha.operators()[0]
    alpha.run(me, delegate(op))
    alpha.run(me, bank_send(peer.alpha_address, AMOUNT // 2, "sAX"))  # sAX is transferable
    assert alpha.refusal(me, undelegate(op, AMOUNT)) == "insufficient_funds"
    assert alpha.refusal(peer, undelegate(op, AMOUNT // 2)) == "insufficient_funds"  # no stake
    alpha.run(me, undelegate(op, AMOUNT - AMOUNT // 2))
    assert alpha.broken() == {}


def test_transitive_redelegation_waits_for_the_cooldown(alpha: Alpha) -> None:
    me = alpha.ids[0]
    a, b, c = alpha.operators()[:3]
    alpha.run(me, delegate(a))
    alpha.run(me, redelegate(a, b))
    created = alpha.chain.height
    assert alpha.refusal(me, redelegate(b, c)) == "height_not_reached"
    alpha.step(created + alpha.staking.params.unbonding_blocks - alpha.chain.height)
    alpha.run(me, redelegate(b, c))
    assert alpha.staking.stake_of(me.alpha_address) == AMOUNT
    assert alpha.broken() == {}


def test_rewards_follow_stake_commission_and_tax() -> None:
    alpha = make_alpha()
    me = alpha.ids[0]
    op = alpha.operators()[2]
    alpha.run(me, delegate(op))
    validator = alpha.staking.validators[op]
    p = alpha.staking.params
    rest = p.block_reward - -(-p.block_reward * p.community_tax_ppm // PPM)
    part = rest * validator.tokens // alpha.staking.bonded_tokens()
    delegators = part - part * validator.commission_ppm // PPM
    mine = alpha.staking.delegations[(me.alpha_address, op)]
    per_block = delegators * SCALE // validator.shares
    blocks = 7
    alpha.step(blocks)
    assert alpha.distribution.pending(me.alpha_address, op) == mine * per_block * blocks // SCALE
    before = alpha.chain.ledger.balance(me.alpha_address, "AX")
    owed_at_execution = mine * per_block * (blocks + 1) // SCALE  # one more block accrues
    alpha.run(me, {"type": "distribution.withdraw_rewards", "validator": op})
    paid = alpha.chain.ledger.balance(me.alpha_address, "AX") - before
    assert paid == owed_at_execution - 5_000  # FEE from conftest
    assert alpha.distribution.pending(me.alpha_address, op) == 0
    assert alpha.broken() == {}


def test_only_the_operator_edits_commission_within_bounds(alpha: Alpha) -> None:
    operator = alpha.operator_identity(0)
    p = alpha.staking.params
    validator = alpha.staking.validators[operator.alpha_address]
    alpha.chain.ledger.mint(operator.alpha_address, "AX", 10**9)  # fees
    stranger = {"type": "validator.edit", "commission_ppm": validator.commission_ppm}
    assert alpha.refusal(alpha.ids[0], stranger) == "bad_signature"
    too_far = validator.commission_ppm + p.max_commission_change_ppm + 1
    assert alpha.refusal(operator, {"type": "validator.edit", "commission_ppm": too_far}) == (
        "invalid_amount"
    )
    new_rate = validator.commission_ppm + p.max_commission_change_ppm
    alpha.run(operator, {"type": "validator.edit", "commission_ppm": new_rate})
    assert validator.commission_ppm == new_rate
    accrued = alpha.distribution.commission[operator.alpha_address]
    before = alpha.chain.ledger.balance(operator.alpha_address, "AX")
    alpha.run(operator, {"type": "distribution.withdraw_commission"})
    assert alpha.chain.ledger.balance(operator.alpha_address, "AX") - before > accrued - 5_000
    assert alpha.broken() == {}


def test_unbonding_double_release_pays_twice_and_breaks_supply() -> None:
    for vuln, expect_broken in (((), False), (("unbonding_double_release",), True)):
        alpha = make_alpha(vuln)
        me, op = alpha.ids[0], alpha.operators()[0]
        alpha.run(me, delegate(op))
        alpha.run(me, undelegate(op))
        alpha.step(alpha.staking.params.unbonding_blocks)
        broken = alpha.broken()
        assert ("bank/total-supply" in broken) is expect_broken
        assert ("staking/unbonding-once" in broken) is expect_broken


def test_sax_unbacked_mint_breaks_the_backing() -> None:
    for vuln, expect_broken in (((), False), (("sax_unbacked_mint",), True)):
        alpha = make_alpha(vuln)
        me = alpha.ids[0]
        a, b = alpha.operators()[:2]
        alpha.run(me, delegate(a))
        alpha.run(me, redelegate(a, b))
        sax = alpha.chain.ledger.balance(me.alpha_address, "sAX")
        assert sax == (2 * AMOUNT if expect_broken else AMOUNT)
        # genesis self-bonds carry sAX too, so sAX supply == bonded: any extra is unbacked
        assert ("staking/sax-backing" in alpha.broken()) is expect_broken
