"""The fuzzers (A4 `malformed_fuzz`): cases derived from the schema, reproducible from the id a
report names, and every answer counted as the scenario's criteria read it."""

import base64
import random
from collections import Counter
from collections.abc import Callable

import orjson
import pytest

from botruntime.behaviors import BEHAVIORS
from botruntime.behaviors.adversarial import fuzz
from botruntime.behaviors.adversarial._fuzz_cases import (
    FAMILIES,
    FuzzCase,
    Schema,
    derive_case,
    query_routes,
    variants,
)
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.chain.tx import canonical_json
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.identity import Identity
from botruntime.metrics import Recorder
from botruntime.wallet import AX, DX

OPENAPI = {
    "paths": {
        "/status": {"get": {}},
        "/blocks/{height}": {
            "get": {"parameters": [{"name": "height", "in": "path", "schema": {"type": "integer"}}]}
        },
        "/txs": {
            "get": {
                "parameters": [
                    {"name": "address", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ]
            },
            "post": {},
        },
        "/simnet/nodes/{node_id}/logs": {
            "get": {"parameters": [{"name": "node_id", "in": "path", "schema": {}}]}
        },
        "/events/stream": {"get": {"parameters": [{"name": "types", "in": "query", "schema": {}}]}},
    }
}
SCHEMA = Schema(
    chain_id="alpha-simnet-1",
    hrp="ax",
    native="AX",
    denoms=("AX", "sAX"),
    other_chain_id="delta-simnet-1",
    other_hrp="dx",
    min_fee_base=500,
    min_fee_per_byte=1,
    max_tx_bytes=16384,
    max_body_bytes=1048576,
    max_memo_bytes=256,
    routes=query_routes(OPENAPI),
)
SIGNER = Identity.derive("fuzz-test", 3)


def test_query_routes_are_the_get_endpoints_with_parameters_outside_the_control_plane() -> None:
    routes = {r.path: [(p.name, p.where, p.kind) for p in r.params] for r in SCHEMA.routes}
    assert routes == {
        "/blocks/{height}": [("height", "path", "integer")],
        "/txs": [("address", "query", "string"), ("limit", "query", "integer")],
    }


def test_a_case_is_rebuilt_byte_for_byte_from_its_seed() -> None:
    for seed in (0, 1, 2**63 + 5, 77_777):
        first = derive_case(seed, SCHEMA, SIGNER, 4)
        assert derive_case(seed, SCHEMA, SIGNER, 4) == first
        assert first.id.endswith(f"@{seed:016x}") and first.id.startswith(first.family + "/")
    bodies = {derive_case(seed, SCHEMA, SIGNER, 0).body for seed in range(200)}
    assert len(bodies) > 150  # seeds make different cases


def test_every_family_and_variant_is_reached_in_proportion() -> None:
    cases = [derive_case(seed, SCHEMA, SIGNER, 0) for seed in range(3000)]
    families = Counter(case.family for case in cases)
    total = sum(FAMILIES.values())
    for family, weight in FAMILIES.items():
        assert families[family] == pytest.approx(3000 * weight / total, rel=0.25), family
    for family in FAMILIES:
        if family == "query":
            continue
        reached = {case.variant for case in cases if case.family == family}
        assert reached == set(variants(family)), family


def _tx_of(case: FuzzCase) -> object:
    assert case.body is not None
    return orjson.loads(case.body)["tx"]


def test_a_signed_case_is_signed_by_the_fuzzer_over_what_it_sends() -> None:
    """The unknown field is the only fault: the signature covers the body as sent, so a
    decoder that drops the field yet checks the signature over the bytes received accepts
    it (this is how lenient decoding shows)."""
    for seed in range(3000):
        case = derive_case(seed, SCHEMA, SIGNER, 0)
        if case.variant != "unknown_body_field":
            continue
        tx = _tx_of(case)
        assert isinstance(tx, dict) and isinstance(tx["body"], dict)
        signature = base64.b64decode(str(tx["signature"]))
        assert SIGNER.verify(canonical_json(tx["body"]), signature)
        assert set(tx["body"]) - {
            "chain_id",
            "sender",
            "nonce",
            "fee",
            "msgs",
            "memo",
            "timeout_height",
        }
        return
    raise AssertionError("no unknown_body_field case in 3000 seeds")


def test_query_cases_are_requests_the_transport_can_send() -> None:
    for seed in range(3000):
        case = derive_case(seed, SCHEMA, SIGNER, 0)
        if case.family == "query":
            assert case.method == "GET" and case.body is None
            assert case.path.isascii() and case.path.isprintable() and " " not in case.path
            assert not case.path.startswith(("/simnet", "/events"))


# ---- the behaviour against a node played by a handler ----------------------------------------


def _node(chain_id: str, hrp: str, native: str, on_case: Callable[[Request], Answer]):  # type: ignore[no-untyped-def]
    params = {
        "chain_id": chain_id,
        "hrp": hrp,
        "native_denom": native,
        "denoms": [native],
        "min_fee_base": 500,
        "min_fee_per_byte": 1,
        "max_tx_bytes": 16384,
        "max_body_bytes": 1048576,
    }

    def handle(request: Request) -> Answer:
        if request.path == "/status":
            return answer(
                {
                    "chain_id": chain_id,
                    "node_id": "v0",
                    "height": 10,
                    "time": "t",
                    "catching_up": False,
                    "block_time_ms": 1000,
                }
            )
        if request.path == "/params":
            return answer(params)
        if request.path == "/openapi.json":
            return answer(OPENAPI)
        return on_case(request)

    return handle


def _context(on_case: Callable[[Request], Answer]) -> FleetContext:
    fuzz._SCHEMAS.clear()
    alpha = HttpAlphaClient(
        transport=MockTransport(
            _node("alpha-simnet-1", "ax", "AX", on_case), TransportConfig("http://a0")
        )
    )
    delta = HttpDeltaClient(
        transport=MockTransport(
            _node("delta-simnet-1", "dx", "DX", on_case), TransportConfig("http://d0")
        )
    )
    sides = {
        "alpha": ChainSide("alpha", [alpha], CommitWatcher(alpha), fee=2000, native=AX),
        "delta": ChainSide("delta", [delta], CommitWatcher(delta), fee=2000, native=DX),
    }
    return FleetContext(run_id="run-1", recorder=Recorder(), sides=sides, peers=Peers("s", 4))


async def _run(
    on_case: Callable[[Request], Answer], n: int = 40
) -> dict[str, tuple[int, list[str]]]:
    ctx = _context(on_case)
    bot = Bot("fuzz-test", 1, "fuzzer")
    rng = random.Random(7)
    for i in range(n):
        name = "fuzz_alpha" if i % 2 == 0 else "fuzz_delta"
        behaviour = BEHAVIORS[name]
        rec = Intent(ctx, name, behaviour.chain, 0.0, expected_codes=frozenset({"malformed"}))
        await behaviour.fn(bot, Chains(ctx, bot), rng, rec)
    delta = ctx.recorder.flush(0)
    found: dict[str, tuple[int, list[str]]] = {}
    examples = {key: list(ex) for key, ex in delta.examples}
    for key, value in delta.counters:
        label = key.name + "".join(f"{{{k}={v}}}" for k, v in key.labels if k in ("code", "kind"))
        count, seen = found.get(label, (0, []))
        found[label] = (count + value, seen + examples.get(key, []))
    return found


@pytest.mark.anyio
async def test_a_typed_expected_reject_is_the_defence_working() -> None:
    found = await _run(lambda r: error_answer(400, "malformed"))
    assert found["adv.fuzz_case{code=malformed}"][0] == 40
    assert (
        "adv.malformed_accepted" not in found and "adv.fuzz_unexpected{code=malformed}" not in found
    )


@pytest.mark.anyio
async def test_an_accepted_case_is_a_finding_whose_evidence_replays_it() -> None:
    found = await _run(lambda r: answer({"hash": "AB" * 32, "code": "ok", "status": "pending"}))
    count, ids = found["adv.malformed_accepted"]
    assert count > 20 and ids
    bot = Bot("fuzz-test", 1, "fuzzer")
    assert set(fuzz._SCHEMAS) == {"alpha-simnet-1", "delta-simnet-1"}
    for case_id in ids:
        family_variant, _, seed = case_id.partition("@")
        again = [derive_case(int(seed, 16), s, bot.identity, 0) for s in fuzz._SCHEMAS.values()]
        assert any(f"{c.family}/{c.variant}" == family_variant for c in again), case_id


@pytest.mark.anyio
async def test_a_5xx_or_an_undocumented_code_is_counted_with_the_case() -> None:
    found = await _run(lambda r: error_answer(500, "internal"), n=6)
    count, ids = found["n.error{kind=http5xx}"]
    assert count == 6 and all("@" in i for i in ids)
    found = await _run(lambda r: error_answer(400, "weird_code"), n=6)
    assert found["adv.fuzz_unexpected{code=weird_code}"][0] == 6
    found = await _run(lambda r: error_answer(502, "malformed"), n=4)
    assert found["n.error{kind=http5xx}"][0] == 4  # an expected code on a 5xx is still a 5xx
