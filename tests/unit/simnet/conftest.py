"""A small network in memory (no HTTP): two funded identities per test and a tx factory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from botruntime.chain.tx import JsonValue, Msg, TxBody, bank_send, sign_tx
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params

FUNDS = 10**12


class FakeClock:
    """Seconds that move only when told: blocks and gossip become deterministic."""

    def __init__(self) -> None:
        self.now = 1_764_079_200.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Bench:
    network: Network
    clock: FakeClock
    ids: list[Identity]

    @property
    def alpha(self) -> Any:
        return self.network.chains["alpha"]

    @property
    def delta(self) -> Any:
        return self.network.chains["delta"]

    def tx(
        self,
        who: int,
        nonce: int,
        to: int = 1,
        *,
        amount: int = 10**6,
        fee: int = 5_000,
        chain: str = "alpha",
        denom: str | None = None,
        memo: str = "tb:unit:0:1",
        msgs: tuple[Msg, ...] | None = None,
        timeout_height: int = 0,
        client_tx_id: str | None = None,
    ) -> dict[str, JsonValue]:
        me, peer = self.ids[who], self.ids[to]
        hrp_alpha = chain == "alpha"
        body = TxBody(
            "alpha-simnet-1" if hrp_alpha else "delta-simnet-1",
            me.alpha_address if hrp_alpha else me.delta_address,
            nonce,
            fee,
            msgs
            or (
                bank_send(
                    peer.alpha_address if hrp_alpha else peer.delta_address,
                    amount,
                    denom or ("AX" if hrp_alpha else "DX"),
                ),
            ),
            memo,
            timeout_height,
            client_tx_id,
        )
        return copy.deepcopy(sign_tx(me, body).to_wire())


def make_bench(
    params: Params | None = None, vuln: tuple[str, ...] = (), accounts: int = 4
) -> Bench:
    clock = FakeClock()
    network = Network(params or Params(), "unit", vuln, clock=clock)
    ids = [Identity.derive("unit", i) for i in range(accounts)]
    genesis = [GenesisAccount(i.alpha_address, {"AX": FUNDS, "DX": FUNDS}) for i in ids[:-1]]
    network.reset("unit", genesis)  # the last identity is never funded: a new account
    return Bench(network, clock, ids)


@pytest.fixture
def bench() -> Bench:
    return make_bench()


@pytest.fixture
def bench_factory() -> Callable[..., Bench]:
    return make_bench
