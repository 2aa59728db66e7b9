"""botruntime.bots.lifecycle: only the drawn moves are possible, and the history stays small."""

from __future__ import annotations

import itertools
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.bots import BotState, IllegalTransition, Lifecycle, LifecycleError, Transition

S = BotState
DRAWN = {
    (S.CREATED, S.FUNDED),
    (S.FUNDED, S.RUNNING),
    (S.RUNNING, S.STOPPING),
    (S.STOPPING, S.STOPPED),
    (S.CREATED, S.STOPPING),
    (S.FUNDED, S.STOPPING),
    *((live, S.FAILED) for live in (S.CREATED, S.FUNDED, S.RUNNING, S.STOPPING)),
}


def _in_state(state: BotState) -> Lifecycle:
    path = {
        S.CREATED: [],
        S.FUNDED: [S.FUNDED],
        S.RUNNING: [S.FUNDED, S.RUNNING],
        S.STOPPING: [S.FUNDED, S.RUNNING, S.STOPPING],
        S.STOPPED: [S.FUNDED, S.RUNNING, S.STOPPING, S.STOPPED],
        S.FAILED: [S.FAILED],
    }[state]
    life = Lifecycle()
    for step in path:
        life.to(step, "setup")
    return life


def test_the_happy_path_is_recorded_with_times_and_reasons() -> None:
    life = Lifecycle(at_s=10.0)
    life.to(S.FUNDED, "faucet tx committed", at_s=11.0)
    life.running()
    life.stopping("plan drained")
    entry = life.stopped()
    assert life.state is S.STOPPED and entry.state is S.STOPPED and not life.is_live
    assert [t.state for t in life.history] == [
        S.CREATED,
        S.FUNDED,
        S.RUNNING,
        S.STOPPING,
        S.STOPPED,
    ]
    assert life.history[1] == Transition(S.FUNDED, 11.0, "faucet tx committed")
    assert life.history[3].reason == "plan drained"
    times = [t.at_s for t in life.history]
    assert times == sorted(times) and life.entered_at_s == times[-1]


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_move_is_checked_against_the_drawing(current: BotState, target: BotState) -> None:
    life = _in_state(current)
    before = life.history
    assert life.can(target) == ((current, target) in DRAWN)
    if (current, target) in DRAWN:
        life.to(target, "test")
        assert life.state is target and len(life.history) == len(before) + 1
        return
    with pytest.raises(IllegalTransition) as info:
        life.to(target, "test")
    assert isinstance(info.value, LifecycleError)
    assert (info.value.current, info.value.target) == (current, target)
    assert info.value.allowed == {t for c, t in DRAWN if c is current}
    assert repr(target.value) in str(info.value)
    assert life.history == before  # nothing changed


def test_terminal_states_say_so_in_the_error() -> None:
    with pytest.raises(IllegalTransition, match="terminal"):
        _in_state(S.STOPPED).running()


def test_failing_needs_a_reason() -> None:
    life = Lifecycle()
    with pytest.raises(ValueError, match="reason"):
        life.failed("")
    life.failed("funding tx rejected: insufficient_funds")
    assert life.state is S.FAILED and life.history[-1].reason.startswith("funding")


@settings(max_examples=200, deadline=None)
@given(targets=st.lists(st.sampled_from(list(S)), max_size=40))
def test_any_sequence_keeps_a_short_legal_history(targets: list[BotState]) -> None:
    life = Lifecycle()
    for target in targets:
        legal = life.can(target)
        try:
            life.to(target)
        except IllegalTransition:
            assert not legal
        else:
            assert legal
    states = [t.state for t in life.history]
    assert len(states) <= 5 and len(set(states)) == len(states)
    assert all((a, b) in DRAWN for a, b in itertools.pairwise(states))


def test_an_idle_lifecycle_is_small() -> None:
    life = Lifecycle()
    size = sys.getsizeof(life) + sys.getsizeof(life.history) + sys.getsizeof(life.history[0])
    assert size <= 200
