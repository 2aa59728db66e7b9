"""`compile_plan`: every scenario's plans pinned by golden files, and the rules it applies.

Each size of each file in scenarios/ whose rates are given compiles to a plan whose summary
(bots, behaviours, load, arrival counts and first/last offsets, duration, funding) must equal
`golden/<scenario>.<size>.json`. A size given as a fraction of C_tx must be refused without a
C_tx, naming the field and capacity_ramp, and compile with one. After a deliberate change to a
scenario or to the plan rules, rewrite the golden files and review their diff:

    TESTBOTS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/plan/test_compile.py
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.load import ArrivalPlan, SessionPlan, Share
from botruntime.plan import (
    CapacityUnknown,
    PlanInvalid,
    PlanSource,
    RolePlan,
    RunPlan,
    compile_plan,
    parse_target,
)
from botruntime.scenario import ScenarioError, UnknownBehaviours

REPO = Path(__file__).parents[3]
SCENARIOS = REPO / "scenarios"
GOLDEN = Path(__file__).parent / "golden"
SIZES = ("smoke", "default", "full")
SEED = "golden"
RUN_ID = "golden-run"
SIMNET = parse_target("simnet")


def _capacity_field(doc: dict[str, Any], size: str) -> str | None:
    """The path of the first load (in role order) that gives a rate as a fraction of C_tx."""
    loads = doc["sizes"][size]["load"]
    for role in doc["roles"]:
        load = loads[role["name"]]
        where = f"sizes.{size}.load.{role['name']}"
        if "capacity_fraction" in load:
            return where
        if "capacity_fractions" in load:
            return f"{where}.capacity_fractions[0]"
        for i, stage in enumerate(load.get("stages", ())):
            if "capacity_fraction" in stage:
                return f"{where}.stages[{i}]"
    return None


def _cases() -> list[tuple[str, str, str | None]]:
    """(scenario file, size, path of its C_tx field or None) for every size of every file."""
    cases = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for size in SIZES:
            if doc["sizes"].get(size) is not None:
                cases.append((path.name, size, _capacity_field(doc, size)))
    return cases


CASES = _cases()
COMPILED = [(name, size) for name, size, capacity in CASES if capacity is None]
REFUSED = [(name, size, capacity) for name, size, capacity in CASES if capacity is not None]


def _compile(name: str, size: str) -> RunPlan:
    text = (SCENARIOS / name).read_text()
    source = PlanSource(text, size, SEED, SIMNET, RUN_ID, (), name, base_dir=str(SCENARIOS))
    return compile_plan(source)


def _offsets(offsets: list[float]) -> list[float]:
    return [round(offset, 6) for offset in offsets]


def _load_summary(load: ArrivalPlan | Share | SessionPlan) -> dict[str, Any]:
    if isinstance(load, SessionPlan):
        return {
            "kind": "sessions",
            "sessions": load.sessions,
            "think_time": {
                "kind": load.think.kind,
                "mean_s": load.think.mean_s,
                "low_s": load.think.low_s,
            },
            "seconds": load.seconds,
            "drain_s": load.drain_s,
        }
    offsets = [offset for _, offset in load.arrivals()]
    return {
        "kind": type(load).__name__,
        "arrivals": len(offsets),
        "first_offsets_s": _offsets(offsets[:3]),
        "last_offsets_s": _offsets(offsets[-3:]),
    }


def _role_summary(role: RolePlan) -> dict[str, Any]:
    return {
        "name": role.name,
        "group": role.group,
        # a crew role holds every k-th bot of its crew block: its step is kept
        "bots": [
            role.bots.start,
            role.bots.stop,
            *([role.bots.step] if role.bots.step > 1 else []),
        ],
        "behaviours": dict(zip(role.behaviours, role.weights, strict=True)),
        "max_in_flight_per_bot": role.max_in_flight_per_bot,
        "expected_rejects": sorted(role.expected_rejects),
        "shared_client_id": role.shared_client_id,
        "load": _load_summary(role.load),
        "duration_s": role.load.duration_s,
    }


def summary(plan: RunPlan) -> dict[str, Any]:
    """What a plan decides, in a form that compares and diffs well (no fingerprint: it hashes
    the scenario's text, comments included)."""
    return {
        "scenario": plan.scenario.id,
        "size": plan.size_name,
        "seed": plan.seed,
        "bots": plan.bots,
        "duration_s": plan.duration_s,
        "on_worker_loss": plan.on_worker_loss,
        "block_time_s": plan.block_time_s,
        "funding": {denom.value: amount for denom, amount in sorted(plan.funding.items())},
        "spend_total": {denom.value: amount for denom, amount in sorted(plan.spend_total.items())},
        "roles": [_role_summary(role) for role in plan.roles],
        **(
            {"crews": [[c.name, list(c.roles), c.bots.start, c.bots.stop] for c in plan.crews]}
            if plan.crews
            else {}
        ),
    }


def _as_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(("name", "size"), COMPILED)
def test_every_compiled_plan_equals_its_golden_file(name: str, size: str) -> None:
    actual = _as_text(summary(_compile(name, size)))
    golden = GOLDEN / f"{Path(name).stem}.{size}.json"
    if os.environ.get("TESTBOTS_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual)
    expected = golden.read_text() if golden.exists() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                str(golden.relative_to(REPO)),
                "compiled now",
            )
        )
        pytest.fail(
            f"the compiled plan differs from its golden file "
            f"(TESTBOTS_UPDATE_GOLDEN=1 rewrites it):\n{diff}"
        )


def test_every_golden_file_belongs_to_a_compiled_size() -> None:
    expected = {f"{Path(name).stem}.{size}.json" for name, size in COMPILED}
    assert {path.name for path in GOLDEN.glob("*.json")} == expected


@pytest.mark.parametrize(("name", "size", "field"), REFUSED)
def test_a_size_in_fractions_of_capacity_is_refused_naming_field_and_fix(
    name: str, size: str, field: str
) -> None:
    with pytest.raises(CapacityUnknown) as refused:
        _compile(name, size)
    assert (refused.value.file, refused.value.path) == (name, field)
    assert "capacity_ramp" in refused.value.fix and "capacity_ramp" in str(refused.value)


@pytest.mark.parametrize(("name", "size", "field"), REFUSED)
def test_a_size_in_fractions_of_capacity_compiles_once_c_tx_is_given(
    name: str, size: str, field: str
) -> None:
    text = (SCENARIOS / name).read_text()
    source = PlanSource(text, size, SEED, SIMNET, RUN_ID, (), name, base_dir=str(SCENARIOS))
    plan = compile_plan(replace(source, capacity_tx_per_s=400.0))
    assert plan.duration_s > 0 and plan.source.capacity_tx_per_s == 400.0


def test_the_catalogue_has_both_kinds_of_size() -> None:
    assert COMPILED and REFUSED


# -- the rules ------------------------------------------------------------------------------


def _baseline_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text())
    return doc


def _source(doc: dict[str, Any], size: str = "smoke", **changes: Any) -> PlanSource:
    source = PlanSource(yaml.safe_dump(doc), size, "", SIMNET, "r1", (), "rules.yaml")
    return replace(source, **changes)


def _two_roles(bots: int) -> dict[str, Any]:
    """Roles b then a, one share each, `bots` bots at smoke size."""
    doc = _baseline_doc()
    user = doc["roles"][0]
    doc["roles"] = [{**user, "name": "b"}, {**user, "name": "a"}]
    load = {"kind": "constant", "rate_per_s": 1, "seconds": 1}
    doc["sizes"]["smoke"] = {"bots": bots, "load": {"b": load, "a": load}}
    doc["sizes"]["default"] = {"bots": bots, "load": {"b": load, "a": load}}
    del doc["sizes"]["full"]
    return doc


def test_bots_per_role_by_largest_remainder_ties_to_the_role_written_first() -> None:
    plan = compile_plan(_source(_two_roles(3)))
    assert {role.name: role.bots for role in plan.roles} == {"b": range(0, 2), "a": range(2, 3)}
    assert {role.name: role.bots for role in plan.roles} == plan.scenario.bot_ranges("smoke")


def test_bots_per_role_follow_the_shares() -> None:
    doc = _two_roles(10)
    doc["roles"][0]["share"] = 1
    doc["roles"][1]["share"] = 3
    plan = compile_plan(_source(doc))
    assert [(role.name, role.bots) for role in plan.roles] == [
        ("b", range(0, 3)),  # 2.5 -> 2 + the tie broken towards b
        ("a", range(3, 10)),  # 7.5 -> 7
    ]


def test_an_unknown_switch_is_refused_naming_switches() -> None:
    with pytest.raises(PlanInvalid) as refused:
        compile_plan(_source(_baseline_doc(), switches=("no_such_switch",)))
    assert refused.value.path == "switches"
    assert "no_such_switch" in str(refused.value) and "mempool_drop" in refused.value.fix


def test_a_switch_off_simnet_is_refused_naming_switches() -> None:
    real = parse_target("alpha=http://10.0.0.5:26600")
    with pytest.raises(PlanInvalid) as refused:
        compile_plan(_source(_baseline_doc(), target=real, switches=("mempool_drop",)))
    assert refused.value.path == "switches" and "simnet" in str(refused.value)
    assert compile_plan(_source(_baseline_doc(), switches=("mempool_drop",))).switches == (
        "mempool_drop",
    )


def test_an_unknown_behaviour_is_the_scenarios_error() -> None:
    doc = _baseline_doc()
    doc["roles"][0]["behaviours"] = {"sned_ax": 1}
    with pytest.raises(UnknownBehaviours) as refused:
        compile_plan(_source(doc))
    assert refused.value.unknown == ("sned_ax",) and refused.value.file == "rules.yaml"


def test_a_plan_pointed_at_started_simnet_keeps_its_roles() -> None:
    plan = compile_plan(_source(_baseline_doc()))
    started = SIMNET.with_simnet(["http://127.0.0.1:1"], ["http://127.0.0.1:2"], "http://c:3")
    moved = plan.on(started)
    assert moved.target == started and moved.fingerprint != plan.fingerprint
    assert moved.fingerprint == moved.source.fingerprint()
    assert moved.roles == plan.roles and moved.duration_s == plan.duration_s
    assert summary(compile_plan(moved.source)) == summary(plan)


def test_the_fingerprint_covers_every_input_that_shapes_the_plan() -> None:
    source = _source(_baseline_doc(), seed="1")
    other_doc = _baseline_doc()
    other_doc["seed"] = 1002
    changed = [
        replace(source, scenario_yaml=source.scenario_yaml + "\n# a comment\n"),
        replace(source, size="default"),
        replace(source, seed="2"),
        replace(source, seed=""),
        replace(source, target=parse_target("alpha=http://10.0.0.5:26600")),
        replace(source, target=SIMNET.with_simnet(["http://a:1"], [], "http://c:3")),
        replace(source, run_id="r2"),
        replace(source, switches=("mempool_drop",)),
        replace(source, switches=("mempool_drop", "fee_leak")),
        _source(other_doc, seed="1"),
    ]
    prints = [source.fingerprint(), *(c.fingerprint() for c in changed)]
    assert len(set(prints)) == len(prints)
    assert replace(source).fingerprint() == source.fingerprint()


def test_where_a_scenario_came_from_is_not_part_of_the_fingerprint() -> None:
    """scenario_name and base_dir only label errors and find files: the same text and inputs
    are the same run wherever the file lived."""
    source = _source(_baseline_doc())
    assert replace(source, scenario_name="other.yaml").fingerprint() == source.fingerprint()


def test_a_closed_role_with_an_active_window_is_refused() -> None:
    doc = _baseline_doc()
    doc["sizes"]["smoke"]["load"]["general_user"] = {
        "kind": "closed",
        "sessions": 4,
        "think_time": {"distribution": "constant", "mean_s": 1},
        "seconds": 10,
        "active": {"from_s": 5},
    }
    with pytest.raises(PlanInvalid) as refused:
        compile_plan(_source(doc))
    assert refused.value.path == "sizes.smoke.load.general_user.active"


def test_a_closed_role_compiles_to_sessions() -> None:
    doc = _baseline_doc()
    doc["sizes"]["smoke"]["load"]["general_user"] = {
        "kind": "closed",
        "sessions": 12,
        "think_time": {"distribution": "uniform", "min_s": 1, "max_s": 3},
        "seconds": 10,
        "drain_s": 2,
    }
    plan = compile_plan(_source(doc, seed="s"))
    role = plan.roles[0]
    assert role.closed and isinstance(role.load, SessionPlan)
    assert (role.load.sessions, role.load.seconds, role.load.drain_s) == (12, 10, 2)
    assert (role.load.think.kind, role.load.think.mean_s, role.load.think.low_s) == (
        "uniform",
        2.0,
        1.0,
    )
    assert plan.duration_s == 12.0
    reseeded = compile_plan(_source(doc, seed="t")).roles[0].load
    assert isinstance(reseeded, SessionPlan) and reseeded.seed != role.load.seed


def _trace_doc(tmp_path: Path, **load: Any) -> dict[str, Any]:
    (tmp_path / "timeline.csv").write_text("offset_s\n0\n1\n2\n")
    doc = _baseline_doc()
    doc["sizes"]["smoke"]["load"]["general_user"] = {"kind": "trace", **load}
    return doc


def test_a_trace_role_replays_its_file(tmp_path: Path) -> None:
    doc = _trace_doc(tmp_path, file="timeline.csv")
    plan = compile_plan(_source(doc, base_dir=str(tmp_path)))
    assert list(plan.roles[0].load.arrivals()) == [(0, 0.0), (1, 1.0), (2, 2.0)]


def test_a_trace_roles_duration_includes_its_drain(tmp_path: Path) -> None:
    doc = _trace_doc(tmp_path, file="timeline.csv", drain_s=5)
    plan = compile_plan(_source(doc, base_dir=str(tmp_path)))
    assert plan.duration_s == 7.0


def test_a_missing_trace_file_is_a_scenario_error(tmp_path: Path) -> None:
    doc = _trace_doc(tmp_path, file="missing.csv")
    with pytest.raises(ScenarioError) as refused:
        compile_plan(_source(doc, base_dir=str(tmp_path)))
    assert refused.value.file == "rules.yaml"
    assert refused.value.path.startswith("sizes.smoke.load.general_user")


def test_two_trace_plans_that_differ_have_different_fingerprints(tmp_path: Path) -> None:
    """A coordinator and a worker that read different timelines must not agree on a plan."""
    for folder, rows in (("here", "0\n1\n2\n"), ("there", "0\n5\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "timeline.csv").write_text(f"offset_s\n{rows}")
    doc = _baseline_doc()
    doc["sizes"]["smoke"]["load"]["general_user"] = {"kind": "trace", "file": "timeline.csv"}
    here = _source(doc, base_dir=str(tmp_path / "here"))
    there = replace(here, base_dir=str(tmp_path / "there"))
    one, two = compile_plan(here), compile_plan(there)
    assert summary(one) != summary(two)  # different plans...
    assert one.fingerprint != two.fingerprint  # ...so different fingerprints
