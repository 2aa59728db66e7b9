"""Bounds on a scenario file before it is built into objects: a scenario file is untrusted
input (a pull request, an edit in the UI), and the Dagster code location reads every one.

`check_bounded(text, name)` walks the YAML's event stream (PyYAML's parser keeps its own
stack, so depth costs no recursion) and refuses, as a ScenarioUnsafe naming file, line and fix:

- more than MAX_BYTES of text, or a NUL byte (a binary file);
- nesting deeper than MAX_DEPTH, counted with aliases expanded;
- more than MAX_NODES nodes once every alias is expanded (an alias is cheap to write and is
  walked in full by validation and by the content hash: "a billion laughs");
- an explicit tag outside YAML's core schema (`!!python/object`, `!custom`).

A YAML syntax error is left to the loader, which reports it with its line. Each check is
linear in the text, so a refusal comes in well under a second. Anchors and aliases within the
bounds stay allowed: sharing a load block between sizes is fair use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import yaml

from ._errors import ScenarioUnsafe

__all__ = ["FAST_LOADER", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "check_bounded", "check_size"]

MAX_BYTES: Final = 128 * 1024  # the largest catalogue file is under 12 KiB
MAX_DEPTH: Final = 32  # the deepest catalogue path (sizes.*.load.*.think_time.*) is 6
MAX_NODES: Final = 20_000  # the largest catalogue file has under 1,500
# libyaml's parser when PyYAML has it (its wheels do): linear in the text, where the pure-Python
# scanner is quadratic in flow nesting ("[[[[..." of 2,000 levels takes 0.4 s)
FAST_LOADER: Final[type[yaml.SafeLoader]] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE_TAGS: Final = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


@dataclass(slots=True)
class _Open:
    anchor: str | None
    level: int
    start: int  # nodes counted when it opened
    deepest: int  # the deepest level reached inside it, aliases expanded


def check_bounded(text: str, name: str) -> None:
    """Raise ScenarioUnsafe if `text` is beyond the bounds above; otherwise return."""
    check_size(len(text.encode("utf-8")), name)
    if "\0" in text:
        _refuse(name, 0, "a NUL byte: this is a binary file, not YAML", "give a UTF-8 YAML file")
    nodes = 0
    size: dict[str, int] = {}  # anchor -> nodes it stands for
    height: dict[str, int] = {}  # anchor -> levels it spans
    opened: list[_Open] = []
    for event in yaml.parse(text, Loader=FAST_LOADER):
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _CORE_TAGS and tag != "!":
            _refuse(
                name,
                line,
                f"the tag {tag!r} is not allowed",
                "remove the tag: scenario files hold plain maps, lists, strings and numbers",
            )
        level = len(opened)
        if isinstance(event, yaml.CollectionStartEvent):
            nodes += 1
            opened.append(_Open(event.anchor, level + 1, nodes, level + 1))
            reached = level + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            done = opened.pop()
            if done.anchor is not None:
                size[done.anchor] = nodes - done.start + 1
                height[done.anchor] = done.deepest - done.level + 1
            if opened:
                opened[-1].deepest = max(opened[-1].deepest, done.deepest)
            continue
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                size[event.anchor], height[event.anchor] = 1, 1
            reached = level + 1
        elif isinstance(event, yaml.AliasEvent):
            # an unknown anchor is the composer's error to report, with its own message
            nodes += size.get(event.anchor or "", 1)
            reached = level + height.get(event.anchor or "", 1)
        else:
            continue
        if opened:
            opened[-1].deepest = max(opened[-1].deepest, reached)
        if reached > MAX_DEPTH:
            _refuse(
                name,
                line,
                f"nested deeper than {MAX_DEPTH} levels",
                "flatten the structure (a scenario needs about 6 levels)",
            )
        if nodes > MAX_NODES:
            _refuse(
                name,
                line,
                f"more than {MAX_NODES:,} values once its aliases are expanded",
                "write the values out or use fewer, smaller anchors and aliases (*name)",
            )


def check_size(size: int, name: str) -> None:
    """Raise ScenarioUnsafe if `size` bytes are more than a scenario file may hold."""
    if size > MAX_BYTES:
        _refuse(
            name,
            0,
            f"over {MAX_BYTES:,} bytes",
            "a scenario file is a few KiB: split data out of it, or check it is the right file",
        )


def _refuse(name: str, line: int, what: str, fix: str) -> None:
    where = f"{name}: line {line}" if line else name
    raise ScenarioUnsafe(f"{where}: {what}", file=name, line=line, column=1 if line else 0, fix=fix)
