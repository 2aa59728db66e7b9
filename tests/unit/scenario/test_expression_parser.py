"""The verdict expression language parses what the catalogue writes and refuses the rest."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.scenario import ExpressionError, parse_expression, render, walk
from botruntime.scenario._expr_ast import (
    Arith,
    Baseline,
    BoolOp,
    Compare,
    Count,
    Invariants,
    Metric,
    Not,
    Number,
    Quantile,
    Scalar,
    WindowAgg,
)

CATALOGUE = [
    "p99(lat.commit{action=send_ax}) <= 2*block_time + 0.5s",
    "p50(lat.submit{action=send_ax}) <= 50ms",
    "err_rate <= 0.001",
    "n.lost == 0",
    "ledger.mismatch == 0",
    "inv[bank/*, auth/*] ok",
    "adv.replays_effective == 0",
    "offered_ratio >= 0.95",
    "p99(lat.commit{action=send_ax}) <= 1.2 * baseline(p99(lat.commit{action=send_ax}))",
    "max_window(p99(lat.commit{action=send_ax}), 10s) <= 2.5s",
    "min_window(rate(n.commit{action=send_ax}), 10s, 5s) >= 30",
    "n.error{kind=http5xx} == 0 and not (err_rate > 1% or amplification > 1.5)",
    "count(n.reject{code=bad_nonce}) / count(n.intent) <= 0.5%",
    "p999(lat.query{endpoint=get_balance}) ≤ 1s",
    "inv[*] ok",
]


@pytest.mark.parametrize("text", CATALOGUE)
def test_catalogue_expressions_parse_and_render_to_a_fixed_point(text: str) -> None:
    canonical = render(parse_expression(text))
    assert render(parse_expression(canonical)) == canonical


def test_the_commit_slo_parses_into_the_expected_tree() -> None:
    tree = parse_expression("p99(lat.commit{action=send_ax}) <= 2*block_time + 0.5s")
    assert isinstance(tree, Compare) and tree.op == "<="
    assert isinstance(tree.left, Quantile) and tree.left.q == 0.99
    assert tree.left.metric.name == "lat.commit"
    assert tree.left.metric.labels == (("action", "send_ax"),)
    right = tree.right
    assert isinstance(right, Arith) and right.op == "+"
    assert isinstance(right.left, Arith) and right.left.op == "*"
    assert isinstance(right.left.right, Scalar) and right.left.right.name == "block_time"
    assert isinstance(right.right, Number) and right.right.value == 0.5


@pytest.mark.parametrize(
    ("text", "value", "is_duration"),
    [("50ms", 0.05, True), ("250us", 250e-6, True), ("2s", 2.0, True), ("0.1%", 0.001, False)],
)
def test_units_convert_to_seconds_and_fractions(text: str, value: float, is_duration: bool) -> None:
    tree = parse_expression(f"x <= {text}" if not is_duration else f"block_time <= {text}")
    assert isinstance(tree, Compare) and isinstance(tree.right, Number)
    assert tree.right.value == pytest.approx(value)
    assert tree.right.is_duration is is_duration


def test_precedence_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    tree = parse_expression("not a == 1 and b == 2 or c == 3")
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.left, BoolOp) and tree.left.op == "and"
    assert isinstance(tree.left.left, Not)


def test_labels_are_sorted_so_spelling_order_does_not_change_the_baseline_key() -> None:
    one = render(parse_expression("p99(lat.commit{chain=alpha, action=send_ax}) < 1s"))
    two = render(parse_expression("p99(lat.commit{action=send_ax,chain=alpha}) < 1s"))
    assert one == two == "p99(lat.commit{action=send_ax, chain=alpha}) < 1s"


def test_walk_visits_every_node_parents_first() -> None:
    tree = parse_expression(
        "inv[bank/*] ok and p99(lat.commit) <= 1.2 * baseline(p99(lat.commit)) or not n.lost == 0"
    )
    kinds = [type(node).__name__ for node in walk(tree)]
    assert kinds[0] == "BoolOp" and kinds.count("Invariants") == 1
    assert kinds.count("Metric") == 2  # under both quantiles, the baseline's included
    assert kinds.count("Baseline") == 1 and kinds.count("Not") == 1
    metrics = [node for node in walk(tree) if isinstance(node, Metric)]
    assert [m.name for m in metrics] == ["lat.commit", "lat.commit"]


def test_special_forms() -> None:
    counted = parse_expression("n.reject{code=bad_nonce} == 0")
    assert isinstance(counted, Compare) and isinstance(counted.left, Count)
    group = parse_expression("inv[bank/total-supply, auth/*] ok")
    assert isinstance(group, Invariants)
    assert group.patterns == ("bank/total-supply", "auth/*")
    window = parse_expression("max_window(p99(lat.commit{action=send_ax}), 10s, 2s) < 1s")
    assert isinstance(window, Compare) and isinstance(window.left, WindowAgg)
    assert (window.left.width_s, window.left.step_s) == (10.0, 2.0)
    relative = parse_expression("p99(lat.commit) <= 1.2 * baseline(p99(lat.commit))")
    assert isinstance(relative, Compare) and isinstance(relative.right, Arith)
    assert isinstance(relative.right.right, Baseline)


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("__import__('os')", 1, "unexpected character '_'"),
        ("p99(lat.commit{action=send_ax}) <= 2", 36, "mixes a duration with a plain number"),
        ("err_rate", 1, "this is a number, not a condition"),
        ("n.lost = 0", 8, "unexpected character '='"),
        ("p99(lat.commit{send_ax}) < 1s", 16, "label 'send_ax' is not key=value"),
        ("eval(x) < 1", 1, "unknown function 'eval'"),
        ("inv[bank] ok", 5, "'bank' is not an invariant route pattern"),
        ("inv[bank/*]", 12, "an invariant group ends with 'ok'"),
        ("a < b < c", 7, "comparisons do not chain"),
        ("n.lost == 0 and 5", 17, "'and', 'or' and 'not' join conditions, not numbers"),
        ("n.lost == 0 and", 16, "unexpected end of expression"),
        ("max_window(err_rate, 10s) < 1", 1, "a sliding window needs a quantile"),
        ("max_window(p99(lat.x), 10) < 1s", 24, "must be a positive duration"),
        ("baseline(baseline(p99(lat.x))) < 1s", 10, "baseline() cannot sit inside"),
        ("p99(1) < 1s", 5, "p99() takes a metric name"),
        ("10 kb > 1", 4, "unexpected 'kb' after a complete expression"),
        ("10kb > 1", 3, "unknown unit after '10'"),
        ("(n.lost == 0", 13, "expected ')'"),
        ("x.__class__ == 1", 2, "unexpected character '.'"),
        ("lambda: 1", 7, "unexpected character ':'"),
        ("p99(lat.commit)[0] < 1s", 16, "unexpected character '['"),
        ("block_time * block_time < 1s", 12, "a duration times a duration"),
    ],
)
def test_errors_name_the_column_and_a_fix(text: str, column: int, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert caught.value.column == column, str(caught.value)
    assert reason in caught.value.reason
    assert caught.value.fix
    assert "Fix:" in str(caught.value)


def test_nesting_and_length_are_bounded_so_recursion_never_escapes() -> None:
    for text in ("(" * 500 + "1" + ")" * 500 + " < 2", "baseline(" * 200 + "x" + ")" * 200 + "<1"):
        with pytest.raises(ExpressionError, match=r"nested deeper|characters long"):
            parse_expression(text)
    with pytest.raises(ExpressionError, match="characters long"):
        parse_expression("n.lost == 0 and " * 200 + "n.lost == 0")


def test_python_source_is_never_compiled_or_evaluated(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the expression language must not compile or eval")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(f"builtins.{name}", refuse)
    monkeypatch.setattr(ast, "parse", refuse)
    tree = parse_expression("p99(lat.commit{action=send_ax}) <= 2*block_time + 0.5s")
    assert isinstance(tree, Compare)


_ALPHABET = st.sampled_from(
    [*list("abpx0129._{}[]()=<>!+-*/%, \"'\\:;`$#@^~|&\n"), "ms", "inv[", "and", "__"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_any_text_parses_or_raises_expression_error_only(text: str) -> None:
    try:
        tree = parse_expression(text)
    except ExpressionError as exc:
        assert 1 <= exc.column <= len(text) + 1
    else:
        assert render(parse_expression(render(tree))) == render(tree)
