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


def install_modules(
    chains: Mapping[str, Chain], seed: str, alpha_params: Mapping[str, int] | None = None
) -> None:
    """`alpha_params` overrides Alpha's module parameters (`AlphaParams` field -> value)."""
    # with the bridge on both chains
    install_alpha(chains["alpha"], chains["delta"], seed, alpha_params)
    install_delta(chains["delta"], seed)
