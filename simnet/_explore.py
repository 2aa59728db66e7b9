"""Explorer reads of one node: block ranges, txs by address, the mempool view, supply.

Lists page with opaque cursors that name the last item returned ((height, index) for txs, the
admission number for the mempool), so a page never shifts when new items arrive (L5).
A cursor is dot-separated decimals (`cursor_pattern`), so the OpenAPI document states it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import JsonValue
from botruntime.identity import AddressError, parse_address
from simnet._chain import Chain
from simnet._errors import Rejected
from simnet._http import json_response, query_int
from simnet._network import Network
from simnet._node import Node
from simnet._paging import offset_page, scan_history

__all__ = ["NodeExplorer", "cursor_pattern", "decode_cursor", "encode_cursor"]

MAX_PAGE: Final = 100
DEFAULT_PAGE: Final = 50


def cursor_pattern(size: int) -> str:
    """The cursors of `size` numbers this node gives, dot-separated (`12.3`): opaque to a client,
    which only hands them back, but of a shape a document can state and a check can hold. An
    empty cursor is no cursor: the first page."""
    number = "(?:0|[1-9][0-9]{0,17})"
    return f"^(?:{number}" + rf"(?:\.{number})" * (size - 1) + ")?$"


def encode_cursor(*key: int) -> str:
    return ".".join(str(k) for k in key)


def decode_cursor(text: str, size: int) -> tuple[int, ...]:
    if not text or re.fullmatch(cursor_pattern(size), text) is None:
        raise Rejected("malformed", f"cursor {text!r} is not one this node gave; start without")
    return tuple(int(k) for k in text.split("."))


@dataclass(slots=True)
class NodeExplorer:
    network: Network
    chain_name: str
    node_index: int

    @property
    def chain(self) -> Chain:
        return self.network.chains[self.chain_name]

    @property
    def node(self) -> Node:
        return self.chain.nodes[self.node_index]

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/blocks", self.blocks),
            Route("/txs", self.txs_of, methods=["GET"]),
            Route("/mempool", self.mempool),
            Route("/mempool/stats", self.mempool_stats),
            Route("/supply", self.supply),
            Route("/supply/{denom}", self.supply_of),
        ]

    async def blocks(self, request: Request) -> Response:
        served = self.chain.served_height(self.node)
        limit = query_int(request, "limit", DEFAULT_PAGE, MAX_PAGE)
        last = min(query_int(request, "to", served, served), served)
        first = query_int(request, "from", max(0, last - limit + 1), served + 1)
        first = max(first, last - limit + 1, 0)
        blocks = [self.chain.blocks[h].to_wire() for h in range(first, last + 1)]
        return json_response({"blocks": blocks, "latest": served})

    async def txs_of(self, request: Request) -> Response:
        address = request.query_params.get("address")
        if address is None:
            raise Rejected("malformed", "GET /txs needs ?address=<address of this chain>")
        try:
            parse_address(address, self.chain.spec.hrp)
        except AddressError as exc:
            raise Rejected("invalid_address", f"?address=: {exc}") from None
        limit = query_int(request, "limit", DEFAULT_PAGE, MAX_PAGE) or DEFAULT_PAGE
        history: Sequence[tuple[int, int, str]] = self.chain.by_address.get(address, ())
        vulns = self.network.vulns
        if vulns.on("leak_index"):
            history = scan_history(self.chain, address)
        cursor = request.query_params.get("cursor")
        if vulns.on("offset_pagination"):
            (offset,) = decode_cursor(cursor, 1) if cursor else (0,)
            served = self.chain.served_height(self.node)
            items, more = offset_page(history, offset, limit, served)
            following = None if more is None else encode_cursor(more)
            return json_response({"txs": items, "next_cursor": following})
        start = 0
        if cursor:
            height, index = decode_cursor(cursor, 2)
            start = bisect.bisect_right(history, (height, index, "\uffff"))
        served = self.chain.served_height(self.node)
        page = [item for item in history[start : start + limit] if item[0] <= served]
        txs: list[JsonValue] = [{"hash": h, "height": ht, "index": i} for ht, i, h in page]
        following = None
        if len(page) == limit and start + limit < len(history):
            following = encode_cursor(page[-1][0], page[-1][1])
        return json_response({"txs": txs, "next_cursor": following})

    async def mempool(self, request: Request) -> Response:
        mempool = self.node.mempool
        full = self.network.vulns.on("mempool_view_full")
        limit = query_int(request, "limit", DEFAULT_PAGE, MAX_PAGE) or DEFAULT_PAGE
        sender = request.query_params.get("sender")
        if sender is not None:
            try:  # like ?address= of GET /txs: a filter that names no account is refused
                parse_address(sender, self.chain.spec.hrp)
            except AddressError as exc:
                raise Rejected("invalid_address", f"?sender=: {exc}") from None
            queue = mempool.senders.get(sender)
            entries = [] if queue is None else [*queue.ready.values(), *queue.future.values()]
        else:
            entries = list(mempool.entries.values())
        entries.sort(key=lambda e: e.arrival)
        cursor = request.query_params.get("cursor")
        if cursor:
            (after,) = decode_cursor(cursor, 1)
            entries = [e for e in entries if e.arrival > after]
        page = entries[:limit]
        items: list[JsonValue] = []
        for entry in page:
            item: dict[str, JsonValue] = {
                "hash": entry.hash,
                "sender": entry.sender,
                "nonce": entry.nonce,
                "fee": str(entry.fee),
                "size": entry.size,
                "status": mempool.status(entry.hash),
            }
            if full:
                item["tx"] = entry.wire
            items.append(item)
        following = encode_cursor(page[-1].arrival) if len(entries) > limit else None
        return json_response(
            {"view": "full" if full else "redacted", "txs": items, "next_cursor": following}
        )

    async def mempool_stats(self, request: Request) -> Response:
        chain, mempool = self.chain, self.node.mempool
        params = self.network.params
        future = sum(len(q.future) for q in mempool.senders.values())
        return json_response(
            {
                "txs": len(mempool),
                "bytes": mempool.bytes,
                "senders": len(mempool.senders),
                "pending": len(mempool) - future,
                "queued_future": future,
                "max_txs": params.mempool_max_txs,
                "max_bytes": params.mempool_max_bytes,
                "max_per_sender": params.max_pending_per_sender,
                "future_window": params.future_window,
                "ttl_blocks": params.mempool_ttl_blocks,
                "evicted": dict(chain.evictions),
                "rejected": dict(chain.rejects),
            }
        )

    async def supply(self, request: Request) -> Response:
        supply = self.chain.ledger.supply
        return json_response({"supply": {d: str(v) for d, v in sorted(supply.items())}})

    async def supply_of(self, request: Request) -> Response:
        denom = request.path_params["denom"]
        if denom not in self.chain.spec.denoms:
            raise Rejected(
                "unknown_denom", f"{denom!r} is not one of {sorted(self.chain.spec.denoms)}"
            )
        amount = self.chain.ledger.supply.get(denom, 0)
        return json_response({"denom": denom, "amount": str(amount)})
