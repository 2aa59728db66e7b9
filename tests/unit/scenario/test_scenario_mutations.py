"""Random mutations of every shipped scenario file: a clear ScenarioError or a valid scenario,
never another exception (so `testbots` never shows a traceback for a bad file)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botruntime.scenario import ScenarioError, ScenarioInvalid, ScenarioSyntaxError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
IDS = tuple(sorted(path.stem for path in SCENARIOS.glob("*.yaml")))  # every shipped file
DOCUMENTS = {
    scenario_id: yaml.safe_load((SCENARIOS / f"{scenario_id}.yaml").read_text(encoding="utf-8"))
    for scenario_id in IDS
}
TEXTS = {
    scenario_id: (SCENARIOS / f"{scenario_id}.yaml").read_text(encoding="utf-8")
    for scenario_id in IDS
}

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["send_ax", "G1", "fail", "hold", "drain", "constant", "n.lost == 0", "1e400"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, Any]:
    scenario_id = draw(st.sampled_from(IDS))
    document = copy.deepcopy(DOCUMENTS[scenario_id])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = document
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "rename", "add", "duplicate"]))
        if action == "replace":
            parent[key] = draw(_VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8)) + "_"] = parent.pop(key)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(_VALUES)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return scenario_id, document


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mutants")


def _assert_clear(exc: ScenarioError, file_name: str) -> None:
    message = str(exc)
    assert message.startswith(file_name), message
    assert "Fix:" in message, message
    if isinstance(exc, ScenarioInvalid):
        assert exc.problems
        for problem in exc.problems:
            assert problem.path, message  # every problem names a field
            assert problem.fix, message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_documents_fail_with_a_scenario_error_naming_file_and_field(
    folder: Path, mutant: tuple[str, Any]
) -> None:
    scenario_id, document = mutant
    path = folder / f"{scenario_id}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        loaded = load_scenario(path)
    except ScenarioError as exc:
        _assert_clear(exc, path.name)
    else:
        assert loaded.scenario.verdict.criteria  # a harmless mutation still gives a scenario


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(IDS),
    st.integers(min_value=0, max_value=6000),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet=" :-[]{}'\"\t\n#&*!|>%@`,?abc1", max_size=6),
)
def test_mangled_text_fails_with_a_scenario_error(
    folder: Path, scenario_id: str, at: int, cut: int, insert: str
) -> None:
    text = TEXTS[scenario_id]
    at = min(at, len(text))
    path = folder / f"{scenario_id}.yaml"
    path.write_text(text[:at] + insert + text[at + cut :], encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioSyntaxError as exc:
        _assert_clear(exc, path.name)
        assert exc.line >= 0 and exc.column >= 0
    except ScenarioError as exc:
        _assert_clear(exc, path.name)
