"""simnet: testbots' reference network (Alpha and Delta) in one process on loopback.

The state machine (`Network`, `Params`) knows nothing of HTTP; `python -m simnet` serves it.
"""

from simnet._compiled import install

install()  # before any module of the hot path is imported: compiled if built and current

from simnet._errors import Rejected, SimnetError, Throttled, Unavailable  # noqa: E402
from simnet._network import GenesisAccount, Network  # noqa: E402
from simnet._params import ALPHA, DELTA, ChainSpec, Params  # noqa: E402
from simnet._vuln import SWITCHES, UnknownSwitch, Vulns  # noqa: E402

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
