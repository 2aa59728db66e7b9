"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import (
    bridge,
    campaign,
    dex,
    explorer,
    governance,
    oracle,
    oracle_audit,
    perps,
    reads,
    staking,
    transfers,
)

__all__ = [
    "bridge",
    "campaign",
    "dex",
    "explorer",
    "governance",
    "oracle",
    "oracle_audit",
    "perps",
    "reads",
    "staking",
    "transfers",
]
