"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import oracle, perps, reads, transfers

__all__ = ["oracle", "perps", "reads", "transfers"]
