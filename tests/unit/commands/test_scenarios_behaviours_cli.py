"""`testbots scenarios validate` refuses a behaviour name the registry does not know (exit 2)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from botruntime.behaviors import BEHAVIORS
from botruntime.cli import main

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


@pytest.fixture
def typo_dir(tmp_path: Path) -> Path:
    for name in ("transfer_baseline.yaml", "replay_attack.yaml"):
        (tmp_path / name).write_text((SCENARIOS / name).read_text(encoding="utf-8"))
    path = tmp_path / "transfer_baseline.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("{send_ax: 70,", "{sned_ax: 70,", 1), encoding="utf-8")
    assert "sned_ax" in path.read_text(encoding="utf-8")
    return tmp_path


def test_validate_names_file_role_path_close_match_and_known_names(typo_dir: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", "--dir", str(typo_dir)])
    assert result.exit_code == 2
    assert (
        "transfer_baseline.yaml: roles[0].behaviours.sned_ax: no behaviour named 'sned_ax' "
        "(did you mean 'send_ax'?)" in result.stderr
    )
    known = result.stderr.split("known: ", 1)[1]
    assert all(name in known for name in BEHAVIORS)
    assert "ok  replay_attack" in result.stdout  # the good file still passes
    assert "1 of 2 scenario(s) invalid" in result.stderr
    assert "Traceback" not in result.output


def test_validate_one_file_by_path(typo_dir: Path) -> None:
    target = str(typo_dir / "transfer_baseline.yaml")
    result = CliRunner().invoke(main, ["scenarios", "validate", target])
    assert result.exit_code == 2 and "roles[0].behaviours.sned_ax" in result.stderr


def test_list_and_show_refuse_it_too(typo_dir: Path) -> None:
    listed = CliRunner().invoke(main, ["scenarios", "list", "--dir", str(typo_dir)])
    assert listed.exit_code == 2 and "INVALID" in listed.output
    args = ["scenarios", "show", "transfer_baseline", "--dir", str(typo_dir)]
    shown = CliRunner().invoke(main, args)
    assert shown.exit_code == 2 and "roles[0].behaviours.sned_ax" in shown.stderr
