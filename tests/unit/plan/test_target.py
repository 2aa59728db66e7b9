"""`--target`: simnet or alpha=URL,…,delta=URL,…; anything else names the fix."""

import pytest

from botruntime.plan import Target, TargetInvalid, parse_target


def test_simnet_and_real_targets() -> None:
    assert parse_target("simnet").is_simnet
    target = parse_target(
        "alpha=http://10.0.0.5:26600/,alpha=http://10.0.0.6:26600,delta=https://d:1"
    )
    assert target.alpha == ("http://10.0.0.5:26600", "http://10.0.0.6:26600")
    assert target.delta == ("https://d:1",) and not target.is_simnet and target.control is None
    assert target.describe().startswith("alpha=http://10.0.0.5:26600,")


@pytest.mark.parametrize("text", ["", "http://x:1", "gamma=http://x:1", "alpha=ftp://x", ","])
def test_bad_targets_name_the_form(text: str) -> None:
    with pytest.raises(TargetInvalid, match="simnet"):
        parse_target(text)


def test_a_resolved_simnet_target_survives_the_wire() -> None:
    target = parse_target("simnet").with_simnet(
        ["http://127.0.0.1:1", "http://127.0.0.1:2"], ["http://127.0.0.1:3"], "http://127.0.0.1:4"
    )
    assert Target.from_wire(target.wire()) == target and target.describe() == "simnet"


def test_a_wire_item_of_no_known_kind_is_refused() -> None:
    with pytest.raises(TargetInvalid, match="alpha=URL"):
        Target.from_wire(["gamma=http://x:1"])


def test_the_adversarial_flag_is_the_targets_and_survives_the_wire() -> None:
    real = parse_target("alpha=http://x:1,delta=http://y:2")
    assert not real.adversarial_allowed
    flagged = parse_target("alpha=http://x:1,delta=http://y:2", allow_adversarial=True)
    assert flagged.adversarial_allowed and flagged.wire()[-1] == "allow_adversarial"
    assert Target.from_wire(flagged.wire()) == flagged
    assert flagged.describe() == real.describe()  # baselines key on the network, not the flag
    assert parse_target("simnet").adversarial_allowed  # simnet is there to be attacked
