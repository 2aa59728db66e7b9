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

__all__ = ["module_paths", "module_routes"]


def module_routes(network: HasChains, chain: str) -> list[BaseRoute]:
    routes = BridgeApi(network, chain).routes()
    if chain == "alpha":
        routes += AlphaApi(network).routes()
    if chain == "delta":
        routes += DeltaApi(network).routes()
    return routes


def module_paths() -> dict[str, Any]:
    return alpha_paths()
