"""offset_pagination and leak_index over HTTP: off, a growing history pages with no duplicate;
offset_pagination on, a page repeats what the previous one showed; leak_index on, the listing
is the same, found by walking every block."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from test_simnet_txs import post_tx, signed

pytestmark = pytest.mark.anyio


async def pay(client: httpx.AsyncClient, simnet: Any, who: Any, to: str, nonce: int) -> None:
    answer = await post_tx(client, signed(who, nonce, to))
    assert answer.status_code == 200, answer.text
    simnet.step(1)


@pytest.mark.parametrize("on", [False, True])
async def test_offset_pagination_repeats_items_of_a_growing_list(simnet: Any, on: bool) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(1)
    if on:
        simnet.vuln("offset_pagination")
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as client:
        for nonce in range(4):
            await pay(client, simnet, alice, bob.alpha_address, nonce)
        query = {"address": alice.alpha_address, "limit": "2"}
        first = (await client.get("/txs", params=query)).json()
        await pay(client, simnet, alice, bob.alpha_address, 4)  # the list grows between pages
        second = await client.get("/txs", params={**query, "cursor": first["next_cursor"]})
        seen = [t["hash"] for t in first["txs"]] + [t["hash"] for t in second.json()["txs"]]
    assert (len(set(seen)) < len(seen)) is on


@pytest.mark.parametrize("on", [False, True])
async def test_leak_index_answers_the_same_by_scanning(simnet: Any, on: bool) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(1)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as client:
        payments = 3
        for nonce in range(payments):
            await pay(client, simnet, alice, bob.alpha_address, nonce)
        indexed = (await client.get("/txs", params={"address": bob.alpha_address})).json()
        if on:
            simnet.vuln("leak_index")
        listed = (await client.get("/txs", params={"address": bob.alpha_address})).json()
    assert len(indexed["txs"]) == payments  # genesis funding is not a tx
    assert listed == indexed
