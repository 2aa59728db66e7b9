"""The typed Alpha and bridge calls against simnet in a subprocess (the `simnet` fixture):
every message type commits, and the reads show what it did in the numbers the chain's own
parameters give."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from botruntime.chain.alpha import AX, SAX, HttpAlphaClient
from botruntime.chain.bridge_models import BridgeTransfer
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import Rejected
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

FEE = 8_000
AMOUNT = 4 * 10**6
WAIT_S = 20.0
RunningSimnet = Any  # tests/integration/conftest.py


class Nonces:
    """Each signer's next nonce, counted locally (every call here commits)."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, who: Identity, hrp: str = "ax") -> dict[str, Any]:
        address = who.address(hrp)
        nonce = self.next.get(address, 0)
        self.next[address] = nonce + 1
        return {"nonce": nonce, "fee": FEE, "mode": "commit"}


def alpha_client(simnet: RunningSimnet, node: int = 0) -> HttpAlphaClient:
    return HttpAlphaClient(simnet.alpha_url(node), chain_id=simnet.alpha_chain_id)


async def test_staking_and_distribution_calls(simnet: RunningSimnet) -> None:
    (alice,) = simnet.genesis_identities(1)
    operator = Identity.derive(f"simnet/{simnet.seed}/validators", 0)
    tx = Nonces()
    async with alpha_client(simnet) as alpha:
        validators = await alpha.validators()
        a, b = validators[0].operator, validators[1].operator
        params = await alpha.staking_params()
        await alpha.delegate(alice, a, AMOUNT, **tx(alice))
        (held,) = await alpha.delegations(alice.alpha_address)
        await alpha.redelegate(alice, a, b, AMOUNT // 2, **tx(alice))
        with pytest.raises(Rejected) as transitive:  # b -> a waits out the cooldown
            await alpha.redelegate(alice, b, a, 1, nonce=3, fee=FEE)
        (moved,) = await alpha.redelegations(alice.alpha_address)
        rewards = await alpha.rewards(alice.alpha_address)
        await alpha.withdraw_rewards(alice, a, **tx(alice))
        done = await alpha.undelegate(alice, a, AMOUNT // 2, **tx(alice))
        (entry,) = await alpha.unbonding(alice.alpha_address, min_height=done.height)
        pool = await alpha.staking_pool()
        mine = await alpha.validator(operator.alpha_address)
        await alpha.edit_validator(operator, mine.commission_ppm + 1_000, **tx(operator))
        await alpha.withdraw_commission(operator, **tx(operator))
        edited = await alpha.validator(operator.alpha_address)
        on_b = await alpha.validator_delegations(b)
        account = await alpha.account(alice.alpha_address)
        community = await alpha.community_pool()
    assert len(validators) == 4 and all(v.power > 0 for v in validators)
    assert (held.validator, held.tokens) == (a, AMOUNT)
    assert transitive.value.code == "height_not_reached"
    assert (moved.src_validator, moved.dst_validator, moved.amount) == (a, b, AMOUNT // 2)
    assert moved.completion_height - moved.creation_height == params.integer("unbonding_blocks")
    assert rewards.total == rewards.of(a) + rewards.of(b) and rewards.total >= 0
    assert entry.completion_height - entry.creation_height == params.integer("unbonding_blocks")
    assert entry.amount == AMOUNT // 2 and pool.not_bonded_tokens == AMOUNT // 2
    assert account.balance(SAX) == AMOUNT // 2 and pool.sax_supply >= AMOUNT // 2
    assert edited.commission_ppm == mine.commission_ppm + 1_000
    assert edited.commission_accrued < mine.commission_accrued or mine.commission_accrued == 0
    assert any(d.delegator == alice.alpha_address and d.validator == b for d in on_b)
    assert community > 0  # the community tax of every block so far


async def test_governance_and_campaign_calls(simnet: RunningSimnet) -> None:
    alice, bob = simnet.genesis_identities(2)
    tx = Nonces()
    async with alpha_client(simnet, node=1) as alpha:
        gov = await alpha.gov_params()
        least = gov.integer("min_initial_deposit")
        with pytest.raises(Rejected) as low:
            await alpha.submit_proposal(alice, "text", least - 1, nonce=0, fee=FEE)
        await alpha.submit_proposal(alice, "fees", least, "min_fee_base", 600, **tx(alice))
        opened = await alpha.proposal(1)
        top_up = gov.integer("min_deposit") - least
        await alpha.deposit(bob, 1, top_up, **tx(bob))
        await alpha.vote(alice, 1, "yes", **tx(alice))
        await alpha.vote(bob, 1, {"yes": 600_000, "no": 400_000}, **tx(bob))
        (voting,) = await alpha.proposals()
        votes = await alpha.votes(1)
        tally = await alpha.tally(1)
        campaign = await alpha.campaign()
        eligibility = await alpha.eligibility(alice.alpha_address)
        payouts = await alpha.payouts()
    assert low.value.code == "invalid_amount"
    assert (opened.status, opened.param, opened.value) == ("deposit_period", "min_fee_base", 600)
    assert voting.status == "voting_period" and voting.total_deposit == gov.integer("min_deposit")
    assert voting.voting_end - voting.voting_start == gov.integer("voting_blocks")
    assert {v.voter: v.options for v in votes} == {
        alice.alpha_address: {"yes": 1_000_000},
        bob.alpha_address: {"yes": 600_000, "no": 400_000},
    }
    assert tally.final is False and set(tally.tally) == {"yes", "no", "abstain", "no_with_veto"}
    assert campaign.remaining == campaign.budget - campaign.paid and payouts == []
    assert eligibility.txs == 2 and set(eligibility.modules) == {"gov"}  # submit, vote
    assert eligibility.eligible is False and eligibility.missing


async def until(
    client: HttpAlphaClient | HttpDeltaClient, tid: str, ready: Callable[[BridgeTransfer], bool]
) -> BridgeTransfer:
    """Read transfer `tid` until `ready` holds (blocks come every 0.2 s)."""
    for _ in range(int(WAIT_S / 0.1)):
        transfer = await client.bridge_transfer(tid)
        if ready(transfer):
            return transfer
        await anyio.sleep(0.1)
    raise AssertionError(f"transfer {tid} not ready after {WAIT_S} s: {transfer}")


async def test_bridge_lock_claim_burn_and_release(simnet: RunningSimnet) -> None:
    (alice,) = simnet.genesis_identities(1)
    tx = Nonces()
    async with (
        alpha_client(simnet) as alpha,
        HttpDeltaClient(simnet.delta_url(0), chain_id=simnet.delta_chain_id) as delta,
    ):
        locked = await alpha.bridge_lock(alice, alice.delta_address, AMOUNT, True, **tx(alice))
        transfer = await until(delta, "ax-1", lambda t: t.claimable)  # withheld: ours to claim
        await delta.bridge_claim(alice, transfer, **tx(alice, "dx"))
        with pytest.raises(Rejected) as again:
            await delta.bridge_claim(alice, transfer, nonce=1, fee=FEE)
        minted = (await delta.account(alice.delta_address)).balance("bAX")
        await delta.bridge_burn(alice, alice.alpha_address, AMOUNT, **tx(alice, "dx"))
        back = await until(alpha, "dx-2", lambda t: t.status == "completed")  # the relayer's
        escrow = await alpha.bridge_escrow()
        params = await alpha.bridge_params()
        # each user lists what it opened, from either chain: its lock, its burn
        locks = await delta.bridge_sent(alice.alpha_address)
        burns = await alpha.bridge_sent(alice.delta_address)
        ax = (await alpha.account(alice.alpha_address)).balance(AX)
    assert locked.status == "committed"
    assert (transfer.direction, transfer.recipient, transfer.amount) == (
        "a2d",
        alice.delta_address,
        AMOUNT,
    )
    assert transfer.destination_chain == simnet.delta_chain_id
    assert again.value.code == "already_claimed" and minted == AMOUNT
    assert (back.direction, back.mints, back.recipient) == ("d2a", 1, alice.alpha_address)
    assert escrow.escrow == escrow.bax_supply == 0 and escrow.locked_not_minted == 0
    assert back.timeout_height - back.source_height == params.integer("timeout_blocks")
    assert ax > 0
    assert [(t.id, t.status) for t in locks] == [("ax-1", "completed")]
    assert [(t.id, t.status) for t in burns] == [("dx-2", "completed")]
    verdicts = simnet.control("GET", "/simnet/invariants?full=1")
    assert [v for v in verdicts if not v["ok"]] == []
