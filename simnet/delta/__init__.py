"""Delta's markets: the DEX, the price oracle and perpetual futures (SCENARIOS.md §6 "Delta")."""

from simnet.delta._api import DeltaApi
from simnet.delta._dex import Dex
from simnet.delta._install import DeltaModules, feeder_identity, install_delta
from simnet.delta._margin import HOUSE, PERPS_ACCOUNT
from simnet.delta._oracle import Oracle, median
from simnet.delta._params import PRICE_SCALE, DeltaParams
from simnet.delta._perps import Perps
from simnet.delta._pool import Pool, swap_out

__all__ = [
    "HOUSE",
    "PERPS_ACCOUNT",
    "PRICE_SCALE",
    "DeltaApi",
    "DeltaModules",
    "DeltaParams",
    "Dex",
    "Oracle",
    "Perps",
    "Pool",
    "feeder_identity",
    "install_delta",
    "median",
    "swap_out",
]
