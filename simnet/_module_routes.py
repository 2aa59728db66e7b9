"""The modules' HTTP routes and OpenAPI paths, next to the core ones of each node.

`simnet._runtime` adds `module_routes` to every node's route table and `simnet._openapi`
adds `module_paths` to the document. Add a chain's module API here.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from simnet.alpha._api import AlphaApi, HasChains
from simnet.alpha._openapi import alpha_paths
from simnet.bridge._api import BridgeApi
from simnet.delta import DeltaApi
from simnet.delta._openapi import delta_msg_schemas, delta_paths

__all__ = ["module_paths", "module_routes", "module_schemas"]


def module_routes(network: HasChains, chain: str) -> list[BaseRoute]:
    routes = BridgeApi(network, chain).routes()
    if chain == "alpha":
        routes += AlphaApi(network).routes()
    if chain == "delta":
        routes += DeltaApi(network).routes()
    return routes


def module_paths(chain: str) -> dict[str, Any]:
    """The module reads a node of `chain` serves (the bridge's on both chains)."""
    if chain == "alpha":
        return alpha_paths()
    bridge = {p: ops for p, ops in alpha_paths().items() if p.startswith("/bridge/")}
    return {**bridge, **delta_paths()} if chain == "delta" else bridge


def module_schemas(chain: str) -> dict[str, Any]:
    """`components.schemas` a chain's modules add: its message shapes."""
    return delta_msg_schemas() if chain == "delta" else {}
