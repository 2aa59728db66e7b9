"""The two switch tables are one list: botruntime names what scenarios may kill, simnet what it
can switch off. botruntime never imports simnet (DESIGN §2), so this test ties them."""

from botruntime.scenario import VULN_SWITCHES
from simnet import SWITCHES


def test_every_simnet_switch_is_known_to_scenarios_and_back() -> None:
    assert sorted(VULN_SWITCHES) == sorted(SWITCHES)
    assert all(VULN_SWITCHES[name] and SWITCHES[name] for name in SWITCHES)
