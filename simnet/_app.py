"""The core REST API of one node (PROTOCOL.md, SCENARIOS.md §6 "Core"): a table of routes.

Handlers only translate between HTTP and the state machine (`simnet._network`); the gate in
front of them (`simnet._gate`) adds X-Height, X-Min-Height, faults and limits.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from botruntime.identity import AddressError, parse_address
from simnet._blocks import rfc3339
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected, SimnetError
from simnet._http import (
    Answer,
    AsgiEndpoint,
    json_answer,
    json_body,
    json_object,
    json_response,
    parse_json,
    path_int,
    read_json,
    send_answer,
    send_json,
)
from simnet._network import Network
from simnet._node import Node
from simnet._params import simnet_version
from simnet._waiters import CommitWaiters

__all__ = ["NodeApi"]

_MODES = ("sync", "async", "commit")
_TX_REQUEST = frozenset({"tx", "mode"})
_FAUCET_REQUEST = frozenset({"address", "denom", "amount"})


@dataclass(slots=True)
class NodeApi:
    network: Network
    chain_name: str
    node_index: int
    waiters: CommitWaiters

    @property
    def chain(self) -> Chain:
        return self.network.chains[self.chain_name]

    @property
    def node(self) -> Node:
        return self.chain.nodes[self.node_index]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/txs", AsgiEndpoint(self.submit), methods=["POST"]),  # the hot path first
            Route("/status", self.status),
            Route("/health", self.health),
            Route("/params", self.params),
            Route("/accounts/{address}", self.account),
            Route("/accounts/{address}/balances", self.balances),
            Route("/txs/simulate", self.simulate, methods=["POST"]),
            Route("/txs/{hash}", self.tx),
            Route("/blocks/latest", self.latest_block),
            Route("/blocks/{height}", self.block),
            Route("/blocks/{height}/txs", self.block_txs),
            Route("/faucet", self.faucet, methods=["POST"]),
        ]

    # ---- node ----------------------------------------------------------------------------------

    async def status(self, request: Request) -> Response:
        chain, node = self.chain, self.node
        served = chain.served_height(node)
        block = chain.blocks[served]
        return json_response(
            {
                "chain_id": chain.spec.chain_id,
                "node_id": node.node_id,
                "height": served,
                "time": rfc3339(block.time_us),
                "catching_up": served < chain.height,
                "block_time_ms": round(self.network.block_time_s * 1000),
                "version": simnet_version(),
            }
        )

    async def health(self, request: Request) -> Response:
        return json_response({"ok": True})

    async def params(self, request: Request) -> Response:
        spec = self.chain.spec
        return json_response(
            {
                "chain_id": spec.chain_id,
                "hrp": spec.hrp,
                "native_denom": spec.native,
                "denoms": sorted(spec.denoms),
                **self.chain.params.to_wire(),  # governance may have changed this chain's
                "block_time_s": self.network.block_time_s,
            }
        )

    # ---- accounts ------------------------------------------------------------------------------

    def _address(self, request: Request) -> str:
        address = request.path_params["address"]
        try:
            parse_address(address, self.chain.spec.hrp)
        except AddressError as exc:
            raise Rejected(
                "invalid_address", f"{address!r} is not an address of this chain: {exc}"
            ) from None
        return str(address)

    async def account(self, request: Request) -> Response:
        address = self._address(request)
        chain = self.chain
        view = chain.ledger.view(address, chain.served_height(self.node))
        return json_response(
            {
                "address": address,
                "nonce": view.nonce,
                "pubkey": _b64(view.pubkey),
                "balances": {d: str(v) for d, v in sorted(view.balances.items())},
            }
        )

    async def balances(self, request: Request) -> Response:
        address = self._address(request)
        chain = self.chain
        view = chain.ledger.view(address, chain.served_height(self.node))
        return json_response(
            {
                "address": address,
                "balances": {d: str(v) for d, v in sorted(view.balances.items())},
            }
        )

    # ---- txs -----------------------------------------------------------------------------------

    async def submit(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The hot path, as an `AsgiEndpoint`: no Request or Response objects."""
        network = self.network
        entry, mode, status = self._take(await read_json(scope, receive, self._body_limit()))
        if mode != "commit":
            await send_answer(send, _taken(entry.hash, status))
            return
        chain = self.chain
        timeout = min(network.params.commit_wait_s, max(2.0, 20 * network.block_time_s))
        outcome = await self.waiters.wait(self.chain_name, entry.hash, timeout)
        if outcome is None:
            await send_json(send, {"hash": entry.hash, "code": "ok", "status": "pending"})
            return
        settled, height, code = outcome
        if settled == "failed":
            code = chain.failed.get(entry.hash, "bad_nonce")
            raise Rejected(code, f"tx {entry.hash} failed at execution", {"hash": entry.hash})
        if code != "ok":
            raise Rejected(
                code,
                f"tx {entry.hash} failed at execution in block {height}: its fee and nonce "
                "are spent, its messages changed nothing",
                {"hash": entry.hash, "height": height},
            )
        await send_json(
            send, {"hash": entry.hash, "code": "ok", "status": "committed", "height": height}
        )

    def submit_now(self, scope: Scope, body: bytes) -> Callable[[], Answer] | None:
        """`submit` on a body already read, answered without awaiting: None (before anything
        happened) when the request asks for mode=commit, which waits for a block. The body is
        parsed here, once; a refusal of it is raised when the answer is asked for, after the
        gate's own checks, as on the ASGI path."""
        try:
            request = parse_json(scope, body, self._body_limit())
        except Rejected as exc:
            refusal = exc

            def refuse() -> Answer:
                raise refusal

            return refuse
        if isinstance(request, dict) and request.get("mode") == "commit":
            return None

        def answer() -> Answer:
            entry, _, status = self._take(request)
            return _taken(entry.hash, status)

        return answer

    def _body_limit(self) -> int | None:
        network = self.network
        return None if network.vulns.on("no_size_limits") else network.params.max_body_bytes

    def _take(self, request: object) -> tuple[Entry, str, str]:
        """Every check of POST /txs and the admission: the tx, its mode and its status."""
        network, chain, node = self.network, self.chain, self.node
        wire = json_object(request, _TX_REQUEST, "the request")
        mode = wire.get("mode", "sync")
        if mode not in _MODES:
            raise Rejected("malformed", f"mode is one of {list(_MODES)}, got {mode!r}")
        if "tx" not in wire:
            raise Rejected("malformed", 'the request is {"tx": <signed tx>, "mode": "sync"}')
        entry = chain.decode(wire["tx"])
        now = network.clock()
        if mode == "async":  # no CheckTx result: a stateful refusal shows in GET /txs/{hash}
            try:
                status = chain.admit(node, entry, now)
            except SimnetError as exc:
                chain.fail(entry.hash, exc.code)
                status = "pending"
            return entry, str(mode), status
        return entry, str(mode), chain.admit(node, entry, now)

    async def simulate(self, request: Request) -> Response:
        """Every check of POST /txs, nothing admitted: the answer says what submit would."""
        network, chain = self.network, self.chain
        limit = None if network.vulns.on("no_size_limits") else network.params.max_body_bytes
        wire = json_object(await json_body(request, limit), _TX_REQUEST, "the request")
        if "tx" not in wire:
            raise Rejected("malformed", 'the request is {"tx": <signed tx>}')
        entry = chain.decoder.decode(wire["tx"])
        status = chain.simulate(self.node, entry)
        params = network.params
        return json_response(
            {
                "hash": entry.hash,
                "code": "ok",
                "status": status,
                "size": entry.size,
                "fee": str(entry.fee),
                "min_fee": str(params.min_fee_base + params.min_fee_per_byte * entry.size),
                "account_creation_fee": str(chain.creation_fees(entry)),
            }
        )

    async def tx(self, request: Request) -> Response:
        tx_hash = request.path_params["hash"]
        if tx_hash == "simulate":  # POST /txs/simulate's path, not a hash: another method is 405
            raise HTTPException(405)
        if not (len(tx_hash) == 64 and all(c in "0123456789ABCDEFabcdef" for c in tx_hash)):
            raise Rejected("malformed", f"a tx hash is 64 hex digits, got {tx_hash!r}")
        tx_hash = tx_hash.upper()
        status, extra = self.chain.tx_status(self.node, tx_hash)
        return json_response({"hash": tx_hash, "status": status, **extra})

    async def faucet(self, request: Request) -> Response:
        wire = json_object(await json_body(request, 4096), _FAUCET_REQUEST, "the request")
        tx_hash = self.network.faucet(
            self.chain, wire.get("address"), wire.get("denom"), wire.get("amount")
        )
        return json_response({"hash": tx_hash})

    # ---- blocks --------------------------------------------------------------------------------

    def _block_at(self, request: Request) -> int:
        height = path_int(request, "height")
        served = self.chain.served_height(self.node)
        if height > served:
            raise Rejected(
                "not_found",
                f"no block {height} on this node yet; its latest is {served}",
                {"latest": served},
            )
        return height

    async def latest_block(self, request: Request) -> Response:
        chain = self.chain
        return json_response(chain.blocks[chain.served_height(self.node)].to_wire())

    async def block(self, request: Request) -> Response:
        return json_response(self.chain.blocks[self._block_at(request)].to_wire())

    async def block_txs(self, request: Request) -> Response:
        block = self.chain.blocks[self._block_at(request)]
        txs: list[object] = []
        for i, (h, body) in enumerate(zip(block.txs, block.bodies, strict=True)):
            tx = orjson.Fragment(body)  # the stored JSON as is, not decoded and re-encoded
            item: dict[str, object] = {"hash": h, "index": i, "tx": tx, "code": block.code(i)}
            events = block.events_of(i)
            if events:  # what module messages did (a swap's output): the tx's result
                item["events"] = events
            txs.append(item)
        return json_response({"height": block.height, "txs": txs})


def _taken(tx_hash: str, status: str) -> Answer:
    return json_answer({"hash": tx_hash, "code": "ok", "status": status})


def _b64(pubkey: bytes | None) -> str | None:
    return None if pubkey is None else base64.b64encode(pubkey).decode("ascii")
