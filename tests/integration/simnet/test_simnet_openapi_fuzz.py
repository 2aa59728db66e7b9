"""schemathesis over a real node's /openapi.json: no 5xx but 503, and no state change.

Cases come from every operation of the document, valid and invalid (positive and negative
generation). The control-plane writes (tagged `control`: reset, import, faults, node actions,
clock, vuln) are left out: they change the network on purpose. The clock is paused, so
nothing the fuzzer sends may move the state hash.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode


def test_no_5xx_but_503_and_no_state_change(simnet: Any) -> None:
    simnet.genesis_identities(2)
    simnet.step(1)
    schema = schemathesis.openapi.from_url(simnet.alpha_url(1) + "/openapi.json")
    operations = [r.ok() for r in schema.exclude(tag="control").get_all_operations()]
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
        seen.add(case.operation.label)
        assert response.status_code < 500 or response.status_code == 503, response.text
        if response.status_code >= 400 and response.status_code != 503:
            assert set(response.json()) == {"code", "codespace", "message", "details"}

    call()
    assert simnet.control("GET", "/simnet/export")["state_hash"] == before
    assert len(seen) >= len(operations) // 2
