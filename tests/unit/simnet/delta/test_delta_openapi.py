"""Delta's OpenAPI document: each example fits its schema, and the examples' story, replayed on
the state machine, answers exactly what the document says."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from delta_bench import Delta

from botruntime.chain.tx import MSG_SCHEMAS, decode_tx
from simnet.delta import DeltaApi
from simnet.delta._openapi import DELTA_MSG_PREFIXES, delta_msg_schemas, delta_paths

PATHS = delta_paths()
MSGS = delta_msg_schemas()


def answer(path: str) -> dict[str, Any]:
    content = PATHS[path]["get"]["responses"]["200"]["content"]["application/json"]
    return {"schema": content["schema"], "example": content["example"]}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_read_example_fits_its_schema(path: str) -> None:
    documented = answer(path)
    jsonschema_rs.validate(documented["schema"], documented["example"])


def test_every_delta_message_has_a_schema_its_example_fits() -> None:
    delta_types = {t for t in MSG_SCHEMAS if t.startswith(DELTA_MSG_PREFIXES)}
    assert set(MSGS) == delta_types
    for schema in MSGS.values():
        jsonschema_rs.validate(schema, schema["examples"][0])


def test_the_example_story_replays_on_the_state_machine(delta: Delta) -> None:
    create, swap = (MSGS[k]["examples"][0] for k in ("dex.create_pool", "dex.swap"))
    assert delta.run(delta.traders[0], create) == "committed"
    api = DeltaApi(network=delta.network)  # type: ignore[arg-type]
    pool = api.dex.pool(1)
    assert pool.to_wire() == answer("/dex/pools/{pool}")["example"]
    quote = answer("/dex/pools/{pool}/quote")["example"]
    assert (
        str(api.dex.quote(pool, quote["denom_in"], int(quote["amount_in"])))
        == (quote["amount_out"])
    )
    # the swap example's min_out is exactly the quote: it commits before its deadline
    swap = {**swap, "deadline_height": delta.chain.height + 2}
    assert delta.run(delta.traders[1], swap) == "committed"


def test_an_example_message_passes_the_decoder(delta: Delta) -> None:
    for kind, schema in MSGS.items():
        wire = delta.wire(delta.traders[0], schema["examples"][0])
        assert decode_tx(wire, "dx").body.msgs[0]["type"] == kind
