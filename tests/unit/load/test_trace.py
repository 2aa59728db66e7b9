"""Trace replay from CSV and JSONL, and the rows it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from botruntime.load import TraceError, trace


def test_csv_offsets_replay_in_order(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("offset_s,action\n0.0,send\n0.5,send\n0.5,swap\n2.0,send\n")
    plan = trace(path)
    assert list(plan.offsets()) == [0.0, 0.5, 0.5, 2.0]
    assert (plan.expected_count(), plan.duration_s) == (4, 2.0)
    assert list(trace(path, speed=2.0).offsets()) == [0.0, 0.25, 0.25, 1.0]
    assert len(plan.split([1, 1])) == 2
    (window,) = trace(path, drain_s=3.0).hold_windows()  # no stages: up to the last row
    assert window[0] == 0.0 and 2.0 < window[1] < 2.0 + 1e-9


def test_jsonl_absolute_times_start_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"ts": 1700000000.0}\n\n{"ts": 1700000000.25}\n{"ts": 1700000003}\n')
    assert list(trace(path).offsets()) == [0.0, 0.25, 3.0]


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("a.csv", "offset_s\n1\n0.5\n", 3, "sort the file"),
        ("a.csv", "when\n1\n", 2, "time column"),
        ("a.csv", "offset_s\n1\nsoon\n", 3, "number of seconds"),
        ("a.jsonl", '{"offset_s": 1}\n[1]\n', 2, "JSON object"),
        ("a.jsonl", '{"offset_s": 1}\n{oops\n', 2, "not JSON"),
        ("a.txt", "offset_s\n1\n", 0, ".csv or .jsonl"),
        ("a.csv", "offset_s\n", 0, "no rows"),
    ],
)
def test_bad_traces_name_file_line_and_fix(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TraceError, match=message) as err:
        trace(path)
    assert err.value.line == line
    assert str(path) in str(err.value)
