"""simnet's compiled hot path runs only while it matches its sources (simnet/_compiled.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest

from simnet import _compiled
from simnet._compile import fingerprint
from simnet._compiled import HOT_MODULES, LIB, MANIFEST, PURE_ENV, ROOT, ext_suffix, hot_paths


def ran_compiled() -> dict[str, bool]:
    return {m: str(import_module(m).__file__).endswith(ext_suffix()) for m in HOT_MODULES}


def run_status(root: Path, **env: str) -> dict[str, object]:
    """What a fresh process with `root` first on its path runs: the status and module files."""
    code = (
        "import json, sys, simnet._chain, simnet._gate\n"
        "from simnet import _compiled\n"
        "s = _compiled.status()\n"
        "print(json.dumps({'compiled': s.compiled, 'reason': s.reason,"
        " 'chain': simnet._chain.__file__, 'gate': simnet._gate.__file__}))\n"
    )
    path = os.pathsep.join([str(root), str(ROOT)])
    inherited = {k: v for k, v in os.environ.items() if k != PURE_ENV}  # a pure run's tests too
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**inherited, "PYTHONPATH": path, **env},
        cwd=root,  # `python -c` looks in its working directory first
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(json.loads(done.stdout))


def test_the_status_says_what_this_process_runs() -> None:
    status = _compiled.status()
    modules = ran_compiled()
    assert all(modules.values()) if status.compiled else not any(modules.values()), (
        status,
        modules,
    )


def test_a_build_is_stale_once_a_source_it_was_compiled_against_or_the_python_differs() -> None:
    manifest = fingerprint()
    sources = manifest["sources"]
    assert isinstance(sources, dict)
    assert set(hot_paths()) <= set(sources)
    # an uncompiled module the hot path imports counts too: its types and constants are in it
    assert "simnet/_params.py" in sources and "botruntime/chain/tx.py" in sources
    assert _compiled._stale(manifest) is None
    for path in ("simnet/_mempool.py", "simnet/_params.py"):
        edited = {**manifest, "sources": {**sources, path: "0" * 64}}
        reason = _compiled._stale(edited)
        assert reason is not None and f"{path} changed since the build" in reason
    without = {**manifest, "sources": {p: h for p, h in sources.items() if p != hot_paths()[0]}}
    assert f"{hot_paths()[0]} changed" in str(_compiled._stale(without))
    other = _compiled._stale({**manifest, "python": ".cpython-312-x86_64-linux-gnu.so"})
    assert other is not None and "another Python" in other
    assert "not a build's manifest" in str(_compiled._stale(["not", "a", "manifest"]))


def test_simnet_pure_runs_the_python_modules() -> None:
    ran = run_status(ROOT, SIMNET_PURE="1")
    assert ran["compiled"] is False and ran["reason"] == "SIMNET_PURE=1"
    assert str(ran["chain"]).endswith("_chain.py") and str(ran["gate"]).endswith("_gate.py")


def test_an_edited_source_runs_as_python_until_rebuilt(tmp_path: Path) -> None:
    if not MANIFEST.is_file():
        pytest.skip(f"simnet's hot path is not built here ({_compiled.status().reason})")
    for package in ("simnet", "botruntime"):
        shutil.copytree(ROOT / package, tmp_path / package)
    copy = tmp_path / "build" / "simnet-compiled"
    shutil.copytree(LIB, copy / "lib")
    shutil.copy(MANIFEST, copy / MANIFEST.name)
    assert run_status(tmp_path)["compiled"] is True  # the copy as built: compiled
    for path in ("simnet/_gate.py", "simnet/_params.py"):  # compiled, and compiled against
        file = tmp_path / path
        text = file.read_text()
        file.write_text(text + "\n# edited\n")
        ran = run_status(tmp_path)
        assert ran["compiled"] is False
        assert f"{path} changed since the build" in str(ran["reason"])
        # every module of the build runs as Python, not only the edited one
        assert str(ran["chain"]) == str(tmp_path / "simnet" / "_chain.py")
        assert str(ran["gate"]) == str(tmp_path / "simnet" / "_gate.py")
        file.write_text(text)
        assert run_status(tmp_path)["compiled"] is True  # as built again
