"""`testbots scenarios list|validate|show` through click, and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from botruntime.cli import main

REPO = Path(__file__).resolve().parents[3]
SCENARIOS = REPO / "scenarios"


@pytest.fixture
def bad_dir(tmp_path: Path) -> Path:
    text = (SCENARIOS / "transfer_baseline.yaml").read_text(encoding="utf-8")
    broken = text.replace("rate_per_s: 50}", "rate_per_s: fast}", 1)
    assert broken != text
    (tmp_path / "transfer_baseline.yaml").write_text(broken, encoding="utf-8")
    return tmp_path


def test_list_shows_every_scenario() -> None:
    result = CliRunner().invoke(main, ["scenarios", "list", "--dir", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    assert "transfer_baseline" in result.output and "replay_attack" in result.output
    assert f"{len(list(SCENARIOS.glob('*.yaml')))} scenarios" in result.output


def test_validate_all_passes_and_prints_hashes() -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", "--dir", str(SCENARIOS)])
    assert result.exit_code == 0, result.output
    files = len(list(SCENARIOS.glob("*.yaml")))
    assert result.output.count("ok  ") == files and "sha256" in result.output


def test_validate_bad_file_exits_2_with_file_path_and_fix(bad_dir: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", "--dir", str(bad_dir)])
    assert result.exit_code == 2
    assert (
        "transfer_baseline.yaml: sizes.default.load.general_user.stages[0].rate_per_s: "
        in result.stderr
    )
    assert "Fix: write a number" in result.stderr
    assert "Traceback" not in result.output


def test_directory_comes_from_the_environment_at_call_time(
    bad_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBOTS_SCENARIOS", str(bad_dir))
    assert CliRunner().invoke(main, ["scenarios", "validate"]).exit_code == 2
    monkeypatch.setenv("TESTBOTS_SCENARIOS", str(SCENARIOS))
    assert CliRunner().invoke(main, ["scenarios", "validate"]).exit_code == 0


def test_list_flags_an_invalid_file_and_exits_2(bad_dir: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "list", "--dir", str(bad_dir)])
    assert result.exit_code == 2 and "INVALID" in result.output


def test_show_prints_the_resolved_size() -> None:
    args = ["scenarios", "show", "replay_attack", "--size", "smoke", "--dir", str(SCENARIOS)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "replay_attack [smoke]" in result.output
    assert "2 s .. 9 s" in result.output  # the replayers' active window at smoke size
    assert "adnet node restart v1" in result.output
    assert "inv[auth/unique-tx," in result.output  # brackets survive (no rich markup)


def test_show_json_and_unknown_size() -> None:
    base = ["scenarios", "show", "transfer_baseline", "--dir", str(SCENARIOS)]
    result = CliRunner().invoke(main, [*base, "--json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["id"] == "transfer_baseline" and len(document["content_hash"]) == 64
    missing = CliRunner().invoke(main, [*base, "--size", "huge"])
    assert missing.exit_code == 2 and "pick one of: smoke, default, full" in missing.stderr


def test_validate_unknown_id_exits_2() -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", "nope", "--dir", str(SCENARIOS)])
    assert result.exit_code == 2 and "no scenario 'nope'" in result.stderr


def test_the_installed_command_validates_in_a_real_process(bad_dir: Path) -> None:
    testbots = Path(sys.executable).parent / "testbots"
    good = subprocess.run(
        [str(testbots), "scenarios", "validate", "--dir", str(SCENARIOS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    bad = subprocess.run(
        [str(testbots), "scenarios", "validate", str(bad_dir / "transfer_baseline.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "transfer_baseline.yaml: sizes.default.load.general_user.stages[0]" in bad.stderr
    assert "Traceback" not in bad.stderr
