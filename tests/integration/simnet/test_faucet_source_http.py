"""The faucet's quota per funding source over HTTP against a real simnet process: addresses
funded by one root share it, `sybil_per_address_only` lifts it, and `faucet/quota` sees the
source overdrawn (SCENARIOS.md A8)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from botruntime.chain.tx import TxBody, bank_multisend, sign_tx
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

FEE = 8_000


async def _fund_farm(simnet: Any, node: httpx.AsyncClient, count: int) -> list[Identity]:
    (root,) = simnet.genesis_identities(1)
    farm = [Identity.derive("http-farm", i) for i in range(count)]
    outputs = [(s.alpha_address, "AX", 5 * 10**6) for s in farm]
    body = TxBody(
        simnet.alpha_chain_id, root.alpha_address, 0, FEE, (bank_multisend(outputs),), "tb:it:0:1"
    )
    answer = await node.post("/txs", json={"tx": sign_tx(root, body).to_wire(), "mode": "commit"})
    assert answer.status_code == 200 and answer.json()["status"] == "committed", answer.text
    return farm


async def _draw(node: httpx.AsyncClient, who: Identity, amount: int) -> httpx.Response:
    return await node.post(
        "/faucet", json={"address": who.alpha_address, "denom": "AX", "amount": str(amount)}
    )


async def test_one_funding_source_draws_its_quota_and_no_more(simnet: Any) -> None:
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as node:
        params = (await node.get("/params")).json()
        each, source = params["faucet_quota"], params["faucet_source_quota"]
        farm = await _fund_farm(simnet, node, source // each + 1)
        codes = [(await _draw(node, s, each)).status_code for s in farm]
        assert codes.count(200) == source // each and codes[-1] == 429
        refused = (await _draw(node, farm[-1], 1)).json()
        assert refused["code"] == "quota_exceeded" and "source" in refused["details"]
        verdicts = simnet.control("GET", "/simnet/invariants?full=1")
        assert all(v["ok"] for v in verdicts if v["route"] == "faucet/quota")


async def test_per_address_only_lets_the_farm_overdraw_and_the_invariant_says_so(
    simnet: Any,
) -> None:
    simnet.vuln("sybil_per_address_only")
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as node:
        params = (await node.get("/params")).json()
        each, source = params["faucet_quota"], params["faucet_source_quota"]
        farm = await _fund_farm(simnet, node, source // each + 2)
        codes = [(await _draw(node, s, each)).status_code for s in farm]
        assert codes == [200] * len(farm)
    # the quota is counted when the faucet says yes: a full check sees it at once
    verdicts = simnet.control("GET", "/simnet/invariants?full=1")
    broken = [v for v in verdicts if v["route"] == "faucet/quota" and not v["ok"]]
    assert broken and "funding source" in broken[0]["detail"], verdicts
