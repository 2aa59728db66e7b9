"""Legitimate users: what the network is for."""

from botruntime.behaviors.legitimate import bridge, campaign, dex, explorer, reads, transfers

__all__ = ["bridge", "campaign", "dex", "explorer", "reads", "transfers"]
