"""Which runs check determinism across processes, and how the runner's reading replaces
simnet's own "not checked yet" one."""

from __future__ import annotations

from botruntime.runs._determinism import ROUTE, reads_determinism, with_determinism
from botruntime.runs._source import InvariantReading
from botruntime.scenario import load_scenario


def test_only_a_scenario_whose_criteria_read_the_route_checks_it() -> None:
    assert reads_determinism(load_scenario("mixed_soak").scenario)
    assert not reads_determinism(load_scenario("transfer_baseline").scenario)


def test_the_runners_reading_takes_the_place_of_simnets() -> None:
    simnet = (
        InvariantReading("alpha", "bank/total-supply", True, 40, "holds"),
        InvariantReading("alpha", ROUTE, True, 0, "not checked yet"),
        InvariantReading("delta", ROUTE, True, 0, "not checked yet"),
    )
    own = InvariantReading("alpha+delta", ROUTE, False, 40, "app hash a after import, b exported")
    merged = with_determinism(simnet, own)
    assert merged == (simnet[0], own)
    assert with_determinism(simnet, None) == simnet
    assert with_determinism(None, own) is None  # no invariant source: nothing to judge
