"""What a delegator was paid, kept per address (the shadow ledger's source for rewards), and
Alpha's periods set from the command line or a scenario's simnet profile."""

from __future__ import annotations

import pytest
from alpha_bench import make_alpha

from botruntime.chain.tx import delegate, redelegate, withdraw_rewards
from simnet._network import Network
from simnet._params import Params
from simnet.alpha import AlphaParams


def test_every_reward_paid_to_an_address_adds_to_its_total() -> None:
    alpha = make_alpha()
    me, ledger = alpha.ids[0].alpha_address, alpha.chain.ledger
    op, other = alpha.operators()[:2]
    alpha.run(alpha.ids[0], delegate(op, 5 * 10**6))
    gained = 0
    for msg in (withdraw_rewards(op), redelegate(op, other, 10**6), withdraw_rewards(other)):
        before, paid = ledger.balance(me, "AX"), alpha.distribution.paid.get(me, 0)
        alpha.step(3)
        alpha.run(alpha.ids[0], msg)
        delta = alpha.distribution.paid[me] - paid
        assert delta > 0 and ledger.balance(me, "AX") - before == delta - 5_000  # the fee
        gained += delta
    assert alpha.distribution.paid[me] == gained
    copy = make_alpha()
    copy.distribution.load_wire(alpha.distribution.to_wire())
    assert copy.distribution.paid == alpha.distribution.paid


def test_alpha_periods_are_overridden_by_name_and_checked() -> None:
    network = Network(Params(), "unit", alpha_params={"unbonding_blocks": 3, "voting_blocks": 4})
    params = network.chains["alpha"].modules.get("staking").params  # type: ignore[union-attr]
    assert (params.unbonding_blocks, params.voting_blocks, params.deposit_blocks) == (3, 4, 10)
    network.reset("again", ())
    params = network.chains["alpha"].modules.get("gov").params  # type: ignore[union-attr]
    assert params.voting_blocks == 4  # a reset keeps the network's profile
    with pytest.raises(ValueError, match="no Alpha parameter 'unbonding'"):
        AlphaParams.with_overrides({"unbonding": 3})
    with pytest.raises(ValueError, match="integer >= 1"):
        AlphaParams.with_overrides({"voting_blocks": 0})
