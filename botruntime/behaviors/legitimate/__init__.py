"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, dex, reads, transfers

__all__ = ["bridge", "dex", "reads", "transfers"]
