"""A headless Chromium page driven over the DevTools protocol, for UI tests (no extra packages:
aiohttp speaks the protocol's WebSocket). Chromium comes from Debian (`make test` installs it).
"""

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]


class Page:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        await self._ws.send_str(json.dumps({"id": call_id, "method": method, "params": params}))
        async for message in self._ws:
            data = json.loads(message.data)
            if data.get("id") == call_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                result: dict[str, Any] = data.get("result", {})
                return result
        raise RuntimeError(f"{method}: the browser closed the connection")

    async def evaluate(self, expression: str) -> Any:
        answer = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def wait_for_text(self, text: str, timeout_s: float) -> str:
        """The page's visible text once it contains `text` (TimeoutError otherwise)."""
        async with asyncio.timeout(timeout_s):
            while True:
                body = await self.evaluate("document.body ? document.body.innerText : ''")
                if isinstance(body, str) and text in body:
                    return body
                await asyncio.sleep(0.5)

    async def click_button(self, label: str) -> bool:
        script = (
            "(() => { const b = [...document.querySelectorAll('button')]"
            f".find(e => e.innerText.trim() === {json.dumps(label)});"
            " if (b) { b.click(); return true } return false })()"
        )
        return bool(await self.evaluate(script))

    async def screenshot(self) -> bytes:
        """The whole page as PNG bytes."""
        shot = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(shot["data"])


@asynccontextmanager
async def open_page(url: str, width: int = 1600, height: int = 1400) -> AsyncIterator[Page]:
    assert CHROMIUM, "no chromium on PATH: `make test` installs Debian's chromium"
    with tempfile.TemporaryDirectory() as profile:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stderr is not None
            port = None
            async with asyncio.timeout(30):
                while port is None:
                    line = (await proc.stderr.readline()).decode(errors="replace")
                    assert line, "chromium exited before opening its DevTools port"
                    found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
                    port = int(found.group(1)) if found else None
            async with aiohttp.ClientSession() as http:
                async with http.put(f"http://127.0.0.1:{port}/json/new?{url}") as answer:
                    target = await answer.json()
                async with http.ws_connect(
                    target["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024
                ) as ws:
                    page = Page(ws)
                    await page.call("Page.enable")
                    await page.call(
                        "Emulation.setDeviceMetricsOverride",
                        width=width,
                        height=height,
                        deviceScaleFactor=1,
                        mobile=False,
                    )
                    yield page
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
