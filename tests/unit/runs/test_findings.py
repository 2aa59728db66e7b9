"""A failed criterion's evidence: the labelled series it read, example txs, and how the summary,
the report file and the HTML show them."""

from dataclasses import replace
from typing import Any

from botruntime.metrics import Recorder, RunMetrics
from botruntime.runs import REPORT_VERSION, CriterionOutcome, Evidence, RunReport, summary_lines
from botruntime.runs._findings import MAX_SERIES, criterion_evidence
from botruntime.runs._source import InvariantReading, RunEvidence
from botruntime.runs.html import render_html
from botruntime.scenario import parse_expression

TX_A, TX_B, TX_C = "a1" * 32, "b2" * 32, "c3" * 32


def _metrics() -> RunMetrics:
    rec = Recorder("w1")
    rec.counter("adv.replays_unexpected", action="replay_pending_other_node", code="accepted").add(
        example=TX_A
    )
    for tx in (TX_B, TX_C):
        rec.counter("adv.replays_unexpected", action="replay_same_chain", code="malformed").add(
            example=tx
        )
    rec.counter("n.error", action="replay_same_chain", kind="http5xx").add()
    rec.counter("n.error", action="send_ax", kind="timeout").add()  # not what C2 reads
    rec.counter("n.lost", action="send_ax").add(example=TX_A)
    rec.counter("n.reject", action="send_ax", code="bad_nonce", expected="no").add(example=TX_B)
    rec.counter("n.reject", action="send_ax", code="duplicate_tx", expected="yes").add(5)
    rec.timer("commit", chain="alpha", action="send_ax").record(0.0, 0.0, 2.5)
    metrics = RunMetrics()
    metrics.ingest(rec.flush(0))
    return metrics


def _evidence_of(expr: str, **kwargs: Any) -> tuple[Evidence, ...]:
    source = RunEvidence(metrics=_metrics(), **kwargs)
    return criterion_evidence(parse_expression(expr), source)


def test_a_counter_is_shown_by_its_labels_with_example_txs_largest_first() -> None:
    found = _evidence_of("adv.replays_unexpected == 0 and n.error{kind=http5xx} == 0")
    assert [e.text() for e in found] == [
        f"adv.replays_unexpected{{action=replay_same_chain, code=malformed}} = 2, "
        f"e.g. tx {TX_B}, {TX_C}",
        f"adv.replays_unexpected{{action=replay_pending_other_node, code=accepted}} = 1, "
        f"e.g. tx {TX_A}",
        "n.error{action=replay_same_chain, kind=http5xx} = 1",
    ]


def test_a_scalar_shows_the_counters_it_comes_from_and_what_the_run_found() -> None:
    findings = {"ledger.mismatch": ("bot 3 on alpha: expected 5 AX, chain has 6",)}
    found = _evidence_of("ledger.mismatch == 0 and err_rate <= 0.1%", findings=findings)
    texts = [e.text() for e in found]
    assert f"n.lost{{action=send_ax}} = 1, e.g. tx {TX_A}" in texts
    # err_rate: unexpected rejects (not the expected duplicate_tx) and errors
    assert f"n.reject{{action=send_ax, code=bad_nonce, expected=no}} = 1, e.g. tx {TX_B}" in texts
    assert "n.error{action=send_ax, kind=timeout} = 1" in texts
    assert not any("duplicate_tx" in t for t in texts)
    assert texts[-1] == "ledger.mismatch: bot 3 on alpha: expected 5 AX, chain has 6"


def test_quantiles_and_invariants_name_their_series_and_broken_routes() -> None:
    readings = (
        InvariantReading("alpha", "fees/conservation", False, 12, "burned 4000 not credited"),
        InvariantReading("alpha", "bank/supply", True, 12, ""),
        InvariantReading("alpha", "auth/unique-tx", False, 9, "not asked for"),
    )
    found = _evidence_of(
        "p99(lat.commit{action=send_ax}) <= 2s and inv[fees/*, bank/*] ok",
        invariant_readings=readings,
    )
    assert [e.text() for e in found] == [
        "lat.commit{action=send_ax, chain=alpha, outcome=ok}: p99 2.5 s over 1 values",
        "inv alpha:fees/conservation: broken at height 12: burned 4000 not credited",
    ]


def test_nothing_behind_a_criterion_gives_no_evidence_and_many_series_are_cut() -> None:
    assert _evidence_of("offered_ratio >= 0.95") == ()
    rec = Recorder("w1")
    for i in range(MAX_SERIES + 4):
        rec.counter("n.lost", action=f"a{i:02d}").add(i + 1)
    metrics = RunMetrics()
    metrics.ingest(rec.flush(0))
    found = criterion_evidence(parse_expression("n.lost == 0"), RunEvidence(metrics=metrics))
    assert len(found) == MAX_SERIES and found[0].value == MAX_SERIES + 4


def _report(evidence: tuple[Evidence, ...]) -> RunReport:
    return RunReport(
        run_id="r1",
        scenario_id="replay_attack",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="2001",
        switches=(),
        git_sha=None,
        started_at_s=1.0,
        ended_at_s=2.0,
        verdict="FAIL",
        exit_code=1,
        criteria=(
            CriterionOutcome(
                "C2_rejected_as_expected",
                "hard",
                "fail",
                "adv.replays_unexpected == 0",
                "adv.replays_unexpected = 1, expected == 0",
                1.0,
                evidence=evidence,
            ),
            CriterionOutcome("C3", "hard", "pass", "adv.noncanonical_commits == 0", "0", 0.0),
        ),
        summary={},
    )


def test_the_summary_the_report_file_and_the_html_show_the_evidence() -> None:
    accepted = Evidence(
        "adv.replays_unexpected{action=replay_pending_other_node, code=accepted}", 1.0, (TX_A,)
    )
    report = _report((accepted, Evidence("inv alpha:<bank>", detail="x & y")))
    lines = summary_lines(report)
    at = lines.index(
        "  FAIL hard C2_rejected_as_expected: adv.replays_unexpected = 1, expected == 0"
    )
    assert lines[at + 1] == (
        "       evidence: adv.replays_unexpected{action=replay_pending_other_node, "
        f"code=accepted}} = 1, e.g. tx {TX_A}"
    )
    assert lines[at + 2] == "       evidence: inv alpha:<bank>: x & y"
    assert lines[at + 3].startswith("  ok   hard C3")

    assert RunReport.from_json(report.to_json()) == report
    html = render_html(report)
    assert f"code=accepted}} = 1, e.g. tx {TX_A}</code>" in html
    assert "inv alpha:&lt;bank&gt;: x &amp; y" in html


def test_a_version_1_report_without_evidence_still_reads() -> None:
    report = _report(())
    old = (
        report.to_json()
        .replace(f'"version": {REPORT_VERSION}', '"version": 1')
        .replace('"evidence": [],', "")
        .replace('"network_version": null,', "")
    )
    assert '"evidence"' not in old and '"network_version"' not in old
    assert RunReport.from_json(old) == replace(report, version=1)
