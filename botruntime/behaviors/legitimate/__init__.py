"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import (
    bridge,
    campaign,
    explorer,
    governance,
    oracle,
    perps,
    reads,
    staking,
    transfers,
)

__all__ = [
    "bridge",
    "campaign",
    "explorer",
    "governance",
    "oracle",
    "perps",
    "reads",
    "staking",
    "transfers",
]
