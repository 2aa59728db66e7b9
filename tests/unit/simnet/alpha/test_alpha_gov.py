"""Governance on the state machine: deposits, votes, tally, a parameter change taking effect."""

from __future__ import annotations

import pytest
from alpha_bench import Alpha, make_alpha

from simnet._errors import Rejected
from simnet.alpha import PPM, parse_option
from simnet.alpha._gov import GOV


def proposal(deposit: int, param: str = "", value: str = "") -> dict[str, str]:
    return {
        "type": "gov.submit_proposal",
        "title": "raise the minimum fee",
        "param": param,
        "value": value,
        "deposit": str(deposit),
    }


def vote(pid: int, option: str) -> dict[str, object]:
    return {"type": "gov.vote", "proposal_id": pid, "option": option}


def stake_for_quorum(alpha: Alpha) -> int:
    """Enough stake that one voter alone meets the quorum."""
    p = alpha.gov.params
    return -(-alpha.staking.bonded_tokens() * p.quorum_ppm // (PPM - p.quorum_ppm)) + 1


def test_a_proposal_opens_with_the_minimum_initial_deposit(alpha: Alpha) -> None:
    me = alpha.ids[0]
    least = alpha.gov.params.initial_deposit()
    assert least * PPM >= alpha.gov.params.min_deposit * alpha.gov.params.min_initial_deposit_ppm
    assert alpha.refusal(me, proposal(least - 1)) == "invalid_amount"
    alpha.run(me, proposal(least))
    assert alpha.gov.proposals[1].status == "deposit_period"
    assert alpha.chain.ledger.modules[GOV]["AX"] == least


def test_a_passed_param_change_takes_effect_and_refunds_deposits(alpha: Alpha) -> None:
    me, other = alpha.ids[0], alpha.ids[1]
    op = alpha.operators()[0]
    stake = stake_for_quorum(alpha)
    alpha.run(me, {"type": "staking.delegate", "validator": op, "amount": str(stake)})
    old_fee = alpha.chain.params.min_fee_base
    new_fee = old_fee * 11 // 10
    p = alpha.gov.params
    alpha.run(me, proposal(p.initial_deposit(), "min_fee_base", str(new_fee)))
    assert alpha.refusal(other, vote(1, "yes")) == "voting_closed"  # deposit period
    alpha.run(other, {"type": "gov.deposit", "proposal_id": 1, "amount": str(p.min_deposit)})
    prop = alpha.gov.proposals[1]
    assert prop.status == "voting_period"
    assert prop.voting_end == alpha.chain.height + p.voting_blocks
    alpha.run(me, vote(1, "no"))
    alpha.run(me, vote(1, "yes"))  # a changed vote replaces the first
    balance_other = alpha.chain.ledger.balance(other.alpha_address, "AX")
    alpha.step(prop.voting_end - alpha.chain.height)
    assert prop.status == "passed"
    power = alpha.staking.stake_of(me.alpha_address)
    assert prop.tally == {"yes": power, "no": 0, "abstain": 0, "no_with_veto": 0}
    assert alpha.chain.params.min_fee_base == new_fee
    assert alpha.chain.ledger.balance(other.alpha_address, "AX") == balance_other + p.min_deposit
    assert alpha.refusal(me, vote(1, "no")) == "voting_closed"
    assert alpha.broken() == {}


def test_a_deposit_period_that_lapses_burns_the_deposit(alpha: Alpha) -> None:
    me = alpha.ids[0]
    least = alpha.gov.params.initial_deposit()
    supply = alpha.chain.ledger.supply["AX"]
    alpha.run(me, proposal(least))
    alpha.step(alpha.gov.params.deposit_blocks)
    assert alpha.gov.proposals[1].status == "expired"
    minted = alpha.distribution.accrued
    assert alpha.chain.ledger.supply["AX"] == supply + minted - least
    assert alpha.broken() == {}


def test_split_votes_parse_and_must_sum_to_one() -> None:
    assert parse_option("yes:700000,no:300000") == (("no", 300_000), ("yes", 700_000))
    for bad in ("maybe", "yes:700000,no:200000", "yes:1000000,yes:0", "yes:"):
        with pytest.raises(Rejected):
            parse_option(bad)


def test_revote_double_count_breaks_the_tally() -> None:
    for vuln, expect_broken in (((), False), (("gov_revote_double_count",), True)):
        alpha = make_alpha(vuln)
        me = alpha.ids[0]
        stake = stake_for_quorum(alpha)
        op = alpha.operators()[0]
        alpha.run(me, {"type": "staking.delegate", "validator": op, "amount": str(stake)})
        alpha.run(me, proposal(alpha.gov.params.min_deposit))
        alpha.run(me, vote(1, "yes"))
        alpha.run(me, vote(1, "no"))
        alpha.step(alpha.gov.proposals[1].voting_end - alpha.chain.height)
        tally = alpha.gov.proposals[1].tally
        power = alpha.staking.stake_of(me.alpha_address)
        assert tally["yes"] == (power if expect_broken else 0)
        assert tally["no"] == power
        assert ("gov/tally" in alpha.broken()) is expect_broken
