"""Attackers: each one tries to make the network do what it must not."""

from botruntime.behaviors.adversarial import (
    double_spend,
    fuzz,
    oracle_manipulation,
    replay,
    sandwich,
    spam,
    sybil,
)

__all__ = ["double_spend", "fuzz", "oracle_manipulation", "replay", "sandwich", "spam", "sybil"]
