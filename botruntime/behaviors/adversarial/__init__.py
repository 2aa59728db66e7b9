"""Attackers: each one tries to make the network do what it must not."""

__all__: list[str] = []
