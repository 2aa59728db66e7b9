"""Scenario files are untrusted input: hostile ones are refused as typed errors naming the
file and the fix, quickly and with bounded memory, through the loader and the CLI alike."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botruntime.cli import main
from botruntime.scenario import (
    ScenarioError,
    ScenarioSyntaxError,
    ScenarioUnsafe,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from botruntime.scenario._yaml_guard import MAX_BYTES, MAX_DEPTH, MAX_NODES

REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
# far above what these files cost once refused (milliseconds), far below what they cost
# unguarded (an alias bomb kept the loader busy for over 30 s): a busy machine still passes
GENEROUS_S = 5.0


def _laughs(levels: int, fan: int) -> str:
    """Each anchor a list of `fan` aliases to the one before: fan**levels values expanded."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * fan) + "]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * fan)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(["id: bomb", *lines]) + "\n"


HOSTILE = {
    "alias_bomb": _laughs(9, 9),
    "flow_depth": "id: deep\nx: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "block_depth": "id: deep\n"
    + "".join("  " * i + f"k{i}:\n" for i in range(200))
    + "  " * 200
    + "v: 1\n",
    "python_tag": "id: !!python/object/apply:os.system ['true']\n",
    "custom_tag": "id: !include other.yaml\n",
    "binary": "id: x\n\0\1\2\3",
    "oversized": "id: big\n# " + "x" * (MAX_BYTES + 10) + "\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_each_hostile_document_is_a_typed_refusal_in_time(case: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(HOSTILE[case], f"{case}.yaml")
    assert time.monotonic() - started < GENEROUS_S
    error = caught.value
    assert isinstance(error, ScenarioSyntaxError)
    assert error.file == f"{case}.yaml" and error.fix
    assert str(error).startswith(f"{case}.yaml") and "Fix:" in str(error)


def test_what_each_bound_says() -> None:
    def refusal(text: str) -> str:
        with pytest.raises(ScenarioUnsafe) as caught:
            parse_scenario(text, "f.yaml")
        return str(caught.value)

    assert f"more than {MAX_NODES:,} values once its aliases are expanded" in refusal(_laughs(9, 9))
    assert f"nested deeper than {MAX_DEPTH} levels" in refusal(HOSTILE["block_depth"])
    assert "the tag '!include' is not allowed" in refusal(HOSTILE["custom_tag"])
    assert "binary file" in refusal(HOSTILE["binary"])
    assert f"over {MAX_BYTES:,} bytes" in refusal(HOSTILE["oversized"])


def test_depth_counts_what_aliases_expand_to() -> None:
    """Each anchor only 20 deep, but each nests the one before: 3 of them are 60 deep."""
    chain = "id: x\na0: &a0 " + "[" * 20 + "v" + "]" * 20 + "\n"
    chain += "".join(
        f"a{i}: &a{i} " + "[" * 20 + f"*a{i - 1}" + "]" * 20 + "\n" for i in range(1, 3)
    )
    with pytest.raises(ScenarioUnsafe, match="nested deeper"):
        parse_scenario(chain, "f.yaml")


def test_anchors_within_the_bounds_are_fair_use() -> None:
    """Sharing a value between sizes is allowed: the document validates as written."""
    text = (REPO_SCENARIOS / "transfer_baseline.yaml").read_text(encoding="utf-8")
    first = "    description: 10 s CI check of the default shape"
    later = "    description: 5,000 bots at 0.5 C_tx for 15 min"
    assert first in text and later in text
    shared = text.replace(first, first.replace(": ", ": &ci ", 1)).replace(
        later, "    description: *ci"
    )
    scenario, _ = parse_scenario(shared, "transfer_baseline.yaml")
    assert scenario.size("full").description == "10 s CI check of the default shape"


def test_every_catalogue_file_is_within_the_bounds() -> None:
    for path in list_scenarios(REPO_SCENARIOS).values():
        assert load_scenario(path).scenario.id == path.stem


def test_an_oversized_file_is_never_read_in_full(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as file:
        file.seek(64 * 1024 * 1024)  # a sparse 64 MiB file
        file.write(b"\n")
    with pytest.raises(ScenarioUnsafe, match=r"huge\.yaml: over"):
        load_scenario(path)


def test_non_utf8_files_are_named_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(
        ScenarioError, match=r"latin.yaml: cannot be read .*Fix: give a readable UTF-8"
    ):
        load_scenario(path)


_YAMLISH = st.text(alphabet=st.sampled_from(list("[]{}&*!:-, \n\tab01'\"#|>%@`\\\0")), max_size=400)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_YAMLISH)
def test_any_text_is_a_scenario_or_a_typed_error(text: str) -> None:
    """Whatever the bytes, the loader answers with a scenario or a ScenarioError, never
    another exception (a RecursionError or a YAML error leaking out would be a traceback)."""
    try:
        parse_scenario(text, "fuzz.yaml")
    except ScenarioError as error:
        assert error.file == "fuzz.yaml"


@pytest.mark.parametrize("case", ["alias_bomb", "flow_depth", "python_tag", "binary"])
def test_validate_refuses_a_hostile_file_with_exit_2(tmp_path: Path, case: str) -> None:
    (tmp_path / f"{case}.yaml").write_text(HOSTILE[case], encoding="utf-8")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["scenarios", "validate", "--dir", str(tmp_path)])
    assert time.monotonic() - started < GENEROUS_S
    assert result.exit_code == 2, result.output
    assert f"{case}.yaml" in result.stderr and "Fix:" in result.stderr
    assert "Traceback" not in result.output
