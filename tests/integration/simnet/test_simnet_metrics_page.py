"""simnet's Prometheus page (`GET /metrics`, also `/simnet/metrics`, on every node) after
commits, a refused tx and a block: every family carries samples, and `promtool check metrics`
finds nothing to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from botruntime.chain.tx import TxBody, bank_send, sign_tx

pytestmark = pytest.mark.anyio


def _transfer(simnet: Any, alice: Any, bob: Any, nonce: int) -> dict[str, Any]:
    body = TxBody(
        simnet.alpha_chain_id,
        alice.alpha_address,
        nonce,
        5_000,
        (bank_send(bob.alpha_address, 10**6),),
    )
    return {"tx": sign_tx(alice, body).to_wire()}


async def test_the_page_is_clean_for_promtool(simnet: Any, promtool: Callable[[str], str]) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(0)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        for nonce in range(3):
            assert (await node.post("/txs", json=_transfer(simnet, alice, bob, nonce))).is_success
        refused = await node.post("/txs", json=_transfer(simnet, alice, bob, 0))  # used nonce
        assert refused.status_code >= 400
        simnet.step(1)
        page = (await node.get("/metrics")).text
        assert (await node.get("/simnet/metrics")).text.splitlines()[:5] == page.splitlines()[:5]
    families = {f.name: f for f in text_string_to_metric_families(page)}
    assert families["simnet_committed_txs"].samples, page
    assert any(s.value >= 1 for s in families["simnet_reject"].samples), page
    assert promtool(page) == ""
