"""What Alpha's modules answer (SCENARIOS.md §6 "Alpha"), as typed values.

Staking, distribution, governance and the reward campaign; the bridge's answers live in
`botruntime.chain.bridge_models` (both chains serve them). Amounts are ints in base units,
rates are ppm (parts per million), heights are Alpha heights.
"""

from __future__ import annotations

from botruntime.chain._wire_model import Amount, Count, Flag, Text, WireModel

__all__ = [
    "CampaignInfo",
    "Delegation",
    "Eligibility",
    "Payout",
    "Proposal",
    "Redelegation",
    "Rewards",
    "StakingPool",
    "Tally",
    "UnbondingEntry",
    "Validator",
    "Vote",
]


class Validator(WireModel):
    operator: Text  # the operator's ax address names the validator
    moniker: Text
    tokens: Amount
    shares: Amount
    power: Count
    commission_ppm: Count
    jailed: Flag
    status: Text
    missed_blocks: Count
    commission_accrued: Amount


class Delegation(WireModel):
    """One delegation; `delegator` or `validator` is filled in from the endpoint asked."""

    delegator: Text = ""
    validator: Text = ""
    shares: Amount
    tokens: Amount


class UnbondingEntry(WireModel):
    id: Count
    validator: Text
    amount: Amount
    creation_height: Count
    completion_height: Count  # the AX comes back in the block at this height


class Redelegation(WireModel):
    src_validator: Text
    dst_validator: Text
    amount: Amount
    creation_height: Count
    completion_height: Count  # no redelegating away from dst before this height


class Reward(WireModel):
    validator: Text
    amount: Amount


class Rewards(WireModel):
    delegator: Text
    rewards: tuple[Reward, ...]
    total: Amount  # claimable now
    # every reward and commission paid to the delegator so far (a delegation's rewards are
    # paid when it is claimed and whenever its stake moves); 0 from a node that predates it
    withdrawn: Amount = 0

    def of(self, validator: str) -> int:
        return sum(r.amount for r in self.rewards if r.validator == validator)


class StakingPool(WireModel):
    bonded_tokens: Amount
    not_bonded_tokens: Amount
    sax_supply: Amount
    sax_exchange_rate_ppm: Count


class Proposal(WireModel):
    id: Count
    proposer: Text
    title: Text
    param: Text  # "" for a text proposal
    value: Amount
    status: Text  # deposit_period, voting_period, passed, rejected, vetoed, expired
    submit_height: Count
    deposit_end: Count
    voting_start: Count
    voting_end: Count
    total_deposit: Amount
    executed_height: Count

    @property
    def open(self) -> bool:
        return self.status in ("deposit_period", "voting_period")


class Vote(WireModel):
    voter: Text
    options: dict[Text, Count]  # option -> weight in ppm (one option: 1_000_000)


class Tally(WireModel):
    proposal_id: Count
    final: Flag  # False while voting: a running tally at current stake
    tally: dict[Text, Amount]  # yes, no, abstain, no_with_veto -> stake


class CampaignInfo(WireModel):
    epoch: Count
    epoch_blocks: Count
    next_epoch_end: Count
    budget: Amount
    paid: Amount
    remaining: Amount
    reward: Amount
    min_txs: Count
    min_modules: Count
    min_age_blocks: Count
    min_balance: Amount
    cluster_hops: Count
    cluster_payouts: Count


class Eligibility(WireModel):
    address: Text
    eligible: Flag
    missing: tuple[Text, ...]  # what it lacks, in words
    txs: Count
    modules: tuple[Text, ...]
    cluster: Text


class Payout(WireModel):
    epoch: Count
    address: Text
    cluster: Text
    amount: Amount
    height: Count
