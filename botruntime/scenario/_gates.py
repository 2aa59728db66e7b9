"""The validity gates every scenario gets unless it picks its own (SCENARIOS.md §1.4).

A failing gate means the experiment itself was broken, so the verdict is INCONCLUSIVE. A gate
judges the experiment, never the network: it fails only for causes inside testbots (what the
network did is judged by the standard criteria, `_standard.py`). The scalars named here are
what the runner and the metrics recorder must report; one never recorded is missing, never 0,
so its gate cannot be judged and the run is INCONCLUSIVE with the missing input named:

- `offered_ratio`: offered / planned arrivals, the lowest over every role's hold stages
- `dropped_ratio`: arrivals dropped by the generator (reached too late to send) / planned, the
  highest over every role's hold stages
- `worker.cpu`: the busiest worker's CPU share (0..1); `worker.loop_lag`: event-loop lag histogram
- `worker.lost_beyond_policy`: workers lost that the scenario's `on_worker_loss` does not cover
- `inv.reachable`: 1 when the invariant source answered at start and end, else 0
- `setup.complete`: 1 when bots were funded and fixtures seeded, else 0
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["STANDARD_GATES", "StandardGate"]


class StandardGate(NamedTuple):
    expr: str
    description: str


STANDARD_GATES: Final = MappingProxyType(
    {
        "G1": StandardGate(
            "offered_ratio >= 0.95 and dropped_ratio <= 1%",
            "the generator kept up: in every hold stage offered/target >= 0.95 and <= 1% of "
            "intents dropped by the generator",
        ),
        "G2": StandardGate(
            "worker.cpu <= 85% and p99(worker.loop_lag) <= 50ms",
            "workers were not saturated: CPU <= 85% and event-loop lag p99 <= 50 ms",
        ),
        "G3": StandardGate(
            "worker.lost_beyond_policy == 0",
            "no worker was lost beyond the scenario's on_worker_loss policy",
        ),
        "G4": StandardGate(
            "inv.reachable == 1",
            "the invariant source was reachable at the start and at the end",
        ),
        "G5": StandardGate(
            "setup.complete == 1",
            "setup completed: bots funded, pools, markets and validators seeded",
        ),
    }
)
