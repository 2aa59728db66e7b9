"""`testbots coverage` on the repo's scenarios, and on copies with a gap made on purpose.

What the scenario files kill and use is read here straight from their YAML, so the expected
gaps follow the files as scenarios are added; today's two files pin the first killers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from botruntime.behaviors import BEHAVIORS
from botruntime.cli import main
from botruntime.scenario import VULN_SWITCHES

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
TABLES = (
    "scenarios and their role groups",
    "behaviour x scenario",
    "switch x scenario",
    "route x scenario",
)


def _documents(directory: Path) -> list[dict[str, object]]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in directory.glob("*.yaml")]


def _killed(directory: Path) -> set[str]:
    return {
        switch
        for document in _documents(directory)
        for criterion in document["verdict"]["criteria"]  # type: ignore[index]
        for switch in criterion.get("kills", ())
    }


def _used(directory: Path) -> set[str]:
    return {
        name
        for document in _documents(directory)
        for role in document["roles"]  # type: ignore[attr-defined]
        for name in role["behaviours"]
    }


def _named(output: str, what: str) -> list[str]:
    """The names on the line `<what> (N): a, b, c`."""
    lines = [line for line in output.splitlines() if line.startswith(f"{what} (")]
    assert len(lines) == 1, output
    found = re.fullmatch(rf"{re.escape(what)} \((\d+)\): (.*)", lines[0])
    assert found is not None, lines[0]
    names = [] if found[2] == "none" else found[2].split(", ")
    assert len(names) == int(found[1])
    return names


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, folder)
    return folder


def test_the_repo_scenarios_print_four_tables_and_name_every_switch_without_killer() -> None:
    result = CliRunner().invoke(main, ["coverage", "--dir", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    assert all(title in result.output for title in TABLES)
    killed = _killed(SCENARIOS)
    # what transfer_baseline and replay_attack kill today
    assert {
        "mempool_drop",
        "fee_leak",
        "nonce_not_enforced",
        "chain_id_unsigned",
        "noncanonical_hash",
    } <= killed
    unkilled = _named(result.output, "switches no criterion kills")
    assert unkilled == [name for name in VULN_SWITCHES if name not in killed]
    assert "mempool_drop" not in unkilled
    unused = _named(result.output, "registered behaviours no scenario uses")
    assert set(unused) == set(BEHAVIORS) - _used(SCENARIOS)
    # the warning stands only while the catalogue is incomplete
    complete = len(list(SCENARIOS.glob("*.yaml"))) >= 24
    assert ("fails the tests once all 24 scenario files exist" in result.output) != complete


def test_json_is_the_same_matrix_for_machines() -> None:
    result = CliRunner().invoke(main, ["coverage", "--dir", str(SCENARIOS), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    killed = _killed(SCENARIOS)
    assert document["switches_without_killer"] == [s for s in VULN_SWITCHES if s not in killed]
    assert document["counts"]["switches_killed"] == len(killed)
    assert document["counts"]["switches_total"] == len(VULN_SWITCHES)
    assert document["switches"]["mempool_drop"]["killed_by"]["transfer_baseline"] == [
        "C4_completeness",
        "C5_ledger_exact",
    ]
    assert document["roles"]["replay_attack"]["adversarial"] == ["replayer"]
    assert document["routes"]["fees/conservation"]["checked_by"]["transfer_baseline"] == [
        "C6_invariants"
    ]


def test_a_dropped_kill_and_a_misspelt_route_show_as_gaps(copied: Path) -> None:
    path = copied / "transfer_baseline.yaml"
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"\n *kills: \[fee_leak\]", "", text).replace("auth/*, f", "auht/*, f")
    assert edited.count("\n") == text.count("\n") - 1 and "auht/*" in edited
    path.write_text(edited, encoding="utf-8")
    soak = copied / "mixed_soak.yaml"  # the other scenario that kills fee_leak
    soak.write_text(re.sub(r"\n *kills: \[fee_leak\]", "", soak.read_text(encoding="utf-8")))
    result = CliRunner().invoke(main, ["coverage", "--dir", str(copied)])
    assert result.exit_code == 0, result.output
    assert "fee_leak" in _named(result.output, "switches no criterion kills")
    assert _named(result.output, "inv[...] patterns that select no route") == [
        "transfer_baseline C6_invariants 'auht/*'"
    ]


def test_an_invalid_scenario_file_exits_2_naming_it(copied: Path) -> None:
    path = copied / "transfer_baseline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("send_ax: 70", "sned_ax: 70"))
    result = CliRunner().invoke(main, ["coverage", "--dir", str(copied)])
    assert result.exit_code == 2
    assert "transfer_baseline.yaml" in result.stderr and "sned_ax" in result.stderr
    assert "Traceback" not in result.output
