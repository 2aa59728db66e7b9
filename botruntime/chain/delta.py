"""The Delta chain (token DX, bridged bAX, DEX, perps, oracle; addresses `dx1…`).

Behaviours type against `DeltaClient` (a protocol); `HttpDeltaClient` speaks PROTOCOL.md over a
`Transport`, sharing its core with Alpha (`botruntime.chain._core`).
"""

from __future__ import annotations

from typing import ClassVar, Final, Protocol

from botruntime.chain._api import BroadcastMode, ChainApi
from botruntime.chain._core import HttpChainClient
from botruntime.identity import DELTA_HRP

__all__ = ["BAX", "DX", "BroadcastMode", "DeltaClient", "HttpDeltaClient"]

DX: Final = "DX"
BAX: Final = "bAX"


class DeltaClient(ChainApi, Protocol):
    """Everything a behaviour may ask of Delta: the core calls (DEX, perps and oracle join here
    as their simnet modules land)."""


class HttpDeltaClient(HttpChainClient):
    """Delta over HTTP: `dx` addresses, fees and default sends in DX."""

    hrp: ClassVar[str] = DELTA_HRP
    native_denom: ClassVar[str] = DX


def _conforms(client: HttpDeltaClient) -> DeltaClient:
    """mypy checks here that the HTTP client implements the whole protocol."""
    return client
