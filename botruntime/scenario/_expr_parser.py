"""Parse verdict expressions by recursive descent; nothing is ever compiled or evaluated here.

Grammar (lowest precedence first):

    condition  := conjunct ("or" conjunct)*
    conjunct   := negation ("and" negation)*
    negation   := "not" negation | comparison
    comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?  | "inv[" routes "]" "ok"
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER UNIT? | NAME LABELS? | FUNCTION "(" args ")" | "(" condition ")"

Units: `us`, `ms`, `s` (durations, in seconds) and `%` (a fraction: 0.1% = 0.001). `≤` and
`≥` are accepted for `<=` and `>=`. `n.reject{code=bad_nonce}` is short for `count(...)`;
a bare name (`err_rate`, `n.lost`, `block_time`) is a scalar the metric source provides.

Functions: p50 p90 p95 p99 p999 max min (of a histogram), count, rate (per second), the
sliding windows `max_window(EXPR, WIDTH[, STEP])` / `min_window(...)` (worst or best value of
EXPR over windows of WIDTH, moved by STEP, default 1s), and `baseline(EXPR)`, EXPR's value in
the baseline run (N/A when there is none).

Invariant groups: `inv[bank/*, auth/unique-tx] ok` holds when every route matching one of
the patterns is ok. A pattern is `module/name`, `module/*` or `*`.

A static check then refuses mixed units (`p99(lat.commit{...}) <= 2` must say `2s`), numbers
where a condition is expected, and the reverse.
"""

from __future__ import annotations

from typing import Literal, cast

from ._errors import ExpressionError
from ._expr_ast import (
    Arith,
    ArithOp,
    Baseline,
    BoolOp,
    Compare,
    CompareOp,
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
from ._expr_check import Checker
from ._expr_lexer import Token, tokenize

__all__ = ["FUNCTIONS", "parse_expression", "parse_number"]

QUANTILES = {
    "p50": 0.5,
    "p90": 0.9,
    "p95": 0.95,
    "p99": 0.99,
    "p999": 0.999,
    "max": 1.0,
    "min": 0.0,
}
FUNCTIONS = (*QUANTILES, "count", "rate", "max_window", "min_window", "baseline")
KEYWORDS = frozenset({"and", "or", "not", "ok", "inv"})
MAX_DEPTH = 40
_COMPARE = frozenset({"<", "<=", ">", ">=", "==", "!="})


def parse_expression(expr: str) -> Expr:
    """Parse a criterion or gate; the result is a condition. Raises ExpressionError."""
    parser = _Parser(expr, tokenize(expr))
    tree = parser.condition()
    parser.expect_end()
    if Checker(expr).kind(tree) != "condition":
        raise ExpressionError(
            "this is a number, not a condition",
            expr=expr,
            column=1,
            fix="compare it with a threshold, e.g. err_rate <= 0.1%",
        )
    return tree


def parse_number(expr: str) -> Expr:
    """Parse a figure: a number or a duration, never a condition. Raises ExpressionError."""
    parser = _Parser(expr, tokenize(expr))
    tree = parser.condition()
    parser.expect_end()
    if Checker(expr).kind(tree) == "condition":
        raise ExpressionError(
            "this is a condition, not a number",
            expr=expr,
            column=1,
            fix="give the value itself, e.g. n.commit{action=delegate} (criteria compare it)",
        )
    return tree


class _Parser:
    def __init__(self, expr: str, tokens: list[Token]) -> None:
        self._expr = expr
        self._tokens = tokens
        self._at = 0
        self._depth = 0

    # -- plumbing ---------------------------------------------------------------------------
    def _peek(self) -> Token:
        return self._tokens[self._at]

    def _next(self) -> Token:
        token = self._tokens[self._at]
        self._at = min(self._at + 1, len(self._tokens) - 1)
        return token

    def _is(self, kind: str, text: str | None = None) -> bool:
        token = self._peek()
        return token.kind == kind and (text is None or token.text == text)

    def _error(self, token: Token, message: str, fix: str) -> ExpressionError:
        return ExpressionError(message, expr=self._expr, column=token.column, fix=fix)

    def _found(self, token: Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def _expect_op(self, text: str, fix: str) -> Token:
        token = self._next()
        if token.kind != "op" or token.text != text:
            raise self._error(token, f"expected {text!r}, found {self._found(token)}", fix)
        return token

    def expect_end(self) -> None:
        token = self._peek()
        if token.kind != "end":
            raise self._error(
                token,
                f"unexpected {self._found(token)} after a complete expression",
                "join conditions with 'and' / 'or', or remove the extra text",
            )

    def _descend(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(
                self._peek(),
                f"expression nested deeper than {MAX_DEPTH} levels",
                "split it into several criteria",
            )

    # -- grammar ----------------------------------------------------------------------------
    def condition(self) -> Expr:
        self._descend()
        left = self._conjunct()
        while self._is("name", "or"):
            token = self._next()
            left = BoolOp("or", left, self._conjunct(), token.column)
        self._depth -= 1
        return left

    def _conjunct(self) -> Expr:
        left = self._negation()
        while self._is("name", "and"):
            token = self._next()
            left = BoolOp("and", left, self._negation(), token.column)
        return left

    def _negation(self) -> Expr:
        if self._is("name", "not"):
            token = self._next()
            self._descend()
            operand = self._negation()
            self._depth -= 1
            return Not(operand, token.column)
        return self._comparison()

    def _comparison(self) -> Expr:
        if self._is("inv"):
            token = self._next()
            if not self._is("name", "ok"):
                raise self._error(
                    self._peek(), "an invariant group ends with 'ok'", f"write {token.text} ok"
                )
            self._next()
            return Invariants(token.patterns, token.column)
        left = self._sum()
        if self._peek().kind == "op" and self._peek().text in _COMPARE:
            token = self._next()
            right = self._sum()
            if self._peek().kind == "op" and self._peek().text in _COMPARE:
                raise self._error(
                    self._peek(),
                    "comparisons do not chain",
                    "write 'a <= b and b <= c' instead of 'a <= b <= c'",
                )
            return Compare(cast(CompareOp, token.text), left, right, token.column)
        return left

    def _sum(self) -> Expr:
        left = self._product()
        while self._is("op", "+") or self._is("op", "-"):
            token = self._next()
            left = Arith(cast(ArithOp, token.text), left, self._product(), token.column)
        return left

    def _product(self) -> Expr:
        left = self._unary()
        while self._is("op", "*") or self._is("op", "/"):
            token = self._next()
            left = Arith(cast(ArithOp, token.text), left, self._unary(), token.column)
        return left

    def _unary(self) -> Expr:
        if self._is("op", "-"):
            token = self._next()
            self._descend()
            operand = self._unary()
            self._depth -= 1
            return Neg(operand, token.column)
        return self._primary()

    def _primary(self) -> Expr:
        token = self._next()
        if token.kind == "num":
            return Number(token.value, token.is_duration, token.text, token.column)
        if token.kind == "op" and token.text == "(":
            inner = self.condition()
            self._expect_op(")", "close the parenthesis")
            return inner
        if token.kind == "name" and token.text not in KEYWORDS:
            if self._is("op", "("):
                return self._call(token)
            if self._is("labels"):
                labels = self._next()
                return Count(Metric(token.text, labels.labels, token.column), token.column)
            return Scalar(token.text, token.column)
        if token.kind == "labels":
            fix = "put the metric name before its labels: lat.commit{action=send_ax}"
        elif token.kind == "inv":
            fix = "an invariant group is a condition of its own: combine it with 'and'"
        else:
            fix = "expected a number, a metric or a function such as p99(lat.commit{...})"
        raise self._error(token, f"unexpected {self._found(token)}", fix)

    def _metric_argument(self, function: Token) -> Metric:
        token = self._next()
        if token.kind != "name" or token.text in KEYWORDS:
            raise self._error(
                token,
                f"{function.text}() takes a metric name",
                f"e.g. {function.text}(lat.commit{{action=send_ax}})",
            )
        labels = self._next().labels if self._is("labels") else ()
        return Metric(token.text, labels, token.column)

    def _duration_argument(self, function: Token, what: str) -> float:
        token = self._next()
        if token.kind != "num" or not token.is_duration or token.value <= 0:
            raise self._error(
                token,
                f"the {what} of {function.text}() must be a positive duration",
                f"e.g. {function.text}(p99(lat.commit{{action=send_ax}}), 10s)",
            )
        return token.value

    def _call(self, function: Token) -> Expr:
        name = function.text
        if name not in FUNCTIONS:
            raise self._error(
                function, f"unknown function {name!r}", f"use one of: {', '.join(FUNCTIONS)}"
            )
        self._expect_op("(", "open the argument list")
        self._descend()
        node: Expr
        if name in QUANTILES:
            node = Quantile(name, QUANTILES[name], self._metric_argument(function), function.column)
        elif name == "count":
            node = Count(self._metric_argument(function), function.column)
        elif name == "rate":
            node = Rate(self._metric_argument(function), function.column)
        elif name == "baseline":
            node = Baseline(self._sum(), function.column)
        else:
            inner = self._sum()
            self._expect_op(",", f"give the window width: {name}(p99(lat.commit{{...}}), 10s)")
            width = self._duration_argument(function, "width")
            step = 1.0
            if self._is("op", ","):
                self._next()
                step = self._duration_argument(function, "step")
            node = WindowAgg(
                cast(Literal["max_window", "min_window"], name), inner, width, step, function.column
            )
        self._expect_op(")", f"{name}() takes its arguments and a closing ')'")
        self._depth -= 1
        return node
