"""Honest campaign users and the sybil farmer (A8 sybil_farming) against a scripted node."""

from __future__ import annotations

import asyncio
from random import Random
from typing import Any

import pytest
from fake_alpha_node import FakeAlpha, campaign_info, funded_bot, refuse, stage

from botruntime.behaviors.adversarial.sybil import (
    FARM_HUBS,
    FAUCET_CLAIM,
    LEAVES_PER_HUB,
    farm_of,
    farm_sybils,
)
from botruntime.behaviors.legitimate.campaign import (
    DELEGATION,
    campaign_delegate,
    campaign_status,
    claim_faucet,
    user_of,
)
from botruntime.chain.testing import answer
from botruntime.identity import Identity
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FUNDS = 10**12
VALIDATOR: dict[str, Any] = {
    "operator": Identity.derive("validators", 0).alpha_address,
    "moniker": "v1",
    "tokens": "1",
    "shares": "1",
    "power": 1,
    "commission_ppm": 0,
    "jailed": False,
    "status": "bonded",
    "missed_blocks": 0,
    "commission_accrued": "0",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Never(Random):
    """An rng that never audits (farm_sybils audits when random() < 0.1)."""

    def random(self) -> float:
        return 0.5


async def _until_sent(node: FakeAlpha, count: int) -> None:
    """Let the action run until the node has accepted `count` txs (it then waits on a block)."""
    for _ in range(10_000):
        if len(node.accepted) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"the node accepted {len(node.accepted)} txs, not {count}")


# ---- honest users ------------------------------------------------------------------------------


async def test_an_honest_user_delegates_once_then_only_reads() -> None:
    node = FakeAlpha(validators=[VALIDATOR])
    st = stage(node)
    bot = funded_bot(role="general_user", ax=FUNDS)
    first = asyncio.create_task(
        campaign_delegate(bot, st.chains(bot), Random(1), st.intent("campaign_delegate"))
    )
    await _until_sent(node, 1)
    await st.land(1, node.accepted)
    await first
    (tx,) = node.accepted
    msg = tx["body"]["msgs"][0]
    assert msg == {
        "type": "staking.delegate",
        "validator": VALIDATOR["operator"],
        "amount": "1000000",
    }
    assert bot.wallet.balance(AX) == FUNDS - DELEGATION - st.side.fee
    assert user_of(bot).delegated
    await campaign_delegate(bot, st.chains(bot), Random(1), st.intent("campaign_delegate"))
    assert len(node.accepted) == 1  # the second action read the delegation instead


async def test_a_refused_delegation_may_be_tried_again() -> None:
    node = FakeAlpha(validators=[VALIDATOR], admit=lambda tx: refuse("insufficient_funds"))
    st = stage(node)
    bot = funded_bot(role="general_user", ax=FUNDS)
    await campaign_delegate(bot, st.chains(bot), Random(1), st.intent("campaign_delegate"))
    assert not user_of(bot).delegated and bot.wallet.reserved(AX) == 0


async def test_a_faucet_claim_asks_for_the_users_own_address() -> None:
    asked: list[Any] = []

    def faucet(body: dict[str, Any]) -> Any:
        asked.append(body)
        return answer({"hash": "F" * 64})

    st = stage(FakeAlpha(faucet=faucet))
    bot = funded_bot(role="general_user", ax=FUNDS)
    await claim_faucet(bot, st.chains(bot), Random(1), st.intent("claim_faucet"))
    assert asked == [{"address": bot.alpha_address, "denom": "AX", "amount": "10000000"}]
    assert bot.wallet.balance(AX) == FUNDS  # credited when the credit lands, by the fleet


@pytest.mark.parametrize("paid", [True, False])
async def test_recall_is_counted_once_after_the_epoch_the_user_was_eligible_in(
    paid: bool,
) -> None:
    node = FakeAlpha(campaign=campaign_info(0), eligible=True)
    st = stage(node)
    bot = funded_bot(role="general_user", ax=FUNDS)
    intent = st.intent("campaign_status")
    await campaign_status(bot, st.chains(bot), Random(1), intent)
    assert user_of(bot).eligible_epoch == 0
    node.campaign = campaign_info(1)
    node.eligible = False
    payout = {"epoch": 0, "address": bot.alpha_address, "cluster": "c", "amount": "1", "height": 60}
    node.payouts = [payout] if paid else []
    for _ in range(3):
        await campaign_status(bot, st.chains(bot), Random(1), st.intent("campaign_status"))
    assert st.count("adv.campaign_recall", action="campaign_status", result="paid") == int(paid)
    missed = st.count("adv.campaign_recall", action="campaign_status", result="missed")
    assert missed == int(not paid)


# ---- the sybil farmer --------------------------------------------------------------------------


def test_a_farm_is_derived_from_the_root_and_hubs_fund_their_leaves() -> None:
    root = funded_bot(index=3, role="sybil_farmer")
    farm = farm_of(root)
    again = farm_of(funded_bot(index=3, role="sybil_farmer"))
    assert len(farm.hubs) == FARM_HUBS and len(farm.leaves) == FARM_HUBS * LEAVES_PER_HUB
    assert [s.address for s in farm.leaves] == [s.address for s in again.leaves]
    assert farm_of(funded_bot(index=4)).hubs[0].address != farm.hubs[0].address
    assert {leaf.hub for leaf in farm.leaves} == set(range(FARM_HUBS))
    assert root.alpha_address not in farm.addresses


async def test_the_root_funds_every_hub_in_one_multisend_through_its_ledger() -> None:
    node = FakeAlpha(validators=[VALIDATOR])
    st = stage(node)
    root = funded_bot(role="sybil_farmer", ax=FUNDS)
    action = asyncio.create_task(
        farm_sybils(root, st.chains(root), _Never(1), st.intent("farm_sybils"))
    )
    await _until_sent(node, 1)
    await st.land(1, node.accepted)
    await action
    (tx,) = node.accepted
    outputs = tx["body"]["msgs"][0]["outputs"]
    farm = farm_of(root)
    assert [o["to"] for o in outputs] == [h.address for h in farm.hubs]
    paid = sum(int(o["amount"]) for o in outputs)
    creation = FARM_HUBS * 10_000
    assert root.wallet.balance(AX) == FUNDS - paid - creation - st.side.fee
    assert farm.root_funded and all(h.funded for h in farm.hubs)


async def test_a_leaf_claims_the_faucet_and_the_farm_counts_what_was_paid() -> None:
    answers = iter([answer({"hash": "F" * 64}), refuse("quota_exceeded", 429)])
    node = FakeAlpha(validators=[VALIDATOR], faucet=lambda body: next(answers))
    st = stage(node)
    root = funded_bot(role="sybil_farmer", ax=FUNDS)
    farm = farm_of(root)
    farm.root_funded = True
    farm.creation_fee = 10_000
    farm.validators = [str(VALIDATOR["operator"])]
    for hub in farm.hubs:
        hub.funded = True
        hub.funded_leaves = LEAVES_PER_HUB
    for leaf in farm.leaves[:2]:
        leaf.funded = True
    intent = st.intent("farm_sybils", frozenset({"quota_exceeded"}))
    await farm_sybils(root, st.chains(root), _Never(1), intent)
    assert farm.leaves[0].claimed and not farm.leaves[1].claimed
    farm.leaves[0].txs, farm.leaves[0].delegated = 5, True  # its script is done
    await farm_sybils(root, st.chains(root), _Never(1), intent)  # refused: not counted
    assert farm.leaves[1].claimed and node.accepted == []
    assert st.count("adv.faucet_paid", action="farm_sybils", to="farm") == FAUCET_CLAIM


async def test_the_root_counts_each_epochs_payouts_once() -> None:
    root = funded_bot(role="sybil_farmer", ax=FUNDS)
    farm = farm_of(root)
    sybil = farm.leaves[0].address
    node = FakeAlpha(campaign=campaign_info(1))
    node.payouts = [
        {"epoch": 0, "address": sybil, "cluster": "c", "amount": "1", "height": 60},
        {"epoch": 0, "address": "ax1other", "cluster": "o", "amount": "1", "height": 60},
        {"epoch": 0, "address": "ax1other2", "cluster": "o2", "amount": "1", "height": 60},
    ]
    st = stage(node)

    class Audits(Random):
        def random(self) -> float:
            return 0.0

    for _ in range(3):
        await farm_sybils(root, st.chains(root), Audits(1), st.intent("farm_sybils"))
    assert st.count("adv.campaign_payouts", action="farm_sybils", to="farm") == 1
    assert st.count("adv.campaign_payouts", action="farm_sybils", to="other") == 2
    assert farm.audited == 1
