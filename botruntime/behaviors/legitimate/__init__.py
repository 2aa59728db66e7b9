"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, governance, reads, staking, transfers

__all__ = ["bridge", "governance", "reads", "staking", "transfers"]
