"""The bridge's reads on both chains: a transfer (with its attestation), escrow, parameters."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import Denom, JsonValue
from botruntime.identity import AddressError, parse_address
from simnet._errors import Rejected
from simnet._http import json_response
from simnet.alpha._api import HasChains
from simnet.bridge._bridge import Bridge, BridgeModule, Transfer

__all__ = ["BridgeApi"]


@dataclass(slots=True)
class BridgeApi:
    network: HasChains
    chain_name: str

    @property
    def bridge(self) -> Bridge:
        module = self.network.chains[self.chain_name].modules.get("bridge")
        assert isinstance(module, BridgeModule)
        return module.bridge

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/bridge/transfers/{id}", self.transfer),
            Route("/bridge/senders/{a}/transfers", self.sender_transfers),
            Route("/bridge/escrow", self.escrow),
            Route("/bridge/params", self.params),
        ]

    async def transfer(self, request: Request) -> Response:
        tid = str(request.path_params["id"])
        bridge = self.bridge
        transfer = bridge.transfers.get(tid)
        if transfer is None:
            raise Rejected("not_found", f"no bridge transfer {tid!r}; ids look like 'ax-1'")
        return json_response(self._transfer_wire(bridge, transfer))

    async def sender_transfers(self, request: Request) -> Response:
        """Every transfer an address opened (locks from its ax address, burns from its dx
        address), in lock order: how a user learns the ids of its own transfers."""
        bridge = self.bridge
        address = str(request.path_params["a"])
        hrps = {chain.spec.hrp for chain in self.network.chains.values()}
        try:  # a sender is an address of either chain; anything else names no one
            parsed = parse_address(address)
        except AddressError as exc:
            raise Rejected("invalid_address", f"{address!r} is not an address: {exc}") from None
        if parsed.hrp not in hrps:
            raise Rejected(
                "invalid_address", f"{address!r} is not an address of {sorted(hrps)} chains"
            )
        mine = bridge.by_sender.get(address, [])
        return json_response({"transfers": [self._transfer_wire(bridge, t) for t in mine]})

    @staticmethod
    def _transfer_wire(bridge: Bridge, transfer: Transfer) -> dict[str, JsonValue]:
        return {
            **transfer.to_wire(),
            "source_chain": bridge.source(transfer).spec.chain_id,
            "destination_chain": bridge.destination(transfer).spec.chain_id,
            "attestation": bridge.attestation(transfer),
        }

    async def escrow(self, request: Request) -> Response:
        bridge = self.bridge
        pending = [t for t in bridge.transfers.values() if t.status == "pending"]
        bridge.roll_window()
        return json_response(
            {
                "escrow": str(bridge.escrow()),
                "bax_supply": str(bridge.delta.ledger.supply.get(Denom.BAX.value, 0)),
                "locked_not_minted": str(sum(t.amount for t in pending if t.direction == "a2d")),
                "burned_not_released": str(sum(t.amount for t in pending if t.direction == "d2a")),
                "window": bridge.window,
                "window_quota": str(bridge.window_quota),
                "window_outflow": {d: str(v) for d, v in bridge.window_out.items()},
            }
        )

    async def params(self, request: Request) -> Response:
        bridge = self.bridge
        return json_response(
            {
                **bridge.params.to_wire(),
                "key_set": [k.alpha_address for k in bridge.keys.keys],
                "threshold": bridge.keys.threshold,
            }
        )
