"""The behaviour registry refuses a name twice and names the known ones for a typo."""

import pytest

from botruntime.behaviors import BEHAVIORS, BehaviorRegistry, DuplicateBehavior, UnknownBehavior


async def _noop(*_: object) -> None:
    return None


def test_a_name_registered_twice_is_refused() -> None:
    registry = BehaviorRegistry()
    registry.register("pay", group="legitimate", sends_tx=True)(_noop)
    with pytest.raises(DuplicateBehavior, match="registered twice"):
        registry.register("pay", group="adversarial")(_noop)
    assert registry["pay"].sends_tx and registry["pay"].group == "legitimate"


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownBehavior) as caught:
        BEHAVIORS["send_axx"]
    assert "send_ax" in caught.value.known


def test_built_in_behaviours_are_registered_with_their_chain() -> None:
    assert BEHAVIORS["send_ax"].chain == "alpha" and BEHAVIORS["send_ax"].sends_tx
    assert BEHAVIORS["send_dx"].chain == "delta"
    assert not BEHAVIORS["get_balance"].sends_tx
