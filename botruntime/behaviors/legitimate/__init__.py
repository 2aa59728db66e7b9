"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, explorer, reads, transfers

__all__ = ["bridge", "explorer", "reads", "transfers"]
