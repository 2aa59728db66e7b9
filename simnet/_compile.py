"""`python -m simnet._compile build|status|clean`: compile simnet's hot path with mypyc.

`build` compiles simnet/_compiled.py's HOT_MODULES as one mypyc group into
build/simnet-compiled/lib and writes the manifest last: the SHA-256 of the hot modules and of
every module of this repo they import (an edit to any retires the build), the Python ABI and
mypyc's version. It does nothing while the manifest matches. It needs a C compiler, Python's
headers, mypy (the dev extra) and setuptools; if any is missing it says so and exits 1, and
simnet runs its Python modules. `status` says what a simnet started now would run; `clean`
removes the build (the same as running with SIMNET_PURE=1, for good).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from simnet import _compiled
from simnet._compiled import BUILD_DIR, GROUP, HOT_MODULES, LIB, MANIFEST, ROOT

__all__ = ["build", "fingerprint", "imported_files", "main"]


def imported_files() -> list[str]:
    """The source files (relative to ROOT) of the hot modules and of every module in this
    repo they import, directly or not, their packages' __init__ included."""
    seen: dict[str, Path] = {}
    todo = list(HOT_MODULES)
    while todo:
        module = todo.pop()
        file = _file_of(module)
        if file is None or module in seen:
            continue  # not this repo's (the standard library, a dependency), or done
        seen[module] = file
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        package = parts if file.name == "__init__.py" else parts[:-1]
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                name = ".".join([*base, *([node.module] if node.module else [])])
                todo += [name, *(f"{name}.{alias.name}" for alias in node.names)]
    return sorted(f.relative_to(ROOT).as_posix() for f in seen.values())


def _file_of(module: str) -> Path | None:
    path = ROOT.joinpath(*module.split("."))
    for file in (path.with_suffix(".py"), path / "__init__.py"):
        if module and file.is_file():
            return file
    return None


def fingerprint() -> dict[str, object]:
    """What a build records and must match to be reused: the sources it was compiled
    against, the Python ABI, mypyc's version."""
    sources = {path: _compiled.source_hash(path) for path in imported_files()}
    return {"python": _compiled.ext_suffix(), "mypyc": version("mypy"), "sources": sources}


def build(force: bool = False) -> str:
    """Compile HOT_MODULES into BUILD_DIR unless the build there matches them. Raises on
    failure (no compiler, no Python headers, no mypyc); simnet then runs pure Python."""
    wanted = fingerprint()
    if not force and MANIFEST.is_file():
        with contextlib.suppress(ValueError):
            if json.loads(MANIFEST.read_text()) == wanted:
                return f"simnet's compiled hot path is up to date ({BUILD_DIR})"
    from mypyc.build import mypycify
    from setuptools import Distribution  # type: ignore[import-untyped]
    from setuptools.command.build_ext import build_ext  # type: ignore[import-untyped]

    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    MANIFEST.unlink(missing_ok=True)  # without a manifest nothing loads while it is rebuilt
    work = Path(tempfile.mkdtemp(prefix="work-", dir=BUILD_DIR))
    cwd, log = Path.cwd(), io.StringIO()
    try:
        os.chdir(ROOT)  # mypyc takes the mypy config (pyproject.toml) and the paths from here
        with contextlib.redirect_stdout(log):
            extensions = mypycify(
                _compiled.hot_paths(), opt_level="3", group_name=GROUP, target_dir=str(work / "c")
            )
            command = build_ext(Distribution({"name": GROUP, "ext_modules": extensions}))
            command.build_lib = str(work / "lib")
            command.build_temp = str(work / "tmp")
            command.ensure_finalized()
            command.run()
    except BaseException:
        sys.stderr.write(log.getvalue())
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        os.chdir(cwd)
    shutil.rmtree(LIB, ignore_errors=True)
    (work / "lib").rename(LIB)
    shutil.rmtree(work, ignore_errors=True)
    # the hashes read before compiling: a source edited meanwhile leaves the build stale
    MANIFEST.write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n")
    return f"simnet's hot path compiled: {len(HOT_MODULES)} modules in {BUILD_DIR}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simnet._compile", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=["build", "status", "clean"])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    if args.action == "status":
        now = _compiled.status()
        print(now.describe())
        return 0 if now.compiled else 1
    if args.action == "clean":
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
        print(f"removed {BUILD_DIR}: simnet runs pure Python")
        return 0
    try:
        print(build(args.force))
    except (Exception, SystemExit) as exc:  # mypyc exits on a module it refuses
        print(f"simnet's hot path not compiled ({exc!r}): simnet runs pure Python", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
