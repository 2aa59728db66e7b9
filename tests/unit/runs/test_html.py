"""The HTML report: one offline file, well-formed SVG charts, everything a reader needs escaped."""

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from botruntime.runs import CriterionOutcome, IntervalPoint, RunReport
from botruntime.runs.html import render_html, write_html

SVG = "{http://www.w3.org/2000/svg}"


def _report(seconds: int = 20) -> RunReport:
    return RunReport(
        run_id="3f2a",
        scenario_id="transfer_baseline",
        scenario_hash="b" * 64,
        size="smoke",
        target="simnet",
        seed="testbots",
        switches=("mempool_drop",),
        git_sha=None,
        started_at_s=1_700_000_000.0,
        ended_at_s=1_700_000_012.0,
        verdict="FAIL",
        exit_code=1,
        criteria=(
            CriterionOutcome("C4_complete", "hard", "fail", "n.lost == 0", "3 lost", 3.0, ("x",)),
            CriterionOutcome("C3_err", "hard", "pass", "err_rate <= 0.001", "0 <= 0.001", 0.0),
        ),
        summary={"achieved_rate": 49.5, "p99_commit_ms": 1800.0},
        errors_by_code={"timeout": 2},
        series=tuple(
            IntervalPoint(
                t_s=float(t),
                offered_per_s=50.0,
                achieved_per_s=40.0 + t,
                committed_per_s=39.0,
                errors=0,
                dropped=0,
                p50_submit_ms=5.0,
                p99_submit_ms=30.0 + t,
                p99_commit_ms=None if t in (0, 7) else 1500.0 + t,
            )
            for t in range(seconds)
        ),
        notes=("<script>alert(1)</script> & more",),
    )


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


def test_rate_and_latency_charts_are_well_formed_svg_inside_the_viewbox() -> None:
    charts = _svgs(render_html(_report()))
    assert [c.get("aria-label") for c in charts] == ["requests per second", "milliseconds"]
    for chart in charts:
        width, height = float(chart.get("width", "0")), float(chart.get("height", "0"))
        lines = chart.findall(f"{SVG}polyline")
        assert len(lines) >= 3
        for line in lines:
            for pair in (line.get("points") or "").split():
                x, y = map(float, pair.split(","))
                assert 0 <= x <= width and 0 <= y <= height
    latency_lines = [ln.findtext(f"{SVG}title") for ln in charts[1].findall(f"{SVG}polyline")]
    assert latency_lines.count("p99 commit") == 2  # the gap at t=7 splits the line


def test_the_file_needs_nothing_from_the_network_and_escapes_text() -> None:
    html = render_html(_report())
    assert "<script" not in html.replace("&lt;script", "")
    assert not re.search(r"\b(src|href)=", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "FAIL" in html and "C4_complete" in html and "3 lost" in html
    assert "mempool_drop" in html and "timeout" in html


def test_a_report_without_series_says_so_instead_of_drawing() -> None:
    html = render_html(replace(_report(), series=()))
    assert _svgs(html) == []
    assert html.count("no per-second data") == 2


def test_write_html_puts_it_next_to_the_json_report(tmp_path: Path) -> None:
    report = _report(seconds=1)
    path = write_html(report, tmp_path)
    assert path == tmp_path / report.run_id / "report.html"
    assert path.read_text(encoding="utf-8") == render_html(report)
    assert not list(tmp_path.rglob("*.partial"))
