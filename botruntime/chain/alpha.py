"""The Alpha chain (tokens AX and staked sAX; addresses `ax1…`): interface and HTTP client.

Behaviours type against `AlphaClient` (a protocol), so a real Alpha with another wire format
plugs in behind it (DESIGN §3); `HttpAlphaClient` speaks PROTOCOL.md over a `Transport`.

    async with HttpAlphaClient("http://127.0.0.1:26600") as alpha:
        await alpha.send(alice, to=bob.alpha_address, amount=10**6, nonce=0, fee=2000)
"""

from __future__ import annotations

from typing import ClassVar, Final, Protocol

from botruntime.chain._api import BroadcastMode, ChainApi
from botruntime.chain._core import HttpChainClient
from botruntime.identity import ALPHA_HRP

__all__ = ["AX", "SAX", "AlphaClient", "BroadcastMode", "HttpAlphaClient"]

AX: Final = "AX"
SAX: Final = "sAX"


class AlphaClient(ChainApi, Protocol):
    """Everything a behaviour may ask of Alpha: the core calls (staking, governance and the
    bridge join here as their simnet modules land)."""


class HttpAlphaClient(HttpChainClient):
    """Alpha over HTTP: `ax` addresses, fees and default sends in AX."""

    hrp: ClassVar[str] = ALPHA_HRP
    native_denom: ClassVar[str] = AX


def _conforms(client: HttpAlphaClient) -> AlphaClient:
    """mypy checks here that the HTTP client implements the whole protocol."""
    return client
