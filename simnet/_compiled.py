"""simnet's hot path compiled to C with mypyc, run only while it matches its sources.

A transfer's path through a node (the gate, decoding, admission, the mempool, gossip, block
production) is simnet's own typed Python; compiled, it costs ~10-20 % less CPU per committed
tx (bench/simnet_split.py, bench/simnet_capacity.py). simnet/_compile.py (the Makefile's
setup runs it) compiles `HOT_MODULES` into build/simnet-compiled/ (git-ignored) with a
manifest of the SHA-256 of their sources and of every repo module they import (mypyc compiles
against those modules' types and constants). `install()`, run when the `simnet` package is
imported, serves the hot modules from there only while every one of those files hashes as the
manifest says, under the Python they were built for: once one is edited, all of them run as
Python until the next build. `SIMNET_PURE=1` runs the pure-Python simnet. Either way
`status()` says which runs and why; `python -m simnet` logs it at start.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Final

__all__ = [
    "BUILD_DIR",
    "GROUP",
    "HOT_MODULES",
    "LIB",
    "MANIFEST",
    "PURE_ENV",
    "ROOT",
    "Status",
    "ext_suffix",
    "hot_paths",
    "install",
    "source_hash",
    "status",
]

# the modules a committed transfer spends its Python time in (bench/simnet_split.py under
# cProfile); compiled together, as one group, so their calls to each other are native
HOT_MODULES: Final = (
    "simnet._admission",
    "simnet._app",
    "simnet._blocks",
    "simnet._chain",
    "simnet._entry",
    "simnet._fastdecode",
    "simnet._gate",
    "simnet._history",
    "simnet._hotpath",
    "simnet._http",
    "simnet._ledger",
    "simnet._mempool",
    "simnet._network",
    "simnet._node",
    "simnet._nonces",
    "simnet._producer",
    "simnet._ratelimit",
    "simnet._vuln",
)
GROUP: Final = "simnet_hot"  # the group's shared library is the module `simnet_hot__mypyc`
PURE_ENV: Final = "SIMNET_PURE"
ROOT: Final = Path(__file__).resolve().parent.parent
BUILD_DIR: Final = ROOT / "build" / "simnet-compiled"
MANIFEST: Final = BUILD_DIR / "manifest.json"
LIB: Final = BUILD_DIR / "lib"  # the extension modules, laid out as packages
REBUILD: Final = "make setup, or python -m simnet._compile build"


@dataclass(frozen=True)
class Status:
    compiled: bool
    reason: str  # why it runs compiled or not, for a log line

    def describe(self) -> str:
        return f"simnet runs {'compiled' if self.compiled else 'pure Python'}: {self.reason}"


_status = Status(False, "simnet._compiled.install() was not called")


def status() -> Status:
    """Whether this process runs the compiled hot path, and why (or why not)."""
    return _status


def _source(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def source_hash(path: str) -> str:
    """The SHA-256 of a source file (a path relative to ROOT), "" if it is gone."""
    try:
        return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def hot_paths() -> list[str]:
    """The hot modules' source files, relative to ROOT, as the manifest names them."""
    return [_source(m).relative_to(ROOT).as_posix() for m in HOT_MODULES]


def ext_suffix() -> str:
    """The file suffix of this Python's extension modules (its ABI)."""
    return str(sysconfig.get_config_var("EXT_SUFFIX"))


def _stale(manifest: object) -> str | None:
    """Why the build in BUILD_DIR must not run, or None. The manifest's `sources` are the hot
    modules and every repo module they import, directly or not: mypyc compiled them against
    those modules' types and constants, so an edit to any of them retires the build."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sources"), dict):
        return f"{MANIFEST} is not a build's manifest; rebuild: {REBUILD}"
    if manifest.get("python") != ext_suffix():
        return f"built for another Python ({manifest.get('python')}); rebuild: {REBUILD}"
    sources: dict[str, str] = manifest["sources"]
    for path in [*hot_paths(), *sources]:
        if sources.get(path) != source_hash(path):
            return f"{path} changed since the build; rebuild: {REBUILD}"
    return None


class _Finder(importlib.abc.MetaPathFinder):
    """Serves the hot modules (and their group's shared library) from the build."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def _extension(lib: Path, module: str) -> Path:
    return lib.joinpath(*module.split(".")).with_name(module.rpartition(".")[2] + ext_suffix())


def install() -> Status:
    """Serve the hot modules compiled if the build matches their sources; otherwise leave
    them to Python. Runs once, before any of them is imported (simnet/__init__.py)."""
    global _status
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return _status
    _status = _load()
    return _status


def _load() -> Status:
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return Status(False, f"{PURE_ENV}={os.environ[PURE_ENV]}")
    try:
        manifest = json.loads(MANIFEST.read_text())
    except FileNotFoundError:
        return Status(False, f"not built; build it: {REBUILD}")
    except (OSError, ValueError) as exc:
        return Status(False, f"unreadable {MANIFEST} ({exc}); rebuild: {REBUILD}")
    reason = _stale(manifest)
    if reason is not None:
        return Status(False, reason)
    already = [m for m in HOT_MODULES if m in sys.modules]
    if already:
        return Status(False, f"{', '.join(already)} imported before install()")
    files = {m: _extension(LIB, m) for m in (*HOT_MODULES, GROUP + "__mypyc")}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        return Status(False, f"the build lacks {', '.join(missing)}; rebuild: {REBUILD}")
    finder = _Finder(files)
    sys.meta_path.insert(0, finder)
    try:  # the shared library now: a machine that cannot load it runs the Python modules
        importlib.import_module(GROUP + "__mypyc")
    except ImportError as exc:
        sys.meta_path.remove(finder)
        return Status(False, f"the build does not load ({exc}); rebuild: {REBUILD}")
    return Status(True, f"{len(HOT_MODULES)} modules from {BUILD_DIR}")
