"""The transport edge of the chain clients: where an answer becomes JSON or a typed error.

`_exchange` is the one place where an answer becomes either a decoded JSON value or the typed
error of `botruntime.chain.errors`, and where retries (only of what is safe to repeat) and the
per-attempt hook happen. `HttpChainClient` (`_core.py`) builds the endpoints on top of it.

A client is one node as one caller sees it. `for_client(id)` is the same node for another
caller: same pool, chain id, seen height and retry policy, its requests carrying that
`X-Client-Id`. So a worker keeps one pool per node and each bot is its own client (DESIGN §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from types import TracebackType
from typing import Any, Self

import orjson

from botruntime.chain.errors import ProtocolViolation, error_from_answer
from botruntime.chain.retry import AttemptHook, RetryPolicy, retry
from botruntime.chain.transport import (
    Method,
    Transport,
    TransportConfig,
    check_client_id,
    fast_transport,
)

__all__ = ["HttpEdge"]


@dataclass(slots=True)
class _Known:
    """What a client and all its `for_client` views have learnt of their node."""

    chain_id: str | None
    seen_height: int = 0


class HttpEdge:
    """Requests over a `Transport`, answers checked, retried by policy; the client's lifetime.

    Give `base_url` (a fast transport is made and owned) or `transport` (borrowed: the caller
    closes it). `chain_id` is read from `/status` on first need when not given. `client_id` is
    the `X-Client-Id` of this client's requests (default: the transport's `config.client_id`);
    `keep_alive=False` opens a connection per request (`TransportConfig.keep_alive`).
    `on_attempt` is called for every try of every call, so metrics can count amplification.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        transport: Transport | None = None,
        chain_id: str | None = None,
        client_id: str | None = None,
        pool_size: int = 64,
        keep_alive: bool = True,
        request_timeout_s: float = 10.0,
        retry_policy: RetryPolicy | None = None,
        rng: Random | None = None,
        on_attempt: AttemptHook | None = None,
    ) -> None:
        if (base_url is None) == (transport is None):
            raise ValueError("give base_url='http://host:port' or transport=..., exactly one")
        if transport is None:
            assert base_url is not None
            config = TransportConfig(
                base_url,
                client_id=client_id or "testbots",
                pool_size=pool_size,
                request_timeout_s=request_timeout_s,
                keep_alive=keep_alive,
            )
            transport = fast_transport(config)
            self._owns_transport = True
            client_id = None  # the pool's own id: nothing to name per request
        else:
            self._owns_transport = False
        self.transport: Transport = transport
        self._client_id = None if client_id is None else check_client_id(client_id)
        self._known = _Known(chain_id)
        self.retry_policy = retry_policy or RetryPolicy()
        self._rng = rng or Random()
        self._on_attempt = on_attempt

    # ---- who asks -------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The `X-Client-Id` this client's requests carry (simnet's rate limits key on it)."""
        return self._client_id or self.transport.config.client_id

    def for_client(self, client_id: str) -> Self:
        """This node for another caller: the same pool, chain id, seen height, retry policy
        and hook, its requests carrying `client_id`. Cheap (a shallow copy), never owns the
        pool: close the client it came from, not the view."""
        view = object.__new__(type(self))  # ~0.7 µs, a quarter of copy.copy: once per action
        view.__dict__.update(self.__dict__)
        view._client_id = check_client_id(client_id)
        view._owns_transport = False
        return view

    def with_retry(self, policy: RetryPolicy) -> Self:
        """This view with another retry policy: e.g. a reader that asks another node when
        this one is behind, instead of waiting for it, or a sender that fails over to another
        node instead of retrying a dead one. Cheap, like `for_client`; never owns the pool."""
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.retry_policy = policy
        view._owns_transport = False
        return view

    # ---- the edge -------------------------------------------------------------------------

    @property
    def seen_height(self) -> int:
        """The highest `X-Height` any answer carried: a floor for read-your-writes reads."""
        return self._known.seen_height

    async def _once(
        self,
        method: Method,
        path: str,
        json: object,
        content: bytes | None,
        min_height: int | None,
        timeout_s: float | None,
    ) -> Any:
        answer = await self.transport.request(
            method,
            path,
            json=json,
            content=content,
            min_height=min_height,
            timeout_s=timeout_s,
            client_id=self._client_id,
        )
        height = answer.height
        if height is not None and height > self._known.seen_height:
            self._known.seen_height = height
        if not answer.ok:
            raise error_from_answer(
                answer.status,
                answer.body,
                retry_after_s=answer.retry_after_s,
                method=method,
                path=path,
            )
        try:
            return orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            raise ProtocolViolation(
                f"{method} {path} answered {answer.status} with a body that is not JSON: "
                f"{answer.body[:200]!r}",
                status=answer.status,
            ) from None

    async def _exchange(
        self,
        method: Method,
        path: str,
        *,
        operation: str,
        json: object = None,
        content: bytes | None = None,
        min_height: int | None = None,
        policy: RetryPolicy | None = None,
        hook: AttemptHook | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        return await retry(
            lambda: self._once(method, path, json, content, min_height, timeout_s),
            policy or self.retry_policy,
            operation=operation,
            rng=self._rng,
            on_attempt=hook or self._on_attempt,
        )

    # ---- lifetime -------------------------------------------------------------------------

    async def close(self) -> None:
        if self._owns_transport:
            await self.transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.transport.config.root} chain={self._known.chain_id} "
            f"client={self.client_id}>"
        )
