"""schemathesis over a real node's /openapi.json: no 5xx but 503, and no state change.

Cases come from every operation of the document, valid and invalid (positive and negative
generation), on an Alpha node and on a Delta node (each serves its own modules' reads). The
control-plane writes (tagged `control`: reset, import, faults, node actions, clock, vuln) are
left out: they change the network on purpose. `GET /events/stream` is left out too: a valid
request opens an endless stream, which a request-and-answer fuzzer would wait on forever (its
own tests read it). The clock is paused, so nothing the fuzzer sends may move the state hash.
On Delta a pool and a margin account exist first, so the reads have something to find.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from botruntime.chain.tx import Msg, TxBody, sign_tx
from botruntime.identity import Identity

DELTA_READS = ("/dex/", "/perps/", "/oracle/")


def _commit(simnet: Any, who: Identity, msgs: list[Msg]) -> None:
    """Sign and send each msg in its own tx (nonces 0, 1, ..), then make a block."""
    with httpx.Client(base_url=simnet.delta_url(0), timeout=10) as client:
        hashes = []
        for nonce, msg in enumerate(msgs):
            body = TxBody(simnet.delta_chain_id, who.delta_address, nonce, 10_000, (msg,), "", 0)
            tx = copy.deepcopy(sign_tx(who, body).to_wire())
            answer = client.post("/txs", json={"tx": tx, "mode": "sync"})
            assert answer.status_code == 200, answer.text
            hashes.append(answer.json()["hash"])
        simnet.step(1)
        assert [client.get(f"/txs/{h}").json()["status"] for h in hashes] == ["committed"] * 2


def _markets(simnet: Any) -> None:
    trader = Identity.derive("fuzz", 0)
    simnet.reset([(trader.delta_address, {"DX": 10**12, "bAX": 10**12})])
    simnet.step(1)
    amount = str(10**10)
    pool = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX", "amount_a": amount}
    _commit(
        simnet,
        trader,
        [{**pool, "amount_b": amount}, {"type": "perps.deposit", "amount": str(10**9)}],
    )


@pytest.mark.parametrize("chain", ["alpha", "delta"])
def test_no_5xx_but_503_and_no_state_change(simnet: Any, chain: str) -> None:
    if chain == "delta":
        _markets(simnet)
    else:
        simnet.genesis_identities(2)
        simnet.step(1)
    url = simnet.alpha_url(1) if chain == "alpha" else simnet.delta_url(1)
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    selected = schema.exclude(tag="control").exclude(path="/events/stream")
    operations = [r.ok() for r in selected.get_all_operations()]
    cases = st.one_of([op.as_strategy(mode) for op in operations for mode in GenerationMode])
    before = simnet.control("GET", "/simnet/export")["state_hash"]
    seen: set[str] = set()

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: Any) -> None:
        response = case.call(headers={"X-Client-Id": f"fuzz-{len(seen) % 7}"})
        seen.add(case.operation.path)
        assert response.status_code < 500 or response.status_code == 503, response.text
        if response.status_code >= 400 and response.status_code != 503:
            assert set(response.json()) == {"code", "codespace", "message", "details"}
        if response.status_code == 200 and case.operation.path.startswith(DELTA_READS):
            documented = case.operation.definition.raw["responses"]["200"]["content"]
            jsonschema_rs.validate(documented["application/json"]["schema"], response.json())

    call()
    assert simnet.control("GET", "/simnet/export")["state_hash"] == before
    assert len(seen) >= len(operations) // 2
    if chain == "delta":
        reads = {op.path for op in operations if op.path.startswith(DELTA_READS)}
        assert len(seen & reads) >= len(reads) // 2, sorted(seen & reads)
