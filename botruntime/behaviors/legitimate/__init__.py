"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import dex, reads, transfers

__all__ = ["dex", "reads", "transfers"]
