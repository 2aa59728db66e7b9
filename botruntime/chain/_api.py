"""The interface every chain client offers: behaviours depend on it, never on HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, NotRequired, Protocol, Self, TypedDict

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
)
from botruntime.chain.retry import RetryPolicy
from botruntime.chain.transport import Method
from botruntime.chain.tx import JsonValue, Msg, SignedTx
from botruntime.identity import Identity

__all__ = ["BroadcastMode", "ChainApi", "TxArgs"]

BroadcastMode = Literal["sync", "async", "commit"]


class TxArgs(TypedDict):
    """How a typed module call signs and sends its one-message tx (see `ChainApi.submit`):
    `await alpha.delegate(me, validator, 10**6, nonce=3, fee=5_000, mode="commit")`."""

    nonce: int
    fee: int
    memo: NotRequired[str]
    mode: NotRequired[BroadcastMode]
    timeout_height: NotRequired[int]


class ChainApi(Protocol):
    """The core calls every chain client offers; behaviours depend on this, never on HTTP."""

    hrp: ClassVar[str]
    native_denom: ClassVar[str]

    @property
    def seen_height(self) -> int: ...
    @property
    def client_id(self) -> str: ...
    def for_client(self, client_id: str) -> Self:
        """This node for another caller (its own `X-Client-Id`), sharing the connection pool."""
        ...

    def with_retry(self, policy: RetryPolicy) -> Self:
        """This client with another retry policy (same node, pool and caller)."""
        ...

    async def resolve_chain_id(self) -> str: ...
    async def status(self, *, min_height: int | None = None) -> Status: ...
    async def health(self) -> Health: ...
    async def params(self, *, min_height: int | None = None) -> Params: ...
    async def account(self, address: str, *, min_height: int | None = None) -> Account: ...
    async def balances(self, address: str, *, min_height: int | None = None) -> dict[str, int]: ...
    async def broadcast(
        self, tx: SignedTx, mode: BroadcastMode = "sync", *, timeout_s: float | None = None
    ) -> SubmitResult: ...
    async def broadcast_bytes(self, body: bytes) -> SubmitResult: ...
    async def send_raw(
        self, method: Method, path: str, *, content: bytes | None = None
    ) -> JsonValue: ...
    async def openapi(self) -> dict[str, JsonValue]: ...
    async def simulate(self, tx: SignedTx) -> Simulation: ...
    async def get_tx(self, tx_hash: str, *, min_height: int | None = None) -> TxStatus: ...
    async def wait_for_tx(
        self, tx_hash: str, *, timeout_s: float = 30.0, poll_s: float = 0.2
    ) -> TxStatus: ...
    async def latest_block(self, *, min_height: int | None = None) -> Block: ...
    async def block(self, height: int, *, min_height: int | None = None) -> Block: ...
    async def block_txs(self, height: int, *, min_height: int | None = None) -> list[JsonValue]: ...
    async def mempool_stats(self) -> MempoolStats: ...
    async def pending(self, sender: str) -> list[PendingTx]: ...
    async def mempool(
        self, *, cursor: str | None = None, limit: int | None = None
    ) -> MempoolPage: ...
    async def txs_of(
        self,
        address: str,
        *,
        cursor: str | None = None,
        limit: int | None = None,
        min_height: int | None = None,
    ) -> TxPage: ...
    async def supply(self) -> dict[str, int]: ...
    def events(
        self, *, types: Sequence[str] = ("block", "tx"), from_height: int | None = None
    ) -> EventStream:
        """A stream of this node's events (open it with `async with`)."""
        ...

    async def idle_closed_after_s(self, *, wait_s: float) -> float | None:
        """On a connection of its own, ask once and stay idle: seconds until the node closed
        it, or None if still open after `wait_s` (its keep-alive idle timeout at work)."""
        ...

    async def requests_until_close(self, *, limit: int) -> int | None:
        """Ask up to `limit` times on one connection: answers until the node ended it
        (`Connection: close` or a hang-up), or None if it never did (its request cap)."""
        ...

    async def faucet(self, address: str, amount: int, denom: str | None = None) -> FaucetResult: ...
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
    ) -> SignedTx: ...
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
    ) -> SignedTx: ...
    async def multisend(
        self,
        signer: Identity,
        outputs: Sequence[tuple[str, str, int]],
        *,
        nonce: int,
        fee: int,
        memo: str = "",
        mode: BroadcastMode = "sync",
    ) -> SubmitResult: ...
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
    ) -> SubmitResult: ...
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
    ) -> SubmitResult: ...
    async def close(self) -> None: ...
