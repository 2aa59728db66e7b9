"""simnet: testbots' reference network (Alpha and Delta) in one process on loopback.

The state machine (`Network`, `Params`) knows nothing of HTTP; `python -m simnet` serves it.
"""

from simnet._errors import Rejected, SimnetError, Throttled, Unavailable
from simnet._network import GenesisAccount, Network
from simnet._params import ALPHA, DELTA, ChainSpec, Params
from simnet._vuln import SWITCHES, UnknownSwitch, Vulns

__all__ = [
    "ALPHA",
    "DELTA",
    "SWITCHES",
    "ChainSpec",
    "GenesisAccount",
    "Network",
    "Params",
    "Rejected",
    "SimnetError",
    "Throttled",
    "Unavailable",
    "UnknownSwitch",
    "Vulns",
]
