"""Evaluate a parsed verdict expression against a MetricSource: pass, fail or n/a, explained.

The tree is walked here node by node; nothing is compiled. A value the source cannot give
(None: not measured, no baseline, no invariant source on a real network) makes the condition
N/A instead of guessing, with Kleene logic for and/or/not: `false and n/a` is false,
`true and n/a` is n/a.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal, NamedTuple, Protocol

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
    render,
)
from ._expr_check import value_kind

__all__ = [
    "MetricSource",
    "Outcome",
    "OutcomeStatus",
    "Window",
    "evaluate",
    "evaluate_number",
    "format_value",
    "route_matches",
]

OutcomeStatus = Literal["pass", "fail", "n/a"]

_COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_SYMBOL = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


class Window(NamedTuple):
    """A span of the run in seconds from its start: [start_s, end_s)."""

    start_s: float
    end_s: float

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


class MetricSource(Protocol):
    """What a verdict reads. Every method returns None for "not measured here" (-> N/A).

    Durations are in seconds, ratios are fractions (0.001, not 0.1). `window=None` means the
    measured period of the run (`measured_window()`).
    """

    def quantile(
        self, metric: str, labels: Mapping[str, str], q: float, window: Window | None = None
    ) -> float | None:
        """q-quantile (0.0 = min, 1.0 = max) of histogram `metric` with these labels."""
        ...

    def count(
        self, metric: str, labels: Mapping[str, str], window: Window | None = None
    ) -> float | None:
        """Total of counter `metric` over every series whose labels include these."""
        ...

    def value(self, name: str) -> float | None:
        """A scalar: err_rate, completeness, offered_ratio, ledger.mismatch, n.lost, block_time…"""
        ...

    def invariants(self, patterns: Sequence[str]) -> Sequence[tuple[str, bool]] | None:
        """(route, ok) for every invariant route matching a pattern; None: no invariant source."""
        ...

    def baseline(self, key: str) -> float | None:
        """The baseline run's value of the expression whose canonical text is `key`."""
        ...

    def measured_window(self) -> Window | None:
        """The span the criteria judge (the execute stage), None before a run."""
        ...

    def missing(self, name: str) -> str | None:
        """Why metric or scalar `name` has no value (e.g. "no worker reported a CPU gauge"),
        for the N/A explanation; None when there is nothing more to say than that."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """The judgement of one expression: status, the observed and threshold values, and why."""

    status: OutcomeStatus
    observed: float | None
    threshold: float | None
    explanation: str


def route_matches(route: str, pattern: str) -> bool:
    """`bank/*` matches `bank/total-supply`; `*` matches every route."""
    return fnmatchcase(route, pattern)


def format_value(value: float, is_duration: bool) -> str:
    """3 significant digits (the histograms' precision), durations in a readable unit."""
    if is_duration:
        size = abs(value)
        if size == 0:
            return "0 s"
        if size < 1e-3:
            return f"{value * 1e6:.3g} µs"
        if size < 1:
            return f"{value * 1e3:.3g} ms"
        return f"{value:.3g} s"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def evaluate(tree: Expr, source: MetricSource) -> Outcome:
    """Judge a condition (the result of `parse_expression`)."""
    judged = _Evaluator(source).condition(tree)
    status: OutcomeStatus = "n/a" if judged.value is None else ("pass" if judged.value else "fail")
    return Outcome(status, judged.observed, judged.threshold, judged.text)


def evaluate_number(tree: Expr, source: MetricSource) -> float | None:
    """The value of a numeric sub-expression (e.g. a criterion's left side), None if missing."""
    return _Evaluator(source).number(tree, None)


@dataclass(frozen=True, slots=True)
class _Judged:
    value: bool | None
    observed: float | None
    threshold: float | None
    text: str


class _Evaluator:
    def __init__(self, source: MetricSource) -> None:
        self._source = source
        self._missing: list[str] = []

    def _absent(self, reason: str) -> None:
        if reason not in self._missing:
            self._missing.append(reason)

    def _checked(self, value: float | None, what: str, name: str | None = None) -> float | None:
        if value is None:
            why = None if name is None else self._source.missing(name)
            self._absent(why or f"{what} is not reported")
            return None
        if not math.isfinite(value):
            self._absent(f"{what} is not a finite number ({value})")
            return None
        return float(value)

    # -- numbers ----------------------------------------------------------------------------
    def number(self, node: Expr, window: Window | None) -> float | None:
        source = self._source
        match node:
            case Number(value=value):
                return value
            case Scalar(name=name):
                return self._checked(source.value(name), name, name)
            case Count(metric=metric):
                counted = source.count(metric.name, dict(metric.labels), window)
                return self._checked(counted, render(node), metric.name)
            case Rate(metric=metric):
                span = window or source.measured_window()
                if span is None or span.seconds <= 0:
                    self._absent(f"{render(node)}: the run has no measured window")
                    return None
                counted = self._checked(
                    source.count(metric.name, dict(metric.labels), span),
                    render(metric),
                    metric.name,
                )
                return None if counted is None else counted / span.seconds
            case Quantile(metric=metric, q=q):
                observed = source.quantile(metric.name, dict(metric.labels), q, window)
                return self._checked(observed, render(node), metric.name)
            case WindowAgg():
                return self._window(node)
            case Baseline(inner=inner):
                key = render(inner)
                found = source.baseline(key)
                if found is None:
                    self._absent(f"no baseline run for {key}")
                    return None
                return self._checked(found, f"baseline({key})")
            case Neg(operand=operand):
                negated = self.number(operand, window)
                return None if negated is None else -negated
            case Arith(op=op, left=left, right=right):
                return self._arith(op, left, right, window)
            case Metric():
                return self._checked(
                    source.count(node.name, dict(node.labels), window), render(node), node.name
                )
            case _:
                raise TypeError(f"{render(node)} is a condition, not a number")

    def _arith(self, op: str, left: Expr, right: Expr, window: Window | None) -> float | None:
        lv, rv = self.number(left, window), self.number(right, window)
        if lv is None or rv is None:
            return None
        if op == "+":
            return lv + rv
        if op == "-":
            return lv - rv
        if op == "*":
            return lv * rv
        if rv == 0:
            self._absent(f"{render(right)} is 0, so {render(left)} / {render(right)} has no value")
            return None
        return lv / rv

    def _window(self, node: WindowAgg) -> float | None:
        span = self._source.measured_window()
        if span is None or span.seconds <= 0:
            self._absent(f"{render(node)}: the run has no measured window")
            return None
        width = min(node.width_s, span.seconds)
        values: list[float] = []
        mark = len(self._missing)
        start = span.start_s
        while start + width <= span.end_s + 1e-9:
            value = self.number(node.inner, Window(start, start + width))
            if value is not None:
                values.append(value)
            start += node.step_s
        if not values:
            self._absent(f"{render(node)}: no window had data")
            return None
        del self._missing[mark:]  # windows without data are expected at the edges
        return max(values) if node.function == "max_window" else min(values)

    # -- conditions -------------------------------------------------------------------------
    def condition(self, node: Expr) -> _Judged:
        match node:
            case Compare(op=op, left=left, right=right):
                return self._compare(op, left, right)
            case BoolOp(op=op):
                return self._logical(op, _flatten(node, op))
            case Not(operand=operand):
                inner = self.condition(operand)
                value = None if inner.value is None else not inner.value
                return _Judged(value, inner.observed, inner.threshold, f"not ({inner.text})")
            case Invariants(patterns=patterns):
                return self._invariants(node, patterns)
            case _:
                raise TypeError(f"{render(node)} is a number, not a condition")

    def _compare(self, op: str, left: Expr, right: Expr) -> _Judged:
        self._missing = []
        lv, rv = self.number(left, None), self.number(right, None)
        name = render(left)
        if lv is None or rv is None:
            return _Judged(None, lv, rv, f"{name}: N/A ({'; '.join(self._missing)})")
        is_duration = value_kind(left) == "duration" or value_kind(right) == "duration"
        symbol = _SYMBOL[op]
        threshold = format_value(rv, is_duration)
        if not isinstance(right, Number):
            threshold += f" ({render(right)})"
        ok = _COMPARE[op](lv, rv)
        shown = format_value(lv, is_duration)
        text = (
            f"{name} = {shown} {symbol} {threshold}"
            if ok
            else f"{name} = {shown}, needs {symbol} {threshold}"
        )
        return _Judged(ok, lv, rv, text)

    def _logical(self, op: str, parts: list[Expr]) -> _Judged:
        judged = [self.condition(part) for part in parts]
        decisive = False if op == "and" else True
        hits = [j for j in judged if j.value is decisive]
        if hits:
            chosen = hits if op == "and" else hits[:1]
            return _Judged(
                decisive, hits[0].observed, hits[0].threshold, "; ".join(j.text for j in chosen)
            )
        unknown = [j for j in judged if j.value is None]
        if unknown:
            return _Judged(
                None, unknown[0].observed, unknown[0].threshold, "; ".join(j.text for j in unknown)
            )
        first = judged[0]
        return _Judged(
            not decisive, first.observed, first.threshold, f" {op} ".join(j.text for j in judged)
        )

    def _invariants(self, node: Invariants, patterns: tuple[str, ...]) -> _Judged:
        name = render(node)
        found = self._source.invariants(patterns)
        if found is None:
            return _Judged(None, None, 0, f"{name}: N/A (no invariant source on this target)")
        if not found:
            return _Judged(None, None, 0, f"{name}: N/A (no invariant route matches)")
        broken = [route for route, ok in found if not ok]
        if not broken:
            return _Judged(True, 0, 0, f"{name}: all {len(found)} routes hold")
        listed = ", ".join(broken[:5]) + (", …" if len(broken) > 5 else "")
        return _Judged(
            False, len(broken), 0, f"{name}: {len(broken)} of {len(found)} broken ({listed})"
        )


def _flatten(node: Expr, op: str) -> list[Expr]:
    if isinstance(node, BoolOp) and node.op == op:
        return [*_flatten(node.left, op), *_flatten(node.right, op)]
    return [node]
