"""The delegators' behaviours against a scripted Alpha node: what each signs, how it sizes it,
and what the shadow ledger learns when it commits."""

from __future__ import annotations

from random import Random

import pytest
from alpha_node import FEE, OPERATORS, VALIDATORS, Fleetlet

from botruntime.behaviors.legitimate import staking
from botruntime.wallet import AX, SAX

pytestmark = pytest.mark.anyio

WHOLE = AX.unit


def _delegated(fleetlet: Fleetlet, validator: str, tokens: int) -> None:
    fleetlet.node.delegations.setdefault(fleetlet.bot.alpha_address, []).append(
        {"validator": validator, "shares": str(tokens), "tokens": str(tokens)}
    )


async def test_delegate_bonds_a_little_and_the_ledger_gains_the_sax(fleetlet: Fleetlet) -> None:
    await fleetlet.act(staking.delegate)
    (msg,) = fleetlet.node.sent
    amount = int(str(msg["amount"]))
    assert msg["type"] == "staking.delegate" and msg["validator"] in VALIDATORS
    assert WHOLE <= amount <= 50 * WHOLE
    wallet = fleetlet.bot.wallet
    assert wallet.balance(AX) == 10_000 * WHOLE - amount - FEE
    assert wallet.balance(SAX) == amount


async def test_undelegate_with_nothing_bonded_delegates_instead(fleetlet: Fleetlet) -> None:
    await fleetlet.act(staking.undelegate)
    assert [m["type"] for m in fleetlet.node.sent] == ["staking.delegate"]


async def test_undelegate_burns_no_more_sax_than_held_and_waits_for_maturity(
    fleetlet: Fleetlet,
) -> None:
    _delegated(fleetlet, VALIDATORS[1], 500 * WHOLE)
    fleetlet.bot.wallet.credit(SAX, 3 * WHOLE)  # most of its sAX went to another bot
    await fleetlet.act(staking.undelegate)
    (msg,) = fleetlet.node.sent
    assert msg["type"] == "staking.undelegate" and msg["validator"] == VALIDATORS[1]
    amount = int(str(msg["amount"]))
    assert 0 < amount <= 3 * WHOLE
    wallet = fleetlet.bot.wallet
    assert wallet.balance(SAX) == 3 * WHOLE - amount
    assert wallet.balance(AX) == 10_000 * WHOLE - FEE  # the AX comes back only at maturity
    assert fleetlet.ctx.alpha_book.unbondings == [(fleetlet.bot, amount, fleetlet.node.height)]


async def test_redelegate_moves_stake_to_another_validator(fleetlet: Fleetlet) -> None:
    _delegated(fleetlet, VALIDATORS[0], 40 * WHOLE)
    for seed in range(12):
        await fleetlet.act(staking.redelegate, seed=seed)
    moves = [m for m in fleetlet.node.sent if m["type"] == "staking.redelegate"]
    assert moves and all(m["src_validator"] == VALIDATORS[0] for m in moves)
    assert all(m["dst_validator"] != m["src_validator"] for m in moves)
    assert all(int(str(m["amount"])) <= 40 * WHOLE for m in moves)
    assert fleetlet.count("chain.cooldown_redelegations") == 0  # nothing was cooling down


async def test_a_transitive_redelegation_the_chain_accepts_is_counted(fleetlet: Fleetlet) -> None:
    """One move in ten leaves a validator still in its cooldown on purpose; this node accepts
    everything, so those are breaches of the cooldown."""
    _delegated(fleetlet, VALIDATORS[0], 40 * WHOLE)
    _delegated(fleetlet, VALIDATORS[2], 40 * WHOLE)
    fleetlet.node.redelegations[fleetlet.bot.alpha_address] = [
        {
            "src_validator": VALIDATORS[1],
            "dst_validator": VALIDATORS[2],
            "amount": "1",
            "creation_height": 9,
            "completion_height": 1_000,
        }
    ]
    for seed in range(40):
        await fleetlet.act(staking.redelegate, seed=seed)
    moves = [m for m in fleetlet.node.sent if m["type"] == "staking.redelegate"]
    transitive = [m for m in moves if m["src_validator"] == VALIDATORS[2]]
    assert 0 < len(transitive) < len(moves) / 3
    assert fleetlet.count("chain.cooldown_redelegations") == len(transitive)


async def test_withdraw_rewards_claims_the_delegation_that_earned_most(fleetlet: Fleetlet) -> None:
    fleetlet.node.rewards[fleetlet.bot.alpha_address] = {
        "rewards": [
            {"validator": VALIDATORS[0], "amount": "5"},
            {"validator": VALIDATORS[2], "amount": "90"},
        ],
        "total": "95",
        "withdrawn": "0",
    }
    await fleetlet.act(staking.withdraw_rewards)
    assert fleetlet.node.sent == [
        {"type": "distribution.withdraw_rewards", "validator": VALIDATORS[2]}
    ]


async def test_claimable_rewards_that_fall_between_claims_are_a_finding(
    fleetlet: Fleetlet,
) -> None:
    address = fleetlet.bot.alpha_address

    def claimable(total: int) -> None:
        fleetlet.node.rewards[address] = {
            "rewards": [{"validator": VALIDATORS[0], "amount": str(total)}],
            "total": str(total),
            "withdrawn": "0",
        }

    # read_staking reads the rewards when its first draw is 2 (else delegations, unbonding)
    reads_rewards = [seed for seed in range(30) if Random(seed).randrange(3) == 2]
    claimable(50)
    await fleetlet.act(staking.withdraw_rewards)  # reads 50, then claims: paid out
    claimable(7)
    await fleetlet.act(staking.read_staking, seed=reads_rewards[0])  # after its own claim
    assert fleetlet.count("chain.rewards_decreased") == 0
    claimable(4)
    for seed in reads_rewards[1:4]:
        await fleetlet.act(staking.read_staking, seed=seed)
    assert fleetlet.count("chain.rewards_decreased") == 1  # 7 -> 4 once; 4 -> 4 is no fall
    assert len(fleetlet.node.sent) == 1  # reads send nothing


async def test_transfer_sax_passes_a_tenth_at_most_to_another_bot(fleetlet: Fleetlet) -> None:
    fleetlet.bot.wallet.credit(SAX, 20 * WHOLE)
    await fleetlet.act(staking.transfer_sax)
    (msg,) = fleetlet.node.sent
    assert msg["type"] == "bank.send" and msg["denom"] == "sAX"
    assert msg["to"] != fleetlet.bot.alpha_address
    assert 0 < int(str(msg["amount"])) <= 2 * WHOLE
    assert fleetlet.bot.wallet.balance(SAX) == 20 * WHOLE - int(str(msg["amount"]))


async def test_an_operator_edits_its_validators_commission_with_the_operator_key(
    fleetlet: Fleetlet,
) -> None:
    for seed in range(10):
        await fleetlet.act(staking.edit_commission, seed=seed)
    for tx in fleetlet.node.signed:
        (msg,) = tx.body.msgs
        assert msg["type"] == "validator.edit"
        assert 0 <= int(str(msg["commission_ppm"])) <= 100_000  # 50,000 at most from 50,000
        # bot 0 runs validator 0: its key, at its account's nonce; the bot's own nonce is unused
        assert (tx.body.sender, tx.body.nonce) == (OPERATORS[0].alpha_address, 3)
    assert len(fleetlet.node.signed) == 10 and fleetlet.bot.next_nonce("alpha") == 0


async def test_an_operator_withdraws_commission_only_once_some_accrued(fleetlet: Fleetlet) -> None:
    await fleetlet.act(staking.withdraw_commission)
    await fleetlet.act(staking.read_validator)
    assert fleetlet.node.sent == []
    fleetlet.node.commission_accrued = "12"
    await fleetlet.act(staking.withdraw_commission)
    assert fleetlet.node.sent == [{"type": "distribution.withdraw_commission"}]
    assert fleetlet.node.signed[0].body.sender == OPERATORS[0].alpha_address
