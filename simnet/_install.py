"""Which modules each chain runs: the one place that installs them on a fresh genesis.

`Network.reset` calls `install_modules` after it builds the chains and before it checks
genesis, so module accounts minted here are part of genesis. Add a chain's installer here.
"""

from __future__ import annotations

from collections.abc import Mapping

from simnet._chain import Chain
from simnet.alpha import install_alpha
from simnet.delta import install_delta

__all__ = ["install_modules"]


def install_modules(chains: Mapping[str, Chain], seed: str) -> None:
    install_alpha(chains["alpha"], chains["delta"], seed)  # with the bridge on both chains
    install_delta(chains["delta"], seed)
