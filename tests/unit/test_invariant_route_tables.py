"""The two invariant route tables are one list: botruntime names what an `inv[...]` pattern may
select, simnet what it checks. botruntime never imports simnet (DESIGN §2), so this test ties
them."""

from botruntime.scenario import INVARIANT_ROUTES
from simnet import Network, Params


def test_every_simnet_invariant_route_is_known_to_scenarios_and_back() -> None:
    network = Network(Params(), "routes")
    checked = {route for chain in network.invariants.values() for route in chain.verdicts}
    assert sorted(INVARIANT_ROUTES) == sorted(checked)
    assert all(INVARIANT_ROUTES.values())
