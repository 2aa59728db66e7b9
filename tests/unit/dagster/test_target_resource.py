"""TargetResource: its network, and the adversarial flag that belongs to that network only."""

from testbots_dagster.resources import TargetResource

REAL = "alpha=http://10.0.0.5:26600,delta=http://10.0.0.5:26650"


def test_the_flag_goes_with_the_resources_own_network() -> None:
    flagged = TargetResource(target=REAL, allow_adversarial=True)
    assert flagged.for_run() == (REAL, True)
    assert flagged.for_run(REAL) == (REAL, True)
    # a run config naming another network does not carry the flag there
    assert flagged.for_run("alpha=http://other:1") == ("alpha=http://other:1", False)
    assert TargetResource(target=REAL).for_run() == (REAL, False)
    assert TargetResource().for_run() == ("simnet", False)  # simnet needs no flag
