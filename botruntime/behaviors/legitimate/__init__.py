"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import reads, transfers

__all__ = ["reads", "transfers"]
