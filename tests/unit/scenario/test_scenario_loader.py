"""Scenario files: the two shipped ones load as the catalogue says; bad ones fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from botruntime.scenario import (
    VULN_SWITCHES,
    ClosedLoad,
    ConstantLoad,
    RampingLoad,
    ScenarioError,
    ScenarioInvalid,
    ScenarioNotFound,
    ScenarioSyntaxError,
    SizeNotDefined,
    UnknownBehaviours,
    find_scenarios_dir,
    list_scenarios,
    load_scenario,
    validate_behaviours,
)

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = REPO / "scenarios"


def _document(scenario_id: str) -> dict[str, object]:
    loaded = yaml.safe_load((SCENARIOS / f"{scenario_id}.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _write(tmp_path: Path, document: object, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_transfer_baseline_is_the_catalogue_l1() -> None:
    loaded = load_scenario("transfer_baseline", SCENARIOS)
    scenario = loaded.scenario
    assert scenario.id == "transfer_baseline" and len(loaded.content_hash) == 64
    role = scenario.role("general_user")
    assert role.behaviours == {"send_ax": 70, "get_balance": 20, "get_tx": 10}
    assert role.max_in_flight_per_bot == 1
    default = scenario.size("default")
    load = default.load["general_user"]
    assert default.bots == 100 and isinstance(load, RampingLoad)
    assert [(s.kind, s.seconds, s.rate_per_s) for s in load.stages] == [
        ("ramp", 5, 50),
        ("hold", 50, 50),
        ("drain", 10, None),
    ]
    full = scenario.size("full").load["general_user"]
    assert isinstance(full, RampingLoad) and full.stages[1].capacity_fraction == 0.5
    assert scenario.size("smoke").enforce_statistical is False
    kills = {c.id: c.kills for c in scenario.verdict.criteria}
    assert kills["C4_completeness"] == ("mempool_drop",)
    assert kills["C5_ledger_exact"] == ("mempool_drop",)
    assert kills["C6_invariants"] == ("fee_leak",)
    ids = [c.id.split("_")[0] for c in scenario.verdict.criteria if c.severity == "hard"]
    assert ids == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert [gate.id for gate in scenario.verdict.gates] == ["G1", "G2", "G3", "G4", "G5"]
    assert scenario.target.allows("alpha-simnet-1") and not scenario.target.allows("delta-simnet-1")


def test_replay_attack_is_the_catalogue_a1() -> None:
    scenario = load_scenario("replay_attack", SCENARIOS).scenario
    assert scenario.target.allow_adversarial
    ranges = scenario.bot_ranges("default")
    # 50 victims (transfers 38, bridge use 12) to 4 replayers
    victims_ranges = {"general_user": range(0, 38), "bridge_user": range(38, 50)}
    assert ranges == {**victims_ranges, "replayer": range(50, 54)}
    replayer = scenario.role("replayer")
    assert replayer.group == "adversarial" and sum(replayer.behaviours.values()) == 100
    payers = scenario.load("default", "general_user")
    bridgers = scenario.load("default", "bridge_user")
    replays = scenario.load("default", "replayer")
    assert isinstance(payers, ConstantLoad) and isinstance(bridgers, ConstantLoad)
    assert payers.rate_per_s + bridgers.rate_per_s == 20
    assert isinstance(replays, ConstantLoad) and replays.rate_per_s == 60
    window = scenario.active_window("default", "replayer")
    assert window is not None and (window.from_s, window.until_s) == (10, 55)
    assert replays.rate_per_s * (window.until_s - window.from_s) == 2700  # "about 2,700"
    assert [step.adnet for step in scenario.size("default").script] == [("node", "restart", "v1")]
    c1 = next(c for c in scenario.verdict.criteria if c.id.startswith("C1"))
    assert set(c1.kills) == {"nonce_not_enforced", "chain_id_unsigned", "bridge_no_once"}
    c3 = next(c for c in scenario.verdict.criteria if c.id.startswith("C3"))
    assert c3.kills == ("noncanonical_hash",)
    assert all(k in VULN_SWITCHES for c in scenario.verdict.criteria for k in c.kills)


def test_content_hash_ignores_comments_and_layout(tmp_path: Path) -> None:
    original = load_scenario(SCENARIOS / "transfer_baseline.yaml")
    rewritten = _write(tmp_path, _document("transfer_baseline"), "transfer_baseline.yaml")
    assert load_scenario(rewritten).content_hash == original.content_hash
    changed = _document("transfer_baseline")
    changed["seed"] = 7
    assert load_scenario(_write(tmp_path, changed)).content_hash != original.content_hash


def test_list_and_directory_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listed = list(list_scenarios(SCENARIOS))
    assert listed == sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert {"replay_attack", "transfer_baseline"} <= set(listed)
    monkeypatch.setenv("TESTBOTS_SCENARIOS", str(tmp_path))
    assert find_scenarios_dir() == tmp_path  # read at call time
    assert find_scenarios_dir(SCENARIOS) == SCENARIOS
    monkeypatch.delenv("TESTBOTS_SCENARIOS")
    monkeypatch.chdir(REPO / "botruntime")
    assert find_scenarios_dir() == SCENARIOS
    with pytest.raises(ScenarioNotFound, match="no such scenarios directory"):
        list_scenarios(tmp_path / "absent")


def test_unknown_id_suggests_the_close_one() -> None:
    with pytest.raises(ScenarioNotFound, match="did you mean transfer_baseline"):
        load_scenario("transfer_basline", SCENARIOS)
    with pytest.raises(ScenarioNotFound, match="no such file"):
        load_scenario(SCENARIOS / "absent.yaml")


def test_id_must_match_the_file_name_when_loaded_by_id(tmp_path: Path) -> None:
    _write(tmp_path, _document("transfer_baseline"), "other.yaml")
    with pytest.raises(ScenarioInvalid, match=r"differs from the file name 'other\.yaml'"):
        load_scenario("other", tmp_path)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("id: x\n  bad: [\n", 2, "mapping values are not allowed"),
        ("id: x\nseed: 1\nseed: 2\n", 3, "found the key 'seed' twice"),
        ("- a\n- b\n", 1, "not a mapping"),
        ("", 1, "not a mapping"),
        ("id: 'open\n", 2, "found unexpected end of stream"),
    ],
)
def test_yaml_syntax_errors_name_line_and_column(
    tmp_path: Path, text: str, line: int, needle: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioSyntaxError) as caught:
        load_scenario(path)
    assert caught.value.line == line
    assert needle in str(caught.value) and str(caught.value).startswith("bad.yaml")
    assert "Fix:" in str(caught.value)


def _edit(scenario_id: str, path: list[object], value: object) -> dict[str, object]:
    document = _document(scenario_id)
    node: object = document
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    if value is _DELETE:
        del node[path[-1]]  # type: ignore[attr-defined]
    else:
        node[path[-1]] = value  # type: ignore[index]
    return document


_DELETE = object()
_STAGE = ["sizes", "default", "load", "general_user", "stages", 1]


@pytest.mark.parametrize(
    ("scenario_id", "path", "value", "where", "needle"),
    [
        (
            "transfer_baseline",
            [*_STAGE, "rate_per_s"],
            "fast",
            f"{'sizes.default.load.general_user.stages[1].rate_per_s'}",
            "valid number",
        ),
        (
            "transfer_baseline",
            [*_STAGE, "rate_per_s"],
            _DELETE,
            "sizes.default.load.general_user.stages[1]",
            "a hold stage needs a rate",
        ),
        (
            "transfer_baseline",
            [*_STAGE, "rate"],
            5,
            "sizes.default.load.general_user.stages[1].rate",
            "did you mean 'rate_per_s'",
        ),
        (
            "transfer_baseline",
            ["roles", 0, "behaviours"],
            {"send-ax": 1},
            "roles[0].behaviours.send-ax",
            "not a valid name",
        ),
        (
            "transfer_baseline",
            ["roles", 0, "behaviours"],
            {},
            "roles[0].behaviours",
            "at least 1 item",
        ),
        (
            "transfer_baseline",
            ["roles", 0, "group"],
            "friendly",
            "roles[0].group",
            "'legitimate', 'adversarial' or 'anti-pattern'",
        ),
        (
            "transfer_baseline",
            ["verdict", "criteria", 5, "kills"],
            ["fee_leek"],
            "verdict.criteria[5].kills[0]",
            "did you mean 'fee_leak'",
        ),
        (
            "transfer_baseline",
            ["verdict", "criteria", 1, "expr"],
            "p99(lat.commit) <= 2",
            "verdict.criteria[1].expr",
            "criterion 'C2_commit_latency': column 20",
        ),
        (
            "transfer_baseline",
            ["verdict", "criteria", 1, "expr"],
            "__import__('os')",
            "verdict.criteria[1].expr",
            "unexpected character '_'",
        ),
        (
            "transfer_baseline",
            ["sizes", "default", "bots"],
            6000,
            "sizes.default.bots",
            "exceed limits.max_bots",
        ),
        (
            "transfer_baseline",
            ["sizes", "default", "load", "general_usr"],
            {"kind": "constant", "rate_per_s": 1, "seconds": 1},
            "sizes.default.load.general_usr",
            "did you mean 'general_user'",
        ),
        (
            "transfer_baseline",
            ["sizes", "default", "load", "general_user", "kind"],
            "steady",
            "sizes.default.load.general_user",
            "unknown or missing load kind",
        ),
        (
            "transfer_baseline",
            ["sizes", "default", "load", "general_user", "stages", 0, "rate_per_s"],
            5000,
            "sizes.default.load",
            "exceeds limits.max_rate_per_s",
        ),
        (
            "transfer_baseline",
            ["on_worker_loss"],
            "retry",
            "on_worker_loss",
            "'fail', 'rebalance' or 'continue'",
        ),
        ("transfer_baseline", ["limits"], _DELETE, "limits", "required key is missing"),
        (
            "transfer_baseline",
            ["limits", "max_spend_per_bot"],
            {"ETH": 1},
            "limits.max_spend_per_bot.ETH",
            "'AX', 'sAX', 'DX' or 'bAX'",
        ),
        (
            "transfer_baseline",
            ["simnet", "block_time"],
            2,
            "simnet.block_time",
            "did you mean 'block_time_s'",
        ),
        (
            "transfer_baseline",
            ["target", "chains"],
            ["Alpha Chain"],
            "target.chains[0]",
            "chain id",
        ),
        ("transfer_baseline", ["roles", 0, "share"], float("inf"), "roles[0].share", "finite"),
        (
            "transfer_baseline",
            ["verdict", "criteria"],
            [{"id": "W", "expr": "n.lost == 0", "severity": "soft"}],
            "verdict",
            "no hard criterion",
        ),
        (
            "transfer_baseline",
            ["verdict", "criteria", 0, "id"],
            "S1",
            "verdict.criteria",
            "'S1' is a standard criterion every scenario gets",
        ),
        (
            "transfer_baseline",
            ["verdict", "chain_stops"],
            {"reason": "halted on purpose", "expect": "chain.blocks_ratio >="},
            "verdict.chain_stops.expect",
            "column",
        ),
        (
            "transfer_baseline",
            ["verdict", "chain_stops"],
            {"expect": "chain.blocks_ratio >= 50%"},
            "verdict.chain_stops.reason",
            "required key is missing",
        ),
        (
            "replay_attack",
            ["target", "allow_adversarial"],
            False,
            "target.allow_adversarial",
            "role 'replayer' is adversarial",
        ),
        (
            "replay_attack",
            ["sizes", "default", "load", "replayer", "active", "until_s"],
            5,
            "sizes.default.load.replayer.active",
            "not after from_s",
        ),
        (
            "replay_attack",
            ["sizes", "default", "load", "replayer"],
            {
                "kind": "closed",
                "sessions": 9,
                "seconds": 60,
                "think_time": {"distribution": "constant", "mean_s": 1},
            },
            "sizes.default.load.replayer.sessions",
            "9 sessions but role 'replayer' has 4 bots",
        ),
        (
            "replay_attack",
            ["sizes", "default", "script", 0, "adnet"],
            ["node; rm -rf /"],
            "sizes.default.script[0].adnet[0]",
            "adnet arguments",
        ),
    ],
)
def test_schema_errors_name_file_path_and_fix(
    tmp_path: Path, scenario_id: str, path: list[object], value: object, where: str, needle: str
) -> None:
    broken = _write(tmp_path, _edit(scenario_id, path, value))
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(broken)
    message = str(caught.value)
    assert f"broken.yaml: {where}: " in message, message
    assert needle in message, message
    assert all(problem.fix for problem in caught.value.problems)
    assert "Traceback" not in message


def test_sizes_resolve_and_missing_size_is_typed() -> None:
    scenario = load_scenario("transfer_baseline", SCENARIOS).scenario
    assert scenario.size("default").duration_s() == 65
    with pytest.raises(SizeNotDefined, match="pick one of: smoke, default, full"):
        scenario.size("huge")


def test_closed_load_and_think_time_validation(tmp_path: Path) -> None:
    closed = {
        "kind": "closed",
        "sessions": 2,
        "seconds": 30,
        "think_time": {"distribution": "uniform", "min_s": 1, "max_s": 3},
    }
    document = _edit("replay_attack", ["sizes", "default", "load", "replayer"], closed)
    loaded = load_scenario(_write(tmp_path, document))
    assert isinstance(loaded.scenario.load("default", "replayer"), ClosedLoad)
    closed["think_time"] = {"distribution": "uniform", "mean_s": 2}
    with pytest.raises(ScenarioInvalid, match="needs min_s < max_s"):
        load_scenario(
            _write(
                tmp_path, _edit("replay_attack", ["sizes", "default", "load", "replayer"], closed)
            )
        )


def test_validate_behaviours_reports_every_unknown_name_with_a_fix() -> None:
    scenario = load_scenario("replay_attack", SCENARIOS).scenario
    known = {"send_ax", "send_dx", "bridge_lock", "bridge_lock_withheld", "bridge_claim"}
    known |= {"replay_same_chain", "replay_bridge_claim"}
    with pytest.raises(UnknownBehaviours) as caught:
        validate_behaviours(scenario, known)
    assert "replay_cross_chain" in caught.value.unknown and len(caught.value.unknown) == 4
    assert "replay_attack.yaml: roles[2].behaviours.replay_cross_chain" in str(caught.value)
    assert "did you mean 'replay_same_chain'" in str(caught.value)
    assert isinstance(caught.value, ScenarioError) and caught.value.fix
    everything = {b for role in scenario.roles for b in role.behaviours}
    validate_behaviours(scenario, everything)  # no error when the registry has them all
