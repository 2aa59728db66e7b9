"""The static check of a parsed expression: each node is a condition, a duration or a number.

It refuses mixed units (`p99(lat.commit{...}) <= 2` must say `2s`), numbers where a condition
is expected and the reverse, and misplaced windows and baselines, naming the column.
"""

from __future__ import annotations

from typing import Literal

from ._errors import ExpressionError
from ._expr_ast import (
    Arith,
    Baseline,
    BoolOp,
    Compare,
    Count,
    Expr,
    Invariants,
    Metric,
    Neg,
    Not,
    Number,
    Quantile,
    Rate,
    Scalar,
    WindowAgg,
)

__all__ = ["Checker", "Kind", "value_kind"]

Kind = Literal["condition", "duration", "number"]
# scalars and histograms whose values are durations (seconds); a scenario's own histogram
# of durations says so by its name (`adv.release_lag_s`), as a scalar does
_DURATION_SCALARS = frozenset({"block_time", "chain.block_interval"})
_DURATION_HISTOGRAMS = ("lat.", "worker.loop_lag", "worker.schedule_lag", "chain.block_interval")


def value_kind(node: Expr) -> Kind:
    """condition, duration or number: how a (checked) tree's value reads."""
    return Checker("").kind(node)


class Checker:
    """Infers each node's kind (condition, duration, number) and refuses mixtures."""

    def __init__(self, expr: str) -> None:
        self._expr = expr

    def _fail(self, column: int, message: str, fix: str) -> ExpressionError:
        return ExpressionError(message, expr=self._expr, column=column, fix=fix)

    def kind(self, node: Expr, in_window: bool = False, in_baseline: bool = False) -> Kind:
        match node:
            case Number(is_duration=is_duration):
                return "duration" if is_duration else "number"
            case Scalar(name=name):
                duration = name in _DURATION_SCALARS or name.endswith("_s")
                return "duration" if duration else "number"
            case Metric() | Count() | Rate():
                return "number"
            case Quantile(metric=metric):
                duration = metric.name.startswith(_DURATION_HISTOGRAMS) or metric.name.endswith(
                    "_s"
                )
                return "duration" if duration else "number"
            case WindowAgg(inner=inner, column=column):
                if in_window:
                    raise self._fail(column, "sliding windows do not nest", "use one window")
                if not _has_windowed_call(inner):
                    raise self._fail(
                        column,
                        "a sliding window needs a quantile, count or rate inside",
                        "e.g. max_window(p99(lat.commit{action=send_ax}), 10s)",
                    )
                return self._numeric(inner, True, in_baseline)
            case Baseline(inner=inner, column=column):
                if in_baseline or in_window:
                    raise self._fail(
                        column,
                        "baseline() cannot sit inside baseline() or a window",
                        "put the window inside: baseline(max_window(...)), not the reverse",
                    )
                return self._numeric(inner, in_window, True)
            case Neg(operand=operand):
                return self._numeric(operand, in_window, in_baseline)
            case Arith(op=op, left=left, right=right, column=column):
                lk = self._numeric(left, in_window, in_baseline)
                rk = self._numeric(right, in_window, in_baseline)
                if op in "+-":
                    return self._same_unit(lk, rk, left, right, column)
                if op == "*":
                    if lk == rk == "duration":
                        raise self._fail(
                            column, "a duration times a duration", "multiply by a number"
                        )
                    return "duration" if "duration" in (lk, rk) else "number"
                return "duration" if (lk, rk) == ("duration", "number") else "number"
            case Compare(left=left, right=right, column=column):
                lk = self._numeric(left, in_window, in_baseline)
                rk = self._numeric(right, in_window, in_baseline)
                self._same_unit(lk, rk, left, right, column)
                return "condition"
            case BoolOp(left=left, right=right):
                self._condition(left)
                self._condition(right)
                return "condition"
            case Not(operand=operand):
                self._condition(operand)
                return "condition"
            case Invariants():
                return "condition"

    def _condition(self, node: Expr) -> None:
        if self.kind(node) != "condition":
            raise self._fail(
                node.column,
                "'and', 'or' and 'not' join conditions, not numbers",
                "compare the number with a threshold, e.g. n.lost == 0",
            )

    def _numeric(self, node: Expr, in_window: bool, in_baseline: bool) -> Kind:
        kind = self.kind(node, in_window, in_baseline)
        if kind == "condition":
            raise self._fail(
                node.column,
                "a condition is used where a number is expected",
                "compare numbers, then join the comparisons with and/or",
            )
        return kind

    def _same_unit(self, lk: Kind, rk: Kind, left: Expr, right: Expr, column: int) -> Kind:
        if lk == rk:
            return lk
        plain = right if lk == "duration" else left
        if isinstance(plain, Number) and plain.value == 0:
            return "duration"
        raise self._fail(
            plain.column if isinstance(plain, Number) else column,
            "mixes a duration with a plain number",
            "give the number a unit (250ms, 0.5s, 100us) or compare like with like",
        )


def _has_windowed_call(node: Expr) -> bool:
    match node:
        case Quantile() | Count() | Rate():
            return True
        case Neg(operand=operand):
            return _has_windowed_call(operand)
        case Arith(left=left, right=right):
            return _has_windowed_call(left) or _has_windowed_call(right)
        case _:
            return False
