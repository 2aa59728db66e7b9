"""The Delta chain (token DX, bridged bAX, DEX, perps, oracle; addresses `dx1…`).

Behaviours type against `DeltaClient` (a protocol); `HttpDeltaClient` speaks PROTOCOL.md over a
`Transport`, sharing its core with Alpha (`botruntime.chain._core`).
"""

from __future__ import annotations

from typing import ClassVar, Final, Protocol, Unpack

from botruntime.chain._api import BroadcastMode, TxArgs
from botruntime.chain._bridge import BridgeApi, HttpBridgeClient, outbound_msg
from botruntime.chain.models import SubmitResult
from botruntime.identity import ALPHA_HRP, DELTA_HRP, Identity

__all__ = ["BAX", "DX", "BroadcastMode", "DeltaClient", "HttpDeltaClient"]

DX: Final = "DX"
BAX: Final = "bAX"


class DeltaClient(BridgeApi, Protocol):
    """Everything a behaviour may ask of Delta: the core calls and the bridge (DEX, perps and
    oracle join here as their simnet modules land)."""

    async def bridge_burn(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...


class HttpDeltaClient(HttpBridgeClient):
    """Delta over HTTP: `dx` addresses, fees and default sends in DX."""

    hrp: ClassVar[str] = DELTA_HRP
    native_denom: ClassVar[str] = DX

    async def bridge_burn(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Burn bAX for `to` (an ax address) on Alpha, where a claim releases AX from escrow."""
        msg = outbound_msg("bridge.burn", to, ALPHA_HRP, amount, withhold)
        return await self.submit(signer, [msg], **tx)


def _conforms(client: HttpDeltaClient) -> DeltaClient:
    """mypy checks here that the HTTP client implements the whole protocol."""
    return client
