"""How far each chain of a run's target got: its first node's /status height."""

from __future__ import annotations

import httpx

from botruntime.plan import Target

__all__ = ["read_heights"]


async def read_heights(target: Target) -> dict[str, int]:
    """Each chain's height now, from its first node's /status (how far the chain got)."""
    out: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=10.0) as http:
        for chain, urls in (("alpha", target.alpha), ("delta", target.delta)):
            if urls:
                try:
                    out[chain] = int((await http.get(f"{urls[0]}/status")).json()["height"])
                except (httpx.HTTPError, ValueError, KeyError, TypeError):
                    continue
    return out
