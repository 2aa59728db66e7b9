"""What Alpha and Delta clients share: the core endpoints of PROTOCOL.md and the bank messages.

Reads and writes (signing, broadcast, faucet) over the transport edge of `_edge.py`, where an
answer becomes a decoded JSON value or a typed error of `botruntime.chain.errors`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import ClassVar
from urllib.parse import urlencode

from botruntime.chain._api import BroadcastMode
from botruntime.chain._edge import HttpEdge
from botruntime.chain._keepalive import idle_closed_after_s, requests_until_close
from botruntime.chain._wire_model import list_from_wire
from botruntime.chain.errors import DuplicateTx, NotCommitted, ProtocolViolation, Unreachable
from botruntime.chain.events import EventStream
from botruntime.chain.models import (
    Account,
    Block,
    FaucetResult,
    Health,
    MempoolPage,
    MempoolStats,
    Params,
    PendingTx,
    Simulation,
    Status,
    SubmitResult,
    TxPage,
    TxStatus,
    balances_from_wire,
    supply_from_wire,
)
from botruntime.chain.retry import NO_RETRY, Attempt
from botruntime.chain.transport import Method
from botruntime.chain.tx import JsonValue, Msg, SignedTx, TxBody, bank_multisend, bank_send
from botruntime.chain.tx import sign_tx as _sign_tx
from botruntime.identity import Identity, parse_address

__all__ = ["HttpChainClient"]


class HttpChainClient(HttpEdge):
    """The core endpoints over a `Transport`. Subclasses name the chain (hrp, native denom).

    Constructed as `HttpEdge` (a `base_url` or a borrowed `transport`, and an optional
    `chain_id`, retry policy and per-attempt hook), which also owns the client's lifetime.
    """

    hrp: ClassVar[str] = ""
    native_denom: ClassVar[str] = ""

    # ---- reads ----------------------------------------------------------------------------

    async def resolve_chain_id(self) -> str:
        if self._known.chain_id is None:
            self._known.chain_id = (await self.status()).chain_id
        return self._known.chain_id

    async def status(self, *, min_height: int | None = None) -> Status:
        wire = await self._exchange("GET", "/status", operation="status", min_height=min_height)
        return Status.from_wire(wire, "GET /status")

    async def health(self) -> Health:
        wire = await self._exchange("GET", "/health", operation="health")
        return Health.from_wire(wire, "GET /health")

    async def params(self, *, min_height: int | None = None) -> Params:
        """The chain's parameters; with `min_height`, as of that height or later (a change a
        proposal made shows from its execution height)."""
        wire = await self._exchange("GET", "/params", operation="params", min_height=min_height)
        return Params.from_wire(wire, "GET /params")

    def _address(self, address: str) -> str:
        parse_address(address, self.hrp)  # AddressError names what is wrong before any I/O
        return address

    async def account(self, address: str, *, min_height: int | None = None) -> Account:
        path = f"/accounts/{self._address(address)}"
        wire = await self._exchange("GET", path, operation="account", min_height=min_height)
        return Account.from_wire(wire, "GET /accounts/{addr}")

    async def balances(self, address: str, *, min_height: int | None = None) -> dict[str, int]:
        path = f"/accounts/{self._address(address)}/balances"
        wire = await self._exchange("GET", path, operation="balances", min_height=min_height)
        return balances_from_wire(wire)

    async def get_tx(self, tx_hash: str, *, min_height: int | None = None) -> TxStatus:
        wire = await self._exchange(
            "GET", f"/txs/{tx_hash}", operation="get_tx", min_height=min_height
        )
        return TxStatus.from_wire(wire, "GET /txs/{hash}")

    async def wait_for_tx(
        self, tx_hash: str, *, timeout_s: float = 30.0, poll_s: float = 0.2
    ) -> TxStatus:
        """Poll `GET /txs/{hash}` until committed or failed; NotCommitted after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        last = "unknown"
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NotCommitted(
                    f"tx {tx_hash} still {last} after {timeout_s} s (raise timeout_s, or check "
                    "that blocks are being produced: GET /status height)",
                    tx_hash=tx_hash,
                    last=last,
                )
            try:
                async with asyncio.timeout(remaining):
                    status = await self.get_tx(tx_hash, min_height=None)
            except TimeoutError:
                continue
            if status.final:
                return status
            last = status.status
            await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))

    async def latest_block(self, *, min_height: int | None = None) -> Block:
        wire = await self._exchange(
            "GET", "/blocks/latest", operation="block", min_height=min_height
        )
        return Block.from_wire(wire, "GET /blocks/latest")

    async def block(self, height: int, *, min_height: int | None = None) -> Block:
        wire = await self._exchange(
            "GET", f"/blocks/{height}", operation="block", min_height=min_height
        )
        return Block.from_wire(wire, "GET /blocks/{height}")

    async def block_txs(self, height: int, *, min_height: int | None = None) -> list[JsonValue]:
        wire = await self._exchange(
            "GET", f"/blocks/{height}/txs", operation="block_txs", min_height=min_height
        )
        txs = wire.get("txs") if isinstance(wire, dict) else wire
        if not isinstance(txs, list):
            raise ProtocolViolation(
                f"GET /blocks/{height}/txs: expected a list of txs, got {wire!r:.200}"
            )
        return txs

    async def openapi(self) -> dict[str, JsonValue]:
        """This node's OpenAPI document (`GET /openapi.json`): every endpoint's parameters and
        shapes, what a structure-aware fuzzer derives its requests from."""
        wire = await self._exchange("GET", "/openapi.json", operation="openapi")
        if not isinstance(wire, dict) or not isinstance(wire.get("paths"), dict):
            raise ProtocolViolation(
                f"GET /openapi.json: expected an OpenAPI document with paths, got {wire!r:.200}"
            )
        return wire

    async def mempool_stats(self) -> MempoolStats:
        wire = await self._exchange("GET", "/mempool/stats", operation="mempool_stats")
        return MempoolStats.from_wire(wire, "GET /mempool/stats")

    async def pending(self, sender: str) -> list[PendingTx]:
        """`sender`'s txs still in this node's mempool (pending or queued for a nonce gap)."""
        path = f"/mempool?sender={self._address(sender)}"
        wire = await self._exchange("GET", path, operation="mempool")
        return list_from_wire(PendingTx, wire, "txs", "GET /mempool")

    async def mempool(self, *, cursor: str | None = None, limit: int | None = None) -> MempoolPage:
        """One page of this node's mempool view, oldest admission first (`next_cursor` for the
        page after it)."""
        path = "/mempool" + _query(cursor=cursor, limit=limit)
        wire = await self._exchange("GET", path, operation="mempool")
        return MempoolPage.from_wire(wire, "GET /mempool")

    async def txs_of(
        self,
        address: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        min_height: int | None = None,
    ) -> TxPage:
        """One page of `address`'s committed txs (signed or received), oldest first; pass the
        page's `next_cursor` back for the page after it. Cursors are opaque and this node's."""
        query = _query(address=self._address(address), cursor=cursor, limit=limit)
        wire = await self._exchange(
            "GET", "/txs" + query, operation="txs_of", min_height=min_height
        )
        return TxPage.from_wire(wire, "GET /txs?address=")

    def events(
        self, *, types: Sequence[str] = ("block", "tx"), from_height: int | None = None
    ) -> EventStream:
        """A stream of this node's events, as this client's caller (open it with `async with`)."""
        return EventStream(
            self.transport.config.root,
            types=types,
            from_height=from_height,
            client_id=self.client_id,
        )

    async def supply(self) -> dict[str, int]:
        """The total supply of every denom of this chain."""
        wire = await self._exchange("GET", "/supply", operation="supply")
        return supply_from_wire(wire)

    # ---- connection hygiene (R5 C4): on a raw connection of the probe's own ---------------

    async def idle_closed_after_s(self, *, wait_s: float) -> float | None:
        return await idle_closed_after_s(self.transport.config.root, self.client_id, wait_s=wait_s)

    async def requests_until_close(self, *, limit: int) -> int | None:
        return await requests_until_close(self.transport.config.root, self.client_id, limit=limit)

    # ---- writes ---------------------------------------------------------------------------

    async def broadcast(
        self, tx: SignedTx, mode: BroadcastMode = "sync", *, timeout_s: float | None = None
    ) -> SubmitResult:
        """Submit a signed tx. Retried as the policy allows: the same signed tx, never a new one.

        `mode="commit"` holds the answer until the tx is in a block: give it a `timeout_s` above
        the node's commit wait (a few block times) when that exceeds the transport's timeout.

        If a try got no answer and a later try hears `duplicate_tx`, the first one did land:
        the result then has `code="duplicate_tx"` instead of raising.
        """
        lost_answer = False

        def note(attempt: Attempt) -> None:
            nonlocal lost_answer
            if isinstance(attempt.error, Unreachable):
                lost_answer = True
            if self._on_attempt is not None:
                self._on_attempt(attempt)

        try:
            wire = await self._exchange(
                "POST",
                "/txs",
                operation="broadcast",
                json={"tx": tx.to_wire(), "mode": mode},
                hook=note,
                timeout_s=timeout_s,
            )
        except DuplicateTx:
            if not lost_answer:
                raise
            return SubmitResult(hash=tx.hash, code="duplicate_tx", status="pending", height=None)
        return SubmitResult.from_wire(wire, "POST /txs")

    async def broadcast_bytes(self, body: bytes) -> SubmitResult:
        """POST exactly these bytes to /txs (a re-encoded or deliberately broken request)."""
        wire = await self._exchange("POST", "/txs", operation="broadcast", content=body)
        return SubmitResult.from_wire(wire, "POST /txs")

    async def send_raw(
        self, method: Method, path: str, *, content: bytes | None = None
    ) -> JsonValue:
        """Send one request exactly as given (a path with any query, a body of any bytes) and
        return the answer decoded; an error answer raises its typed error like every call.
        For requests the protocol does not allow (fuzzing): never retried, so each request
        is one case. `path` is ASCII (percent-encode the rest)."""
        if not path.startswith("/") or not path.isascii():
            raise ValueError(f"path is ASCII and starts with '/', got {path!r:.200}")
        result: JsonValue = await self._exchange(
            method, path, operation="send_raw", content=content, policy=NO_RETRY
        )
        return result

    async def simulate(self, tx: SignedTx) -> Simulation:
        wire = await self._exchange(
            "POST", "/txs/simulate", operation="simulate", json={"tx": tx.to_wire()}
        )
        return Simulation.from_wire(wire, "POST /txs/simulate")

    async def faucet(self, address: str, amount: int, denom: str | None = None) -> FaucetResult:
        """Ask the faucet for funds. Never retried: a lost answer may still have paid out."""
        body = {
            "address": self._address(address),
            "denom": denom or self.native_denom,
            "amount": str(amount),
        }
        wire = await self._exchange(
            "POST", "/faucet", operation="faucet", json=body, policy=NO_RETRY
        )
        return FaucetResult.from_wire(wire, "POST /faucet")

    def sign(
        self,
        signer: Identity,
        msgs: Sequence[Msg],
        *,
        nonce: int,
        fee: int,
        memo: str = "",
        timeout_height: int = 0,
        client_tx_id: str | None = None,
    ) -> SignedTx:
        """Sign `msgs` as `signer` for this chain (its chain id must be known: pass `chain_id=`
        to the client or `await client.resolve_chain_id()` once first)."""
        chain_id = self._known.chain_id
        if chain_id is None:
            raise RuntimeError(
                "the chain id is not known yet: pass chain_id= to the client, "
                "or await client.resolve_chain_id() once before signing"
            )
        body = TxBody(
            chain_id=chain_id,
            sender=signer.address(self.hrp),
            nonce=nonce,
            fee=fee,
            msgs=tuple(msgs),
            memo=memo,
            timeout_height=timeout_height,
            client_tx_id=client_tx_id,
        )
        return _sign_tx(signer, body)

    def sign_send(
        self,
        signer: Identity,
        *,
        to: str,
        amount: int,
        nonce: int,
        fee: int,
        denom: str | None = None,
        memo: str = "",
    ) -> SignedTx:
        msg = bank_send(to, amount, denom or self.native_denom)
        return self.sign(signer, [msg], nonce=nonce, fee=fee, memo=memo)

    async def send(
        self,
        signer: Identity,
        *,
        to: str,
        amount: int,
        nonce: int,
        fee: int,
        denom: str | None = None,
        memo: str = "",
        mode: BroadcastMode = "sync",
    ) -> SubmitResult:
        """Build, sign and broadcast one `bank.send`. The nonce is the caller's to manage."""
        await self.resolve_chain_id()
        tx = self.sign_send(
            signer, to=to, amount=amount, nonce=nonce, fee=fee, denom=denom, memo=memo
        )
        return await self.broadcast(tx, mode)

    async def multisend(
        self,
        signer: Identity,
        outputs: Sequence[tuple[str, str, int]],
        *,
        nonce: int,
        fee: int,
        memo: str = "",
        mode: BroadcastMode = "sync",
    ) -> SubmitResult:
        """Pay several (to, denom, amount) outputs in one `bank.multisend`."""
        return await self.submit(
            signer, [bank_multisend(outputs)], nonce=nonce, fee=fee, memo=memo, mode=mode
        )

    async def submit(
        self,
        signer: Identity,
        msgs: Sequence[Msg],
        *,
        nonce: int,
        fee: int,
        memo: str = "",
        mode: BroadcastMode = "sync",
        timeout_height: int = 0,
    ) -> SubmitResult:
        """Sign `msgs` as `signer` (resolving the chain id once) and broadcast them."""
        await self.resolve_chain_id()
        tx = self.sign(signer, msgs, nonce=nonce, fee=fee, memo=memo, timeout_height=timeout_height)
        return await self.broadcast(tx, mode)


def _query(**params: str | int | None) -> str:
    """`?a=1&b=x` of the parameters given (None: left out), or "" when none is."""
    given = {name: value for name, value in params.items() if value is not None}
    return "?" + urlencode(given) if given else ""
