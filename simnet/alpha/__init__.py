"""Alpha's modules: staking and sAX, distribution, governance and the reward campaign."""

from simnet.alpha._campaign import Campaign
from simnet.alpha._distribution import Distribution
from simnet.alpha._gov import Gov, Proposal, parse_option
from simnet.alpha._install import AlphaModules, install_alpha
from simnet.alpha._params import PPM, AlphaParams
from simnet.alpha._staking import Staking, Unbonding, Validator

__all__ = [
    "PPM",
    "AlphaModules",
    "AlphaParams",
    "Campaign",
    "Distribution",
    "Gov",
    "Proposal",
    "Staking",
    "Unbonding",
    "Validator",
    "install_alpha",
    "parse_option",
]
