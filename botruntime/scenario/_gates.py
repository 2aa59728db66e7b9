"""The validity gates every scenario gets unless it picks its own (SCENARIOS.md §1.4).

A failing gate means the experiment itself was broken, so the verdict is INCONCLUSIVE. The
scalars named here are what the runner and the metrics recorder must report:

- `offered_ratio`: offered / target rate, the lowest over the hold stages
- `dropped_ratio`: dropped intents / planned intents
- `worker.cpu`: the busiest worker's CPU share (0..1); `worker.loop_lag`: event-loop lag histogram
- `chain.blocks_ratio`: blocks produced / blocks expected over the run
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
            "the generator kept up: offered/target >= 0.95 in every hold stage, <= 1% dropped",
        ),
        "G2": StandardGate(
            "worker.cpu <= 85% and p99(worker.loop_lag) <= 50ms",
            "workers were not saturated: CPU <= 85% and event-loop lag p99 <= 50 ms",
        ),
        "G3": StandardGate(
            "chain.blocks_ratio >= 80%",
            "the chain advanced: at least 80% of the expected blocks were produced",
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
