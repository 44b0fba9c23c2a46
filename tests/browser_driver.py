"""A small headless-Chromium driver for the serve tests: the Chrome DevTools Protocol over a
websocket (aiohttp's client, which the serve extra brings). No browser is downloaded: it runs
Debian's ``chromium``."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         "--disable-extensions", "--remote-debugging-port=0"]


class Browser:
    """One Chromium process; :meth:`tab` opens a page session on it."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="studyllm-chromium-")
        self.proc: subprocess.Popen[str] | None = None
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []  # every event, with its sessionId
        self._reader: asyncio.Task[None] | None = None

    async def start(self, width: int = 900, height: int = 640) -> None:
        assert CHROMIUM is not None
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        url = None
        loop = asyncio.get_running_loop()
        for _ in range(200):
            line = await loop.run_in_executor(None, self.proc.stderr.readline)
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                url = found.group(1)
                break
            if not line and self.proc.poll() is not None:
                break
        assert url, "chromium did not start its DevTools endpoint"
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(url, max_msg_size=0)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self._waiting:
                self._waiting.pop(data["id"]).set_result(data)
            elif "method" in data:
                self.events.append(data)

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
                   timeout: float = 30) -> dict[str, Any]:
        assert self.ws is not None
        n = next(self._ids)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[n] = fut
        msg: dict[str, Any] = {"id": n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        await self.ws.send_str(json.dumps(msg))
        reply = await asyncio.wait_for(fut, timeout)
        assert "error" not in reply, f"{method}: {reply['error']}"
        return reply.get("result", {})

    async def tab(self, url: str, width: int = 900, height: int = 640) -> Tab:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        tab = Tab(self, attached["sessionId"])
        await tab.send("Network.enable")
        await tab.send("Page.enable")
        await tab.send("Emulation.setDeviceMetricsOverride",
                       {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        await tab.send("Page.navigate", {"url": url})
        return tab

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, self.session)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 20) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not await self.evaluate(expression):
            assert loop.time() < end, f"timed out waiting for {expression}"
            await asyncio.sleep(0.1)

    async def key(self, text: str) -> None:
        """Type one key as a person would (key down with its text, key up)."""
        code = {" ": "Space"}.get(text, f"Key{text.upper()}" if text.isalpha() else f"Digit{text}")
        key = {"key": text, "code": code, "text": text, "unmodifiedText": text}
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", **key})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": text, "code": code})

    async def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent",
                            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        path.write_bytes(base64.b64decode(shot["data"]))

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for: HTTP requests and websockets."""
        mine = [e for e in self.browser.events if e.get("sessionId") == self.session]
        return ([e["params"]["request"]["url"] for e in mine if e["method"] == "Network.requestWillBeSent"]
                + [e["params"]["url"] for e in mine if e["method"] == "Network.webSocketCreated"])
