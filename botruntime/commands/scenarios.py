"""`testbots scenarios list|validate|show`: what scenarios exist, whether they are valid, and
how one resolves at a size. A bad file exits 2 (DESIGN §5) with the loader's message; so does a
behaviour name the registry does not know, so a misspelt one fails here and not at run time."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from botruntime.behaviors import check_behaviours
from botruntime.scenario import (
    ClosedLoad,
    ConstantLoad,
    ExitCode,
    LoadedScenario,
    PoissonLoad,
    RampingLoad,
    RoleLoad,
    RoundsLoad,
    Scenario,
    ScenarioError,
    SteppedLoad,
    TraceLoad,
    find_scenarios_dir,
    list_scenarios,
    load_scenario,
)

__all__ = ["scenarios"]

_DIR_HELP = "folder of scenario YAML files (default: $TESTBOTS_SCENARIOS, else ./scenarios)"


def _directory(explicit: Path | None) -> Path:
    return find_scenarios_dir(explicit)  # the environment is read now, at call time


def _load(target: str | Path, directory: Path | None) -> LoadedScenario:
    """The scenario, valid against the schema and naming only registered behaviours."""
    loaded = load_scenario(target, directory)
    check_behaviours(loaded.scenario, file=loaded.path.name)
    return loaded


def _fail(exc: ScenarioError) -> None:
    click.echo(str(exc), err=True)
    raise SystemExit(int(ExitCode.USAGE))


@click.group()
def scenarios() -> None:
    """List, validate and show scenario files."""


@scenarios.command("list")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help=_DIR_HELP)
def list_command(directory: Path | None) -> None:
    """List the scenarios with their group tags, sizes and description."""
    try:
        found = list_scenarios(_directory(directory))
    except ScenarioError as exc:
        _fail(exc)
        return
    table = Table("id", "tags", "sizes", "description", title=f"{len(found)} scenarios")
    broken = 0
    for scenario_id, path in found.items():
        try:
            scenario = _load(path, None).scenario
        except ScenarioError:
            broken += 1
            table.add_row(scenario_id, "", "", "INVALID: see testbots scenarios validate")
            continue
        sizes = ", ".join(scenario.sizes.defined())
        table.add_row(scenario_id, ", ".join(scenario.tags), sizes, scenario.description)
    Console(width=120, markup=False).print(table)
    if broken:
        raise SystemExit(int(ExitCode.USAGE))


@scenarios.command("validate")
@click.argument("targets", nargs=-1)
@click.option("--dir", "directory", type=click.Path(path_type=Path), help=_DIR_HELP)
def validate_command(targets: tuple[str, ...], directory: Path | None) -> None:
    """Validate TARGETS (ids or YAML files; default: every scenario). Exit 2 on any error."""
    try:
        names: list[str | Path] = list(targets) or list(
            list_scenarios(_directory(directory)).values()
        )
    except ScenarioError as exc:
        _fail(exc)
        return
    failures = 0
    for name in names:
        try:
            loaded = _load(name, directory)
        except ScenarioError as exc:
            failures += 1
            click.echo(str(exc), err=True)
            continue
        click.echo(f"ok  {loaded.scenario.id}  ({loaded.path}, sha256 {loaded.content_hash[:12]})")
    if failures:
        click.echo(f"{failures} of {len(names)} scenario(s) invalid", err=True)
        raise SystemExit(int(ExitCode.USAGE))


@scenarios.command("show")
@click.argument("target")
@click.option("--size", default="default", show_default=True, help="smoke, default or full")
@click.option("--dir", "directory", type=click.Path(path_type=Path), help=_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the validated scenario as JSON")
def show_command(target: str, size: str, directory: Path | None, as_json: bool) -> None:
    """Show TARGET (an id or a YAML file) as resolved at --size."""
    try:
        loaded = _load(target, directory)
        loaded.scenario.size(size)
    except ScenarioError as exc:
        _fail(exc)
        return
    if as_json:
        document = loaded.scenario.model_dump(mode="json")
        document["content_hash"] = loaded.content_hash
        click.echo(json.dumps(document, indent=2))
        return
    _print_resolved(loaded, size)


def _print_resolved(loaded: LoadedScenario, size_name: str) -> None:
    scenario = loaded.scenario
    size = scenario.size(size_name)
    console = Console(width=140, markup=False)
    duration = size.duration_s()
    console.print(f"{scenario.id} [{size_name}]  {scenario.description}")
    console.print(
        f"file {loaded.path}  sha256 {loaded.content_hash[:16]}  seed {scenario.seed}  "
        f"tags {', '.join(scenario.tags) or '-'}  on_worker_loss {scenario.on_worker_loss}"
    )
    console.print(
        f"target chains {', '.join(scenario.target.chains)}  "
        f"allow_adversarial {scenario.target.allow_adversarial}  bots {size.bots}  "
        f"duration {'trace' if duration is None else f'{duration:g} s'}  "
        f"statistical criteria {'enforced' if size.enforce_statistical else 'reported only'}"
    )
    limits = scenario.limits
    console.print(
        f"limits: {limits.max_rate_per_s:g}/s, {limits.max_bots} bots, per bot "
        f"{limits.max_spend_per_bot}, total {limits.max_spend_total}"
    )
    overrides = scenario.simnet.model_dump(exclude_none=True)
    if overrides:
        console.print(f"simnet profile: {overrides}")
    console.print(_roles_table(scenario, size_name))
    for step in size.script:
        console.print(f"at {step.at_s:g} s: adnet {' '.join(step.adnet)}")
    judged = Table("id", "kind", "expression", "kills", title="verdict")
    for gate in scenario.verdict.gates:
        judged.add_row(gate.id, "gate", gate.expr, "")
    for criterion in scenario.verdict.all_criteria:
        kind: str = criterion.severity
        if not criterion.enforced_at(size):
            kind += " (reported)"
        judged.add_row(criterion.id, kind, criterion.expr, ", ".join(criterion.kills))
    console.print(judged)


def _roles_table(scenario: Scenario, size_name: str) -> Table:
    table = Table("role", "group", "bots", "load", "active", "in flight", "behaviours")
    bots = scenario.bot_ranges(size_name)
    for role in scenario.roles:
        window = scenario.active_window(size_name, role.name)
        active = "whole run"
        if window is not None:
            until = "end" if window.until_s is None else f"{window.until_s:g} s"
            active = f"{window.from_s:g} s .. {until}"
        in_flight = f"{role.max_in_flight_per_bot}/bot"
        if role.max_in_flight is not None:
            in_flight += f", {role.max_in_flight} total"
        mix = ", ".join(f"{name} {weight}" for name, weight in role.behaviours.items())
        load = _describe(scenario.load(size_name, role.name))
        table.add_row(
            role.name, role.group, str(len(bots[role.name])), load, active, in_flight, mix
        )
    return table


def _rate(rate_per_s: float | None, capacity_fraction: float | None) -> str:
    return f"{rate_per_s:g}/s" if rate_per_s is not None else f"{capacity_fraction:g}·C_tx"


def _describe(load: RoleLoad) -> str:
    match load:
        case ConstantLoad():
            drain = f", drain {load.drain_s:g} s" if load.drain_s else ""
            rate = _rate(load.rate_per_s, load.capacity_fraction)
            return f"constant {rate} for {load.seconds:g} s{drain}"
        case RampingLoad() | PoissonLoad():
            stages = ", ".join(
                f"{stage.kind} {stage.seconds:g} s"
                + (
                    ""
                    if stage.kind == "drain"
                    else f" @ {_rate(stage.rate_per_s, stage.capacity_fraction)}"
                )
                for stage in load.stages
            )
            return f"{load.kind}: {stages}"
        case SteppedLoad():
            steps = (
                [f"{rate:g}/s" for rate in load.rates_per_s]
                if load.rates_per_s
                else [f"{fraction:g}·C_tx" for fraction in load.capacity_fractions or ()]
            )
            drain = f", drain {load.drain_s:g} s" if load.drain_s else ""
            return f"stepped: {load.step_s:g} s at each of {', '.join(steps)}{drain}"
        case RoundsLoad():
            drain = f", drain {load.drain_s:g} s" if load.drain_s else ""
            return (
                f"rounds: {load.per_round} at once every {load.every_s:g} s, {load.rounds} "
                f"rounds from {load.first_s:g} s{drain}"
            )
        case TraceLoad():
            return f"trace {load.file} at {load.speed:g}x"
        case ClosedLoad():
            think = load.think_time.distribution
            return f"closed: {load.sessions} sessions, {think} think time, {load.seconds:g} s"
