"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import governance, reads, staking, transfers

__all__ = ["governance", "reads", "staking", "transfers"]
