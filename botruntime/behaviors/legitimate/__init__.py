"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, reads, transfers

__all__ = ["bridge", "reads", "transfers"]
