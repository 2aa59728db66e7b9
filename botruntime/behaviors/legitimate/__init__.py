"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import (
    bridge,
    campaign,
    dex,
    explorer,
    governance,
    merchant,
    oracle,
    oracle_audit,
    payouts,
    perps,
    reads,
    staking,
    subscribe,
    transfers,
)

__all__ = [
    "bridge",
    "campaign",
    "dex",
    "explorer",
    "governance",
    "merchant",
    "oracle",
    "oracle_audit",
    "payouts",
    "perps",
    "reads",
    "staking",
    "subscribe",
    "transfers",
]
