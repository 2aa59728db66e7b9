"""Alpha's modules and the bridge through export and import (SCENARIOS.md §7 state/determinism).

One state is built by executing real messages: stakes, a redelegation in its cooldown, an
unbonding entry not yet mature, rewards and commission, a passed parameter change and an open
proposal with votes, a campaign epoch that paid out, a completed and a withheld in-flight bridge
transfer. Each module's state must come back exactly; the imported network must hash the same,
hold every invariant, and go on exactly as the original does.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from alpha_bench import Alpha, make_alpha

from botruntime.chain.tx import JsonValue, Msg, bank_send
from simnet._errors import Rejected

AMOUNT = 5 * 10**6
MODULES = ("params", "campaign-observer", "staking", "distribution", "gov", "bridge", "campaign")


def json_copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def claim(alpha: Alpha, tid: str) -> dict[str, JsonValue]:
    transfer = alpha.bridge.transfers[tid]
    attestation = alpha.bridge.attestation(transfer)
    assert attestation is not None
    return {
        "type": "bridge.claim",
        "transfer_id": tid,
        "recipient": transfer.recipient,
        "amount": str(transfer.amount),
        "attestation": attestation,
    }


def build() -> Alpha:
    """A network whose every Alpha module and the bridge hold non-genesis state."""
    alpha = make_alpha()
    me, you = alpha.ids[0], alpha.ids[1]
    a, b, c = alpha.operators()[:3]
    op0 = alpha.operator_identity(sorted(alpha.staking.validators).index(a))
    op1 = alpha.operator_identity(sorted(alpha.staking.validators).index(b))
    fee = str(alpha.chain.params.min_fee_base + 100)
    min_deposit = str(alpha.gov.params.min_deposit)
    change: Msg = {
        "type": "gov.submit_proposal",
        "title": "raise the base fee",
        "param": "min_fee_base",
        "value": fee,
        "deposit": min_deposit,
    }
    alpha.run(op0, change)  # operators hold half the stake: their yes votes pass it
    alpha.run(op0, {"type": "gov.vote", "proposal_id": 1, "option": "yes"})
    alpha.run(op1, {"type": "gov.vote", "proposal_id": 1, "option": "yes:700000,no:300000"})
    alpha.run(me, {"type": "staking.delegate", "validator": a, "amount": str(AMOUNT)})
    alpha.run(you, {"type": "staking.delegate", "validator": b, "amount": str(AMOUNT)})
    alpha.run(me, bank_send(you.alpha_address, 10**6))
    alpha.run(me, {"type": "distribution.withdraw_rewards", "validator": a})
    alpha.run(me, {"type": "bridge.lock", "to": me.delta_address, "amount": "7", "withhold": False})
    alpha.run(me, bank_send(you.alpha_address, 10**6))
    alpha.run(op0, {"type": "validator.edit", "commission_ppm": 60_000})
    alpha.run(op0, {"type": "distribution.withdraw_commission"})
    epoch_end = alpha.gov.params.campaign_epoch_blocks
    alpha.step(epoch_end + 1 - alpha.chain.height)  # the campaign pays epoch 0
    alpha.run(
        you, {"type": "bridge.lock", "to": you.delta_address, "amount": "9", "withhold": True}
    )
    alpha.run(
        me,
        {"type": "staking.redelegate", "src_validator": a, "dst_validator": c, "amount": "2000000"},
    )
    alpha.run(me, {"type": "staking.undelegate", "validator": a, "amount": "1000000"})
    alpha.run(you, {**change, "title": "text", "param": "", "value": "", "deposit": min_deposit})
    alpha.run(op1, {"type": "gov.vote", "proposal_id": 2, "option": "no"})
    return alpha


@pytest.fixture(scope="module")
def built() -> Alpha:
    return build()


def test_the_built_state_is_not_trivial(built: Alpha) -> None:
    """What the round trips below carry: every kind of state the brief names."""
    me = built.ids[0].alpha_address
    staking, gov, campaign, bridge = built.staking, built.gov, built.campaign, built.bridge
    assert len(staking.unbonding) == 1 and len(staking.redelegations) == 1
    assert any(d == me for d, _ in staking.delegations) and built.distribution.debt
    assert gov.proposals[1].status == "passed" and gov.proposals[2].status == "voting_period"
    assert built.chain.params.min_fee_base == gov.proposals[1].value
    assert [p.address for p in campaign.payouts] == [me] and campaign.epoch == 1
    assert {t.id: t.status for t in bridge.transfers.values()} == {
        "ax-1": "completed",
        "ax-2": "pending",
    }
    assert built.broken() == {}


@pytest.mark.parametrize("name", MODULES)
def test_each_module_state_comes_back_exactly(built: Alpha, name: str) -> None:
    original = built.module(name)
    wire = json_copy(original.to_wire())  # type: ignore[attr-defined]
    fresh = make_alpha()
    target: Any = fresh.module(name)
    assert json_copy(target.to_wire()) != wire  # a fresh genesis holds other state
    target.load_wire(wire)
    assert json_copy(target.to_wire()) == wire
    assert wire["version"] == 1


def test_the_delta_side_of_the_bridge_defers_to_alpha(built: Alpha) -> None:
    assert built.module("bridge", "delta").to_wire() is None  # type: ignore[attr-defined]


def test_an_imported_network_hashes_the_same_and_goes_on_identically() -> None:
    built = build()  # its own: this test moves it on
    exported = json_copy(built.network.export())
    copy = make_alpha()
    copy.network.import_(exported)
    assert copy.network.state_hash() == exported["state_hash"] == built.network.state_hash()
    assert json_copy(copy.network.export()) == exported
    assert copy.broken() == {}
    assert copy.chain.params.min_fee_base == built.chain.params.min_fee_base
    you = built.ids[1]
    for network in (built, copy):  # a claim of the withheld transfer, then maturity and more
        network.run(you, claim(network, "ax-2"), chain="delta")
        params = network.gov.params
        network.step(max(params.unbonding_blocks, params.voting_blocks) + 1)
    assert copy.network.state_hash() == built.network.state_hash()
    (entry,) = copy.staking.matured.values()
    assert entry.released_at == [entry.completion_height]
    assert copy.bridge.transfers["ax-2"].status == "completed"
    assert copy.gov.proposals[2].status == built.gov.proposals[2].status != "voting_period"
    assert copy.broken() == {}


@pytest.mark.parametrize("name", ["staking", "gov", "bridge", "params"])
def test_a_module_state_of_another_version_is_refused_naming_the_module(
    built: Alpha, name: str
) -> None:
    exported = json_copy(built.network.export())
    exported["chains"]["alpha"]["modules"][name]["version"] = 99
    target = make_alpha()
    with pytest.raises(Rejected) as caught:
        target.network.import_(exported)
    assert caught.value.code == "malformed" and f"modules.{name}" in str(caught.value)
    assert not target.staking.unbonding and not target.gov.proposals  # nothing half-loaded
    assert target.broken() == {}
