"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import campaign, reads, transfers

__all__ = ["campaign", "reads", "transfers"]
