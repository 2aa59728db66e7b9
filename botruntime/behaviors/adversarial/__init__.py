"""Attackers: each one tries to make the network do what it must not."""

from botruntime.behaviors.adversarial import replay, sandwich

__all__ = ["replay", "sandwich"]
