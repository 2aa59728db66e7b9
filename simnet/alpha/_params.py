"""Alpha's module parameters (SCENARIOS.md §1.6): staking, distribution, governance, campaign.

Rates are integers in parts per million (ppm) so every computation stays in integers. The
parameters are mutable on purpose: a passed parameter-change proposal sets one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Final

__all__ = ["PPM", "AlphaParams", "ceil_div"]

PPM: Final = 1_000_000
AX_UNIT: Final = 1_000_000


def ceil_div(a: int, b: int) -> int:
    """a / b rounded up (for amounts the protocol keeps)."""
    return -(-a // b)


@dataclass(slots=True)
class AlphaParams:
    # staking
    unbonding_blocks: int = 10
    self_bond: int = 100_000 * AX_UNIT  # each genesis validator's own stake
    max_commission_ppm: int = 200_000
    max_commission_change_ppm: int = 50_000  # per validator.edit
    genesis_commission_ppm: int = 50_000
    power_unit: int = AX_UNIT  # power = tokens // power_unit
    # distribution
    block_reward: int = 10 * AX_UNIT  # minted into distribution every block
    community_tax_ppm: int = 20_000
    # governance
    min_deposit: int = 10 * AX_UNIT
    min_initial_deposit_ppm: int = 200_000
    deposit_blocks: int = 10
    voting_blocks: int = 15
    quorum_ppm: int = 334_000
    threshold_ppm: int = 500_000
    veto_ppm: int = 334_000
    # reward campaign (simnet only, A8)
    campaign_epoch_blocks: int = 60
    campaign_budget: int = 1_000 * AX_UNIT
    campaign_reward: int = 10 * AX_UNIT  # per eligible address per epoch
    campaign_min_txs: int = 5
    campaign_min_modules: int = 2
    campaign_min_age_blocks: int = 20
    campaign_min_balance: int = AX_UNIT
    campaign_cluster_hops: int = 3  # a common funder within this many hops is one cluster
    campaign_cluster_payouts: int = 1  # payouts per cluster per epoch

    def to_wire(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, int]) -> AlphaParams:
        """The defaults with `overrides` set; ValueError naming an unknown field or a value
        that is not an integer >= 1."""
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"no Alpha parameter {name!r}; one of {sorted(known)}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Alpha parameter {name} is an integer >= 1, got {value!r}")
        return replace(cls(), **overrides)

    def initial_deposit(self) -> int:
        """The least a proposal may start with: min_deposit x ratio, rounded up."""
        return ceil_div(self.min_deposit * self.min_initial_deposit_ppm, PPM)
