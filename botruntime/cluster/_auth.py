"""The shared token on every call, and optional TLS.

Every RPC carries the token in the `x-testbots-token` metadata entry. The server interceptor
compares digests in constant time before any handler runs; a peer without the right token gets
UNAUTHENTICATED with the same words and the refusal `unauthenticated` whatever it asked, so it
learns nothing (not even which methods exist). Only the standard health check is open, so
Kubernetes probes need no secret; it says SERVING or not, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import grpc

from botruntime.cluster._errors import ClusterConfigError
from botruntime.cluster._refusal import refuse

__all__ = ["TOKEN_HEADER", "TlsFiles", "TokenInterceptor", "call_metadata", "check_token"]

TOKEN_HEADER: Final = "x-testbots-token"
DENIED: Final = "unauthenticated"
OPEN_METHODS: Final = frozenset({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"})


def check_token(token: str | None) -> str:
    if not token:
        raise ClusterConfigError(
            "no cluster token: pass --token or set TESTBOTS_TOKEN (the same on coordinator, "
            "workers and clients)"
        )
    if len(token) < 16:
        raise ClusterConfigError(
            "the cluster token is shorter than 16 characters: use a longer one"
        )
    return token


def call_metadata(token: str) -> tuple[tuple[str, str], ...]:
    return ((TOKEN_HEADER, token),)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8")).digest()


async def _deny(_request: object, context: grpc.aio.ServicerContext) -> None:
    await refuse(context, "unauthenticated", DENIED)


class TokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, token: str) -> None:
        self._expected = _digest(check_token(token))

    def authentic(self, metadata: Any) -> bool:
        presented = ""
        for key, value in metadata or ():
            if key == TOKEN_HEADER and isinstance(value, str):
                presented = value
        # digests have one length, so the comparison time says nothing about the token
        return hmac.compare_digest(_digest(presented), self._expected)

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        if handler_call_details.method in OPEN_METHODS or self.authentic(
            handler_call_details.invocation_metadata
        ):
            return await continuation(handler_call_details)
        handler = await continuation(handler_call_details)
        streaming_in = handler is not None and handler.request_streaming
        streaming_out = handler is not None and handler.response_streaming
        if streaming_in and streaming_out:
            return grpc.stream_stream_rpc_method_handler(_deny)
        if streaming_in:
            return grpc.stream_unary_rpc_method_handler(_deny)
        if streaming_out:
            return grpc.unary_stream_rpc_method_handler(_deny)
        return grpc.unary_unary_rpc_method_handler(_deny)


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """PEM files. The server needs cert + key; a client needs the CA that signed the server's."""

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    def server_credentials(self) -> Any:
        if self.cert is None or self.key is None:
            raise ClusterConfigError("TLS on the coordinator needs both --tls-cert and --tls-key")
        return grpc.ssl_server_credentials([(_read(self.key), _read(self.cert))])

    def channel_credentials(self) -> Any:
        return grpc.ssl_channel_credentials(root_certificates=_read(self.ca) if self.ca else None)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ClusterConfigError(f"cannot read TLS file {path}: {exc.strerror}") from None
