"""OpenAPI paths of Alpha's module reads and of the bridge reads (both chains serve those).

A path parameter is described as its handler checks it: an Alpha address (`v`, `a`), either
chain's address (a bridge sender), a proposal number, a bridge transfer id.
"""

from __future__ import annotations

from typing import Any, Final

from simnet._json_schemas import PARAM_UINT, address
from simnet._params import ALPHA, DELTA

__all__ = ["alpha_paths"]

_ERROR_REF: Final = {"$ref": "#/components/schemas/Error"}
_TRANSFER_ID: Final = {"type": "string", "pattern": "^(?:ax|dx)-[1-9][0-9]*$"}

# path -> (summary, its path parameters as keys of `_PARAMS`)
_READS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "/validators": ("the active validator set by power", ()),
    "/validators/{v}": ("one validator", ("v",)),
    "/validators/{v}/delegations": ("a validator's delegations", ("v",)),
    "/delegators/{a}/delegations": ("an address's delegations", ("a",)),
    "/delegators/{a}/unbonding": ("an address's unbonding entries", ("a",)),
    "/delegators/{a}/redelegations": ("an address's redelegations in cooldown", ("a",)),
    "/delegators/{a}/rewards": ("an address's claimable rewards", ("a",)),
    "/staking/pool": ("bonded and not-bonded tokens, sAX supply", ()),
    "/staking/params": ("staking and distribution parameters", ()),
    "/distribution/community_pool": ("the community pool", ()),
    "/gov/proposals": ("every proposal", ()),
    "/gov/proposals/{id}": ("one proposal", ("id",)),
    "/gov/proposals/{id}/votes": ("a proposal's final votes", ("id",)),
    "/gov/proposals/{id}/tally": ("a proposal's tally (running or final)", ("id",)),
    "/gov/params": ("governance parameters", ()),
    "/campaign": ("the reward campaign (simnet only)", ()),
    "/campaign/eligibility/{a}": ("whether an address qualifies this epoch", ("a",)),
    "/campaign/payouts": ("every campaign payout", ()),
    "/bridge/transfers/{id}": ("a bridge transfer and its attestation", ("transfer",)),
    "/bridge/senders/{a}/transfers": ("every transfer an address opened, in lock order", ("s",)),
    "/bridge/escrow": ("escrow, bAX supply, in flight, outflow window", ()),
    "/bridge/params": ("bridge parameters and key set", ()),
}


# a parameter's key in the table above -> its name in the path and its schema
_PARAMS: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "v": ("v", address(ALPHA)),
    "a": ("a", address(ALPHA)),
    "s": ("a", address(ALPHA, DELTA)),  # a bridge sender: an address of either chain
    "id": ("id", PARAM_UINT),
    "transfer": ("id", _TRANSFER_ID),
}


def _param(key: str) -> dict[str, Any]:
    name, schema = _PARAMS[key]
    return {"name": name, "in": "path", "required": True, "schema": schema}


def alpha_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, (summary, names) in _READS.items():
        op: dict[str, Any] = {
            "summary": summary,
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "default": {
                    "description": "an error answer",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                },
            },
        }
        if names:
            op["parameters"] = [_param(n) for n in names]
        paths[path] = {"get": op}
    return paths
