"""Find, read and validate scenario files; every failure becomes a ScenarioError, never a trace.

YAML is read with a SafeLoader that also refuses duplicate keys (plain `safe_load` silently
keeps the last one, so a repeated `rate_per_s` would change a run unnoticed), after
`check_bounded` has refused what would take long or much memory to build (_yaml_guard.py).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ._errors import (
    Problem,
    ScenarioError,
    ScenarioInvalid,
    ScenarioNotFound,
    ScenarioSyntaxError,
    UnknownBehaviours,
)
from ._pydantic_errors import problems_from
from ._scenario import Scenario
from ._yaml_guard import FAST_LOADER, MAX_BYTES, check_bounded, check_size

__all__ = [
    "LoadedScenario",
    "content_hash",
    "find_scenarios_dir",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "scenario_path",
    "validate_behaviours",
]

ENV_DIR = "TESTBOTS_SCENARIOS"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario with where it came from and its content hash (for the results store)."""

    scenario: Scenario
    path: Path
    content_hash: str
    document: Mapping[str, Any] = field(default_factory=dict)  # the YAML as written, in order


class _StrictLoader(FAST_LOADER):  # type: ignore[misc,valid-type]
    """SafeLoader that refuses duplicate keys in a mapping."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # a mapping or list as a key: construct_mapping names it unhashable
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found the key {key!r} twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def find_scenarios_dir(
    explicit: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """--dir, else $TESTBOTS_SCENARIOS, else the scenarios/ of the enclosing checkout."""
    if explicit is not None:
        return explicit
    env = os.environ if environ is None else environ
    if env.get(ENV_DIR):
        return Path(env[ENV_DIR])
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "scenarios").is_dir() and (folder / "pyproject.toml").is_file():
            return folder / "scenarios"
    if (here / "scenarios").is_dir():
        return here / "scenarios"
    return Path(__file__).resolve().parents[2] / "scenarios"  # a source checkout


def list_scenarios(directory: Path) -> dict[str, Path]:
    """Scenario id -> file for every YAML file in `directory`, sorted by id."""
    if not directory.is_dir():
        raise ScenarioNotFound(
            f"{directory}: no such scenarios directory",
            file=str(directory),
            fix=f"pass --dir DIR or set {ENV_DIR} to the folder holding the scenario YAML files",
        )
    files = sorted(p for p in directory.iterdir() if p.suffix in _SUFFIXES and p.is_file())
    return {path.stem: path for path in files}


def load_scenario(path_or_id: str | Path, scenarios_dir: Path | None = None) -> LoadedScenario:
    """Read and validate a scenario given as an id (`transfer_baseline`) or a YAML path."""
    path = scenario_path(path_or_id, scenarios_dir)
    by_id = isinstance(path_or_id, str) and _ID.match(str(path_or_id)) is not None
    return _load_file(path, expect_id=path.stem if by_id else None)


def scenario_path(path_or_id: str | Path, scenarios_dir: Path | None = None) -> Path:
    """Where a scenario given as an id or a path lives; not read yet."""
    text = str(path_or_id)
    by_id = isinstance(path_or_id, str) and _ID.match(text) is not None
    if by_id:
        directory = find_scenarios_dir(scenarios_dir)
        known = list_scenarios(directory)
        if text not in known:
            close = difflib.get_close_matches(text, list(known), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ScenarioNotFound(
                f"no scenario {text!r} in {directory}",
                file=str(directory),
                fix=f"{hint}`testbots scenarios list` shows the ids, or give a path to a YAML file",
            )
        return known[text]
    return Path(path_or_id)


def _load_file(path: Path, expect_id: str | None) -> LoadedScenario:
    name = path.name
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # never more than the bound into memory
        check_size(len(data), name)
        raw = data.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioNotFound(
            f"{path}: no such file", file=str(path), fix="check the path, or pass a scenario id"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(
            f"{path}: cannot be read ({exc})", file=str(path), fix="give a readable UTF-8 YAML file"
        ) from None
    scenario, document = _validate(raw, name)
    if expect_id is not None and scenario.id != expect_id:
        problem = Problem(
            "id",
            f"id {scenario.id!r} differs from the file name {name!r}",
            f"set id: {expect_id}, or rename the file to {scenario.id}.yaml",
        )
        raise ScenarioInvalid(name, [problem])
    return LoadedScenario(scenario, path, content_hash(document), document)


def parse_scenario(text: str, name: str) -> tuple[Scenario, str]:
    """A scenario document as text (a run's wire form), validated: (scenario, content hash).
    `name` is what errors call the document, e.g. the file name it came from."""
    scenario, document = _validate(text, name)
    return scenario, content_hash(document)


def _validate(raw: str, name: str) -> tuple[Scenario, dict[str, Any]]:
    document = _parse_yaml(raw, name)
    try:
        return Scenario.model_validate(document), document
    except ValidationError as exc:
        raise ScenarioInvalid(name, problems_from(exc, document)) from None


def _parse_yaml(raw: str, name: str) -> dict[str, Any]:
    try:
        check_bounded(raw, name)
        document = yaml.load(raw, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        problem = exc.problem or "invalid YAML"
        raise ScenarioSyntaxError(
            f"{name}: line {line}, column {column}: {problem}",
            file=name,
            line=line,
            column=column,
            fix="fix the YAML there (indentation, a missing ':', an unclosed quote or bracket, "
            "a repeated key)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioSyntaxError(
            f"{name}: not YAML ({exc})", file=name, line=0, column=0, fix="fix the YAML syntax"
        ) from None
    if not isinstance(document, dict):
        raise ScenarioSyntaxError(
            f"{name}: the top level is {type(document).__name__}, not a mapping",
            file=name,
            line=1,
            column=1,
            fix="start the file with 'id: <scenario id>' followed by the other keys",
        )
    return document


def content_hash(document: Mapping[str, Any]) -> str:
    """sha256 of the document's canonical JSON: comments, layout and key order do not count."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def validate_behaviours(scenario: Scenario, known: set[str], file: str = "") -> None:
    """Raise UnknownBehaviours naming every behaviour the registry (`known`) lacks."""
    missing: list[tuple[str, str]] = []
    for index, role in enumerate(scenario.roles):
        missing += [
            (f"roles[{index}].behaviours.{b}", b) for b in role.behaviours if b not in known
        ]
    if not missing:
        return
    where = file or f"{scenario.id}.yaml"
    lines = []
    for path, behaviour in missing:
        close = difflib.get_close_matches(behaviour, sorted(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        lines.append(f"{where}: {path}: no behaviour named {behaviour!r}{hint}")
    fix = (
        "use a registered behaviour name, or register the behaviour "
        f"(known: {', '.join(sorted(known)) or 'none'})"
    )
    raise UnknownBehaviours(
        "\n".join(lines) + f"\nFix: {fix}",
        file=where,
        path=missing[0][0],
        fix=fix,
        unknown=[behaviour for _, behaviour in missing],
    )
