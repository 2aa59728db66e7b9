"""Evaluating expressions against a MetricSource: values, N/A, windows, baselines, explanations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botruntime.scenario import Window, evaluate, parse_expression

Make = Callable[..., Any]  # conftest.make_source -> MemorySource


def _commit_samples(
    values_s: list[float], action: str = "send_ax"
) -> list[tuple[str, dict[str, str], float, float]]:
    return [
        ("lat.commit", {"action": action, "chain": "alpha"}, float(i % 60), v)
        for i, v in enumerate(values_s)
    ]


def test_commit_slo_passes_with_a_readable_explanation(make_source: Make) -> None:
    source = make_source(
        values={"block_time": 1.0}, samples=_commit_samples([1.0] * 98 + [1.83, 1.9])
    )
    outcome = evaluate(
        parse_expression("p99(lat.commit{action=send_ax}) <= 2*block_time + 0.5s"), source
    )
    assert outcome.status == "pass"
    assert outcome.observed == 1.83 and outcome.threshold == 2.5
    assert outcome.explanation == (
        "p99(lat.commit{action=send_ax}) = 1.83 s ≤ 2.5 s (2 * block_time + 0.5s)"
    )


def test_commit_slo_fails_and_says_what_was_needed(make_source: Make) -> None:
    source = make_source(values={"block_time": 1.0}, samples=_commit_samples([3.1] * 10))
    outcome = evaluate(
        parse_expression("p99(lat.commit{action=send_ax}) <= 2*block_time + 0.5s"), source
    )
    assert outcome.status == "fail"
    assert "= 3.1 s, needs ≤ 2.5 s" in outcome.explanation


def test_labels_select_series_and_units_format_in_ms(make_source: Make) -> None:
    samples = _commit_samples([0.040] * 10) + _commit_samples([9.0] * 10, action="get_tx")
    source = make_source(samples=samples)
    outcome = evaluate(parse_expression("p50(lat.commit{action=send_ax}) <= 50ms"), source)
    assert outcome.status == "pass"
    assert "= 40 ms ≤ 50 ms" in outcome.explanation


def test_missing_metric_is_na_not_pass(make_source: Make) -> None:
    outcome = evaluate(parse_expression("err_rate <= 0.1%"), make_source())
    assert outcome.status == "n/a"
    assert "err_rate is not reported" in outcome.explanation


def test_percent_compares_as_a_fraction(make_source: Make) -> None:
    passing = evaluate(
        parse_expression("err_rate <= 0.1%"), make_source(values={"err_rate": 0.0009})
    )
    failing = evaluate(
        parse_expression("err_rate <= 0.1%"), make_source(values={"err_rate": 0.002})
    )
    assert (passing.status, failing.status) == ("pass", "fail")


def test_kleene_logic_false_beats_na_and_na_beats_true(make_source: Make) -> None:
    source = make_source(values={"n.lost": 0.0, "ledger.mismatch": 2.0})
    assert evaluate(parse_expression("n.lost == 0 and missing == 0"), source).status == "n/a"
    assert (
        evaluate(parse_expression("ledger.mismatch == 0 and missing == 0"), source).status == "fail"
    )
    assert evaluate(parse_expression("n.lost == 0 or missing == 0"), source).status == "pass"
    assert evaluate(parse_expression("not missing == 0"), source).status == "n/a"
    failed = evaluate(parse_expression("n.lost == 0 and ledger.mismatch == 0"), source)
    assert failed.status == "fail" and failed.observed == 2.0
    assert failed.explanation == "ledger.mismatch = 2, needs = 0"


def test_counters_with_labels_and_rates(make_source: Make) -> None:
    samples = [
        ("n.error", {"kind": "http5xx"}, 5.0, 1.0),
        ("n.error", {"kind": "timeout"}, 6.0, 3.0),
    ]
    samples += [("n.commit", {"action": "send_ax"}, float(t), 35.0) for t in range(60)]
    source = make_source(samples=samples)
    assert evaluate(parse_expression("n.error{kind=http5xx} == 0"), source).status == "fail"
    assert evaluate(parse_expression("count(n.error{kind=timeout}) == 3"), source).status == "pass"
    rate = evaluate(parse_expression("rate(n.commit{action=send_ax}) >= 35"), source)
    assert rate.status == "pass" and rate.observed == 35.0


def test_division_by_zero_is_na(make_source: Make) -> None:
    source = make_source(values={"a": 1.0, "b": 0.0})
    outcome = evaluate(parse_expression("a / b <= 1"), source)
    assert outcome.status == "n/a" and "b is 0" in outcome.explanation


def test_sliding_window_finds_the_worst_ten_seconds(make_source: Make) -> None:
    # 60 s of 100 ms commits, and a 2 s stall hitting 5 commits at t=30: under 1 % of the
    # run (the whole-run p99 hides it) but 5 % of any 10 s window that holds it
    samples = [("lat.commit", {"action": "send_ax"}, t / 10, 0.1) for t in range(600)]
    samples += [("lat.commit", {"action": "send_ax"}, 30 + t / 10, 2.0) for t in range(5)]
    source = make_source(samples=samples)
    whole = evaluate(parse_expression("p99(lat.commit{action=send_ax}) <= 1s"), source)
    assert whole.status == "pass" and whole.observed == 0.1
    windowed = evaluate(
        parse_expression("max_window(p99(lat.commit{action=send_ax}), 10s) <= 1s"), source
    )
    assert windowed.status == "fail" and windowed.observed == 2.0
    best = evaluate(
        parse_expression("min_window(p99(lat.commit{action=send_ax}), 10s, 5s) <= 150ms"), source
    )
    assert best.status == "pass" and best.observed == 0.1
    windows_asked = [line for line in source.asked if "Window(start_s=" in line]
    assert len(windows_asked) == 51 + 11  # 1 s steps over 60 s, then 5 s steps


def test_window_without_measured_span_is_na(make_source: Make) -> None:
    source = make_source(window=None, samples=_commit_samples([0.1]))
    outcome = evaluate(parse_expression("max_window(p99(lat.commit), 10s) <= 1s"), source)
    assert outcome.status == "n/a" and "no measured window" in outcome.explanation


def test_baseline_relative_uses_the_canonical_key_and_is_na_without_baseline(
    make_source: Make,
) -> None:
    text = "p99(lat.commit{action=send_ax}) <= 1.2 * baseline(p99(lat.commit{action=send_ax}))"
    samples = _commit_samples([1.5] * 10)
    without = evaluate(parse_expression(text), make_source(samples=samples))
    assert without.status == "n/a"
    assert "no baseline run for p99(lat.commit{action=send_ax})" in without.explanation
    key = "p99(lat.commit{action=send_ax})"
    ok = evaluate(parse_expression(text), make_source(samples=samples, baselines={key: 1.3}))
    worse = evaluate(parse_expression(text), make_source(samples=samples, baselines={key: 1.2}))
    assert (ok.status, worse.status) == ("pass", "fail")


def test_invariant_groups(make_source: Make) -> None:
    routes = {
        "bank/total-supply": True,
        "bank/nonnegative-balance": True,
        "auth/unique-tx": True,
        "fees/conservation": False,
        "dex/pool-reserves": False,
    }
    source = make_source(routes=routes)
    held = evaluate(parse_expression("inv[bank/*, auth/*] ok"), source)
    assert held.status == "pass" and "all 3 routes hold" in held.explanation
    broken = evaluate(parse_expression("inv[bank/*, fees/*] ok"), source)
    assert broken.status == "fail" and broken.observed == 1
    assert "fees/conservation" in broken.explanation
    assert evaluate(parse_expression("inv[gov/*] ok"), source).status == "n/a"
    assert evaluate(parse_expression("inv[bank/*] ok"), make_source()).status == "n/a"


def test_non_finite_values_are_na(make_source: Make) -> None:
    source = make_source(values={"err_rate": float("nan")})
    outcome = evaluate(parse_expression("err_rate <= 1%"), source)
    assert outcome.status == "n/a" and "not a finite number" in outcome.explanation


def test_window_type_is_a_plain_span() -> None:
    assert Window(10.0, 25.0).seconds == 15.0
