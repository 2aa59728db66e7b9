"""Turn a pydantic ValidationError into Problems: the path as written in the file, and a fix.

Pydantic's `loc` also holds union tags (`ramping`) and `[key]` markers that the user never
wrote, so the path is rebuilt by walking the YAML document itself; the schema types are walked
alongside to list the keys allowed where an unknown one was found.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._errors import ExpressionError, FieldProblem, FieldProblems, Problem
from ._scenario import Scenario

__all__ = ["problems_from"]

_MAX_PROBLEMS = 20
_TYPE_FIXES = {
    "int_parsing": "write a whole number, e.g. 100",
    "int_type": "write a whole number, e.g. 100",
    "int_from_float": "write a whole number, e.g. 100",
    "float_parsing": "write a number, e.g. 0.5",
    "float_type": "write a number, e.g. 0.5",
    "finite_number": "write a finite number",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "string_type": "write text (quote it if YAML reads it as something else)",
    "dict_type": "write a mapping of key: value lines",
    "model_type": "write a mapping of key: value lines",
    "model_attributes_type": "write a mapping of key: value lines",
    "list_type": "write a list, e.g. [a, b] or one '- item' per line",
    "tuple_type": "write a list, e.g. [a, b] or one '- item' per line",
    "too_short": "give at least one item",
    "too_long": "give fewer items",
    "literal_error": "use one of the values listed",
    "enum": "use one of the values listed",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "string_too_short": "write a non-empty text",
    "string_too_long": "write a shorter text",
}


def problems_from(exc: ValidationError, document: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    for error in errors:
        if error["type"] == "too_short" and _inner_error(error, errors):
            continue  # "0 items after validation" only echoes the items' own errors
        for problem in _translate(error, document):
            if problem not in problems:
                problems.append(problem)
    return problems[:_MAX_PROBLEMS]


def _inner_error(error: ErrorDetails, errors: list[ErrorDetails]) -> bool:
    loc = tuple(error["loc"])
    return any(len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in errors)


def _translate(error: ErrorDetails, document: dict[str, Any]) -> list[Problem]:
    loc = tuple(error["loc"])
    path, node = _document_path(document, loc)
    kind = error["type"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblems):
        return [Problem(_join(path, p.path), p.reason, p.fix) for p in cause.problems]
    if isinstance(cause, FieldProblem):
        return [Problem(_join(path, cause.path), cause.reason, cause.fix)]
    if isinstance(cause, ExpressionError):
        return [_expression_problem(path, loc, document, cause)]
    if kind == "missing":
        return [Problem(path, "this required key is missing", f"add '{loc[-1]}'")]
    if kind == "extra_forbidden":
        return [_unknown_key(path, loc)]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        fix = "set kind to one of: constant, ramping, poisson, trace, closed"
        return [Problem(path, "unknown or missing load kind", fix)]
    if kind == "string_pattern_mismatch":
        shown = _shown(loc[-2] if loc[-1:] == ("[key]",) else node)
        return [Problem(path, f"{shown} is not a valid name here", _pattern_fix(loc))]
    message = f"{error['msg'][:1].lower()}{error['msg'][1:]} (got {_shown(error.get('input'))})"
    fix = _TYPE_FIXES.get(kind, "see an example: testbots scenarios show transfer_baseline")
    return [Problem(path, message, fix)]


def _join(base: str, relative: str) -> str:
    if not relative:
        return base
    if not base:
        return relative
    return f"{base}{relative}" if relative.startswith("[") else f"{base}.{relative}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _document_path(document: object, loc: tuple[int | str, ...]) -> tuple[str, object]:
    """The path the user wrote (`roles[0].behaviours`) and the value found there."""
    text = ""
    node: object = document
    for position, item in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            text, node = f"{text}[{item}]", node[item]
        elif isinstance(node, dict) and item in node:
            text, node = _join(text, str(item)), node[item]
        elif last and item != "[key]":
            text, node = _join(text, str(item)), None  # a missing key
        # else: a union tag or a [key] marker that the user did not write
    return text, node


def _expression_problem(
    path: str, loc: tuple[int | str, ...], document: dict[str, Any], exc: ExpressionError
) -> Problem:
    _, owner = _document_path(document, loc[:-1])
    ident = owner.get("id") if isinstance(owner, dict) else None
    named = f"criterion {ident!r}: " if isinstance(ident, str) else ""
    pointer = f"    {exc.expr}\n    {' ' * (exc.column - 1)}^" if exc.expr else ""
    return Problem(path, f"{named}column {exc.column}: {exc.reason}", exc.fix, pointer)


def _pattern_fix(loc: tuple[int | str, ...]) -> str:
    if "chains" in loc:
        return "write a chain id such as alpha-simnet-1 (a trailing * matches any number)"
    if "adnet" in loc:
        return "write adnet arguments as plain words, e.g. [node, restart, v1]"
    if "id" in loc[-1:]:
        return "start with a letter; then letters, digits and _ (e.g. C1_submit_latency)"
    return "use lower-case letters, digits and _, starting with a letter (e.g. send_ax)"


def _unknown_key(path: str, loc: tuple[int | str, ...]) -> Problem:
    key = str(loc[-1])
    allowed = _fields_at(loc[:-1])
    if not allowed:
        return Problem(path, f"unknown key {key!r}", f"remove '{key}' or correct its spelling")
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return Problem(path, f"unknown key {key!r}", f"{hint}allowed here: {', '.join(allowed)}")


def _fields_at(loc: Sequence[int | str]) -> list[str]:
    """Field names of the model found at `loc`, walking the schema types (tags included)."""
    annotation: object = Scenario
    for item in loc:
        annotation = _step(_unwrap(annotation), item)
        if annotation is None:
            return []
    target = _unwrap(annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(target.model_fields)
    return []


def _unwrap(annotation: object) -> object:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _step(annotation: object, item: int | str) -> object:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(item))
        return None if field is None else field.annotation
    if origin in (tuple, list) and isinstance(item, int):
        return args[0]
    if origin is dict:
        return args[1]
    if origin in (typing.Union, types.UnionType):
        for member in (_unwrap(arg) for arg in args):
            if isinstance(member, type) and issubclass(member, BaseModel):
                tag = member.model_fields.get("kind")
                if tag is not None and typing.get_args(tag.annotation) == (item,):
                    return member
        models = [_unwrap(arg) for arg in args if _unwrap(arg) is not type(None)]
        return _step(models[0], item) if len(models) == 1 else None
    return None
