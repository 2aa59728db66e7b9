"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import (
    bridge,
    explorer,
    governance,
    reads,
    staking,
    transfers,
)

__all__ = ["bridge", "explorer", "governance", "reads", "staking", "transfers"]
