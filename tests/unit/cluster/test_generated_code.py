"""The committed botruntime/cluster/_pb/ is exactly what scripts/gen_proto.py makes of proto/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "botruntime" / "cluster" / "_pb"
# Lines that name the generator's own version: a newer grpcio-tools changes only these.
_VERSION_STAMP = re.compile(
    r"^(# Protobuf Python Version: .*|GRPC_GENERATED_VERSION = .*|    \d+,)$", re.MULTILINE
)


def _normalised(path: Path) -> str:
    return _VERSION_STAMP.sub("<version>", path.read_text(encoding="utf-8"))


def test_regenerating_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "_pb"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_proto.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    fresh = sorted(p.name for p in out.iterdir() if p.is_file())
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.is_file())
    assert fresh == committed, "run `.venv/bin/python scripts/gen_proto.py` and commit _pb/"
    stale = [name for name in fresh if _normalised(out / name) != _normalised(COMMITTED / name)]
    assert stale == [], f"{stale} differ from proto/: run scripts/gen_proto.py and commit _pb/"
    assert any(name.endswith(".pyi") for name in fresh), "the .pyi stubs must be generated"
