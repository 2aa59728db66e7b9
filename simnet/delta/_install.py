"""Delta's modules on a fresh genesis: the oracle, the DEX and perpetuals.

`install_delta` runs once per `Network.reset`. The oracle goes first so that, at the end of a
block, perps settle funding and liquidations against the price that block published. Feeders
are derived from the seed (`simnet/<seed>/feeders`, index 0 ..), like validators, so a harness
that knows the seed can sign their prices.
"""

from __future__ import annotations

from dataclasses import dataclass

from botruntime.identity import Identity, simnet_feeder
from simnet._chain import Chain
from simnet.delta._dex import Dex
from simnet.delta._oracle import Oracle
from simnet.delta._params import DeltaParams
from simnet.delta._perps import Perps

__all__ = ["DeltaModules", "feeder_identity", "install_delta"]


@dataclass(frozen=True, slots=True)
class DeltaModules:
    params: DeltaParams
    oracle: Oracle
    dex: Dex
    perps: Perps


def feeder_identity(seed: str, index: int) -> Identity:
    return simnet_feeder(seed, index)


def install_delta(delta: Chain, seed: str, params: DeltaParams | None = None) -> DeltaModules:
    params = params or DeltaParams()
    dex = Dex(params, delta)
    feeders = [feeder_identity(seed, i).delta_address for i in range(params.feeders)]
    oracle = Oracle(params, delta.vulns, feeders, dex.spot)
    perps = Perps(params, delta, oracle)
    for module in (oracle, dex, perps):
        delta.modules.add(module)
    return DeltaModules(params, oracle, dex, perps)
