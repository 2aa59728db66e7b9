"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import explorer, reads, transfers

__all__ = ["explorer", "reads", "transfers"]
