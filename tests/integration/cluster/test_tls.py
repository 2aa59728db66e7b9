"""With --tls-cert/--tls-key the coordinator speaks only TLS; a client trusting its CA gets in."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from botruntime.cluster import (
    ControlClient,
    CoordinatorUnavailable,
    ServerOptions,
    TlsFiles,
    serve_coordinator,
)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a cert"),
]
TOKEN = "tls-test-token-0123456789"


def _self_signed(directory: Path) -> TlsFiles:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=testbots",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return TlsFiles(cert=cert, key=key, ca=cert)


async def test_tls_coordinator_serves_clients_that_trust_its_ca(tmp_path: Path) -> None:
    tls = _self_signed(tmp_path)
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    options = ServerOptions(token=TOKEN, listen="127.0.0.1:0", tls=tls, drain_wait_s=0.0)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(serve_coordinator(options, stop, on_ready=ready.set_result), name="server")
        try:
            port = await asyncio.wait_for(ready, 10)
            async with ControlClient(f"127.0.0.1:{port}", TOKEN, tls=tls) as client:
                assert (await client.cluster()).workers == ()
            async with ControlClient(f"127.0.0.1:{port}", TOKEN, timeout_s=2) as plain:
                with pytest.raises(CoordinatorUnavailable) as refused:
                    await plain.cluster()
            assert refused.value.code == "UNAVAILABLE"
        finally:
            stop.set()
