"""Alpha's modules on a fresh genesis: validators, rewards, governance, campaign, bridge.

`install_alpha` wires the modules of Alpha (and the bridge on both chains) and mints their
genesis balances into module accounts, so it runs once per `Network.reset`. It also holds
the parameter store governance changes: the chain's fee parameters and Alpha's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Final

from botruntime.chain.tx import JsonValue
from botruntime.identity import Identity
from simnet._chain import Chain
from simnet._errors import Rejected
from simnet._module import Module
from simnet.alpha._campaign import AxName, Campaign, CampaignObserver
from simnet.alpha._distribution import Distribution
from simnet.alpha._gov import Gov
from simnet.alpha._params import PPM, AlphaParams
from simnet.alpha._staking import Staking
from simnet.alpha._wire import integer, state_of, versioned
from simnet.bridge._bridge import Bridge, BridgeModule, BridgeParams
from simnet.bridge._relayer import Relayer

__all__ = ["AlphaModules", "install_alpha"]

CHAIN_PARAMS: Final = ("min_fee_base", "min_fee_per_byte", "dust_limit", "account_creation_fee")
_LARGEST: Final = 10**15


@dataclass(slots=True)
class AlphaModules:
    params: AlphaParams
    staking: Staking
    distribution: Distribution
    gov: Gov
    campaign: Campaign
    bridge: Bridge
    relayer: Relayer


def install_alpha(
    alpha: Chain, delta: Chain, seed: str, overrides: Mapping[str, int] | None = None
) -> AlphaModules:
    """`overrides` sets Alpha's module parameters (`AlphaParams` fields, checked by
    `AlphaParams.with_overrides`), e.g. a short unbonding period for a short run."""
    params = AlphaParams.with_overrides(overrides or {})
    staking = Staking(alpha, params)
    for node in alpha.nodes:
        operator = Identity.simnet_validator(seed, node.index)
        staking.add_genesis_validator(operator.alpha_address, node.node_id)
    distribution = Distribution(alpha, params, staking)
    store = ParamStore(alpha, params)
    gov = Gov(alpha, params, staking, store.apply, store.check_value)
    ax = AxName()
    campaign = Campaign(alpha, params)
    bridge = Bridge(alpha, delta, seed, BridgeParams())
    relayer = Relayer(bridge, seed)
    for module in (
        store,
        CampaignObserver(alpha, campaign, ax),
        staking,
        distribution,
        gov,
        BridgeModule(bridge, alpha, relayer.relay_into),
        campaign,
    ):
        alpha.modules.add(module)
    delta.modules.add(CampaignObserver(delta, campaign, ax))
    for chain in (alpha, delta):
        chain.faucet_source = _faucet_source(campaign, ax)
    delta.modules.add(BridgeModule(bridge, delta, relayer.relay_into))
    return AlphaModules(params, staking, distribution, gov, campaign, bridge, relayer)


def _faucet_source(campaign: Campaign, ax: AxName) -> Callable[[str], str]:
    """An address's funding source for the faucet's quota: the campaign's funding root, the
    same on both chains (one key, both prefixes)."""

    def source(address: str) -> str:
        return campaign.source(ax(address))

    return source


class ParamStore(Module):
    """What a parameter-change proposal may set: the chain's fees and Alpha's own parameters.

    A module without messages: its state is the current value of every settable parameter,
    so what passed proposals changed survives export and import.
    """

    name = "params"

    def __init__(self, chain: Chain, params: AlphaParams) -> None:
        self.chain = chain
        self.params = params
        self.own = {f.name for f in fields(AlphaParams)}

    def check_value(self, key: str, value: int) -> None:
        known = key in CHAIN_PARAMS or key in self.own
        bad = (
            value > _LARGEST
            or (key.endswith("_ppm") and value > PPM)
            or (key.endswith("_blocks") and value < 1)
        )
        if not known or bad:
            raise Rejected(
                "malformed",
                f"body.msgs[0].param: {key!r} = {value} is not a settable parameter value; "
                f"one of {sorted((*CHAIN_PARAMS, *self.own))}, ppm <= {PPM}, blocks >= 1",
                {"path": "body.msgs[0].param"},
            )

    def apply(self, key: str, value: int) -> None:
        if key in self.own:
            setattr(self.params, key, value)
            return
        chain = self.chain
        chain.params = replace(chain.params, **{key: value})
        chain.decoder.params = chain.params  # the fee check reads it at admission

    def values(self) -> dict[str, int]:
        chain = {key: int(getattr(self.chain.params, key)) for key in CHAIN_PARAMS}
        return {**chain, **self.params.to_wire()}

    def to_wire(self) -> JsonValue:
        return versioned({key: str(value) for key, value in self.values().items()})

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        now = self.values()
        wanted = {key: integer(data[key], f"params.{key}") for key in now}
        for key, value in wanted.items():
            if value != now[key]:
                self.apply(key, value)
