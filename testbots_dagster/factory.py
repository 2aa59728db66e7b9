"""Scenario file -> graph-backed asset `scenarios/<id>`, its checks, and job `scenario_<id>`.

Pure: a `ScenarioSource` (the validated scenario, its file and its YAML document) goes in,
Dagster definitions come out; no instance, no I/O. `read_catalogue` reads `scenarios/*.yaml`
when the code location loads: the valid files become jobs, and a bad file becomes a stand-in
asset under its own key whose description names the file, the field and the fix (never a
failed run, and never the whole code location down).

The scenario travels as run config. Its defaults are the YAML document itself (the graph
asset's ConfigMapping and the job's preset), so "Materialize" works with no config and the
Launchpad opens with the whole scenario, editable; an edited scenario is validated when the
run starts (`setup`).

ScenarioLoadError        a scenario file cannot become Dagster definitions (.file)
"""

# No `from __future__ import annotations`: the graph body below is read by Dagster.

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from botruntime.behaviors import check_behaviours
from botruntime.runs import MutationPair, catch_all_pairs, mutation_pairs
from botruntime.scenario import (
    LoadedScenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
)
from testbots_dagster.checks import build_checks
from testbots_dagster.ops import distribute, execute, report, setup

__all__ = [
    "CATCH_ALL",
    "FLEET_TAG",
    "GROUP",
    "SCENARIO_TAG",
    "BuiltScenario",
    "Catalogue",
    "ScenarioLoadError",
    "ScenarioSource",
    "build_rejected",
    "build_scenario",
    "load_sources",
    "read_catalogue",
    "read_source",
]

GROUP = "scenarios"
FLEET_TAG = "testbots/fleet"  # runs carrying it queue behind each other (dagster.yaml)
SCENARIO_TAG = "testbots/scenario"
LOAD_ERROR_TAG = "testbots/load_error"  # on the stand-in asset of a file that did not load
NIGHTLY = "nightly"  # the scenario tag that puts it in the nightly regression
CATCH_ALL = "catch_all"  # the scenario tag that puts its catch-all in the weekly sweep


class ScenarioLoadError(RuntimeError):
    """A scenario file (or folder) that cannot become definitions; `.stem` names the file's
    scenario when there is one."""

    def __init__(self, message: str, *, file: str, stem: str = "") -> None:
        super().__init__(message)
        self.file = file
        self.stem = stem


@dataclass(frozen=True)
class ScenarioSource:
    """A validated scenario, the file it came from and the YAML document as written."""

    loaded: LoadedScenario
    document: Mapping[str, Any]

    @property
    def id(self) -> str:
        return self.loaded.scenario.id


@dataclass(frozen=True)
class BuiltScenario:
    scenario_id: str
    asset: dg.AssetsDefinition
    checks: Sequence[dg.AssetChecksDefinition]
    job: Any  # dg.define_asset_job returns UnresolvedAssetJobDefinition, not public
    config_key: str  # the graph asset's node name: run config lives under ops.<config_key>
    nightly: bool
    has_smoke: bool  # the scenario defines a smoke size (the nightly false-alarm runs use it)
    pairs: tuple[MutationPair, ...]  # (scenario, switch) mutants its criteria must kill
    # tagged `catch_all`: a mutant of every switch no criterion names (a survivor WARNs)
    catch_all: tuple[MutationPair, ...] = ()

    @property
    def primary_switch(self) -> str | None:
        """The first switch a criterion must kill (the Launchpad's example)."""
        return self.pairs[0].switch if self.pairs else None

    @property
    def key(self) -> dg.AssetKey:
        return self.asset.key


@dataclass(frozen=True)
class Catalogue:
    """What a scenarios folder holds: the files that load, and each one that does not with
    its error (one bad file never takes the others' jobs down)."""

    sources: tuple[ScenarioSource, ...]
    rejected: tuple[ScenarioLoadError, ...]


def read_catalogue(directory: Path) -> Catalogue:
    """Every scenario file of `directory`, validated (bounds, schema, behaviour names, id);
    a folder that is missing or holds no scenario file raises ScenarioLoadError."""
    try:
        files = list_scenarios(directory)
    except ScenarioError as exc:
        raise ScenarioLoadError(str(exc), file=exc.file) from None
    if not files:
        raise ScenarioLoadError(
            f"{directory}: no scenario files (*.yaml); set TESTBOTS_SCENARIOS to the folder",
            file=str(directory),
        )
    sources, rejected = [], []
    for stem, path in files.items():
        try:
            sources.append(_source(stem, path))
        except ScenarioLoadError as exc:
            rejected.append(exc)
    return Catalogue(tuple(sources), tuple(rejected))


def read_source(directory: Path, scenario_id: str) -> ScenarioSource | None:
    """The scenario `scenario_id` of `directory`, validated as `read_catalogue` validates each
    file (ScenarioLoadError when it cannot load); None when no file has that id."""
    try:
        path = list_scenarios(directory).get(scenario_id)
    except ScenarioError as exc:
        raise ScenarioLoadError(str(exc), file=exc.file) from None
    return None if path is None else _source(scenario_id, path)


def load_sources(directory: Path) -> list[ScenarioSource]:
    """Every scenario file of `directory`, all valid: the first bad one raises
    ScenarioLoadError (for tools that act on the whole catalogue, e.g. the mutation sweep)."""
    catalogue = read_catalogue(directory)
    if catalogue.rejected:
        raise catalogue.rejected[0]
    return list(catalogue.sources)


def _source(stem: str, path: Path) -> ScenarioSource:
    try:
        loaded = load_scenario(path)
        check_behaviours(loaded.scenario, file=path.name)
    except ScenarioError as exc:
        raise ScenarioLoadError(
            f"{path}: this scenario cannot be loaded into Dagster.\n{exc}",
            file=str(path),
            stem=stem,
        ) from None
    if loaded.scenario.id != stem:
        raise ScenarioLoadError(
            f"{path}: id: {loaded.scenario.id!r} differs from the file name. Fix: set "
            f"id: {stem}, or rename the file to {loaded.scenario.id}.yaml",
            file=str(path),
            stem=stem,
        )
    return ScenarioSource(loaded, loaded.document)


def build_rejected(error: ScenarioLoadError) -> dg.AssetSpec:
    """Where a UI user looks for a scenario that did not load: its asset key in the scenarios
    group, not materializable, its description and metadata carrying the load error."""
    return dg.AssetSpec(
        key=dg.AssetKey([GROUP, error.stem]),
        group_name=GROUP,
        description=f"This scenario file cannot be loaded; fix it and reload the code "
        f"location.\n\n{error}",
        metadata={
            "scenario_file": dg.MetadataValue.path(error.file),
            "load_error": dg.MetadataValue.md(f"```\n{error}\n```"),
        },
        tags={LOAD_ERROR_TAG: ""},
    )


def run_config_defaults(source: ScenarioSource) -> dict[str, Any]:
    """What a run of this scenario uses when nobody edits anything."""
    return {
        "size": "default",
        "seed": None,
        "switches": [],
        "target": "",
        "scenario": dict(source.document),
    }


def build_scenario(source: ScenarioSource) -> BuiltScenario:
    scenario = source.loaded.scenario
    defaults = run_config_defaults(source)
    sizes = ", ".join(scenario.sizes.defined())
    pairs = tuple(mutation_pairs([scenario]))
    primary = pairs[0].switch if pairs else None
    schema = {
        "size": dg.Field(
            str, default_value=defaults["size"], description=f"one of this scenario's: {sizes}"
        ),
        "seed": dg.Field(
            dg.Noneable(str),
            default_value=None,
            description=f"override the scenario's seed ({scenario.seed})",
        ),
        "switches": dg.Field(
            [str],
            default_value=[],
            description="simnet vulnerable modes to turn on (simnet only)"
            + (f", e.g. {primary}" if primary else ""),
        ),
        "target": dg.Field(
            str,
            default_value="",
            description="empty: the target resource's (simnet unless set); or "
            "alpha=URL,…,delta=URL,… of a real network",
        ),
        "scenario": dg.Field(
            dg.Permissive(),
            default_value=defaults["scenario"],
            description="the scenario file as run; edit to try a variant (validated at setup)",
        ),
    }
    source_file = str(source.loaded.path)

    @dg.graph_asset(
        name=scenario.id,
        key_prefix=[GROUP],
        group_name=GROUP,
        description=scenario.description,
        tags={tag: "" for tag in scenario.tags},
        kinds={"python"},
        metadata={
            "scenario_file": dg.MetadataValue.path(source_file),
            "scenario_hash": source.loaded.content_hash,
            "primary_switch": primary or "none",
        },
        config=dg.ConfigMapping(
            config_schema=schema,
            config_fn=lambda cfg: {"setup": {"config": {**cfg, "source_file": source_file}}},
        ),
    )
    def scenario_asset():  # type: ignore[no-untyped-def]
        prepared = setup()
        return report(prepared, execute(prepared, distribute(prepared)))

    config_key = scenario_asset.node_def.name
    job = dg.define_asset_job(
        name=f"scenario_{scenario.id}",
        selection=dg.AssetSelection.assets(scenario_asset.key),  # its checks come along
        description=f"setup -> distribute -> execute -> report for {scenario.id}",
        config={"ops": {config_key: {"config": defaults}}},  # the Launchpad's preset
        tags={FLEET_TAG: "exclusive", SCENARIO_TAG: scenario.id},
    )
    return BuiltScenario(
        scenario_id=scenario.id,
        asset=scenario_asset,
        checks=build_checks(scenario_asset.key),
        job=job,
        config_key=config_key,
        nightly=NIGHTLY in scenario.tags,
        has_smoke=scenario.sizes.smoke is not None,
        pairs=pairs,
        catch_all=tuple(catch_all_pairs(scenario)) if CATCH_ALL in scenario.tags else (),
    )
