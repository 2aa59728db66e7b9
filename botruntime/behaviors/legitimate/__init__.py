"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, campaign, explorer, reads, transfers

__all__ = ["bridge", "campaign", "explorer", "reads", "transfers"]
