"""``studyllm serve`` in a real headless Chromium: locked by its token, offline, answers stored,
two tabs on one home. Skipped when the serve extra or Chromium is missing."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

aiohttp = pytest.importorskip("aiohttp")
pytest.importorskip("textual_serve")

from browser_driver import CHROMIUM, Browser, Tab  # noqa: E402 - after the importorskip of its dependency

needs_browser = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str, home: Path) -> None:
        self.proc, self.url, self.home = proc, url, home
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.token = url.split("token=", 1)[1]

    def answers(self) -> list[tuple[str, int]]:
        db = self.home / "studyllm.db"
        with sqlite3.connect(db) as conn:
            return [(str(uid), int(grade)) for uid, grade in conn.execute("SELECT card_uid, grade FROM review_log")]


def _wait_listening(proc: subprocess.Popen[str], url: str, deadline: float) -> None:
    """The address is printed just before the server binds its socket: wait until it accepts
    (on a loaded machine the first request otherwise meets a refused connection)."""
    parts = urlsplit(url)
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"studyllm serve never accepted a connection: {proc.communicate()[1][-2000:]}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    home = tmp_path / "home"
    env = {**os.environ, "STUDYLLM_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "studyllm", "serve", "--port", str(_free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    url = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        if found:
            url = found.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail(f"studyllm serve printed no address: {proc.communicate()[1][-2000:]}")
    _wait_listening(proc, url, deadline)
    try:
        yield Served(proc, url, home)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_refuses_requests_without_the_token(served: Served) -> None:
    async def check() -> None:
        # unsafe=True: aiohttp keeps no cookie from a bare IP address otherwise (browsers do)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            for path in ("/", "/?token=wrong", "/static/js/textual.js", "/ws", "/ws/wrong", "/download/x"):
                async with http.get(served.origin + path) as r:
                    assert r.status == 403, path
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(served.origin + "/ws/not-the-token?width=80&height=24")
            assert refused.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(served.origin + "/ws?width=80&height=24")
            assert refused.value.status == 403
            async with http.get(served.url) as r:
                assert r.status == 200
                page = await r.text()
            assert "fonts.googleapis" not in page and "https://" not in page and "http://" not in page
            # the page's cookie lets it fetch the bundled files
            async with http.get(served.origin + "/static/js/textual.js") as r:
                assert r.status == 200

    asyncio.run(check())


def test_non_localhost_needs_the_explicit_flag(tmp_path: Path) -> None:
    env = {**os.environ, "STUDYLLM_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "studyllm", "serve", "--host", "0.0.0.0", "--port", "1"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert "--allow-remote" in out.stderr and "trusted network" in out.stderr


async def _study_one(tab: Tab, served: Served, before: int) -> None:
    await tab.wait_for("document.body.classList.contains('-first-byte')", timeout=30)
    await asyncio.sleep(3)  # the home screen is drawn after the first bytes
    await tab.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
    for key in ("s", " ", "4"):
        await tab.key(key)
        await asyncio.sleep(1.0)
    deadline = time.monotonic() + 20
    while len(served.answers()) <= before:
        if time.monotonic() > deadline:
            await tab.screenshot(served.home.parent / "failed.png")
            pytest.fail(f"the answer did not reach the database (screen: {served.home.parent / 'failed.png'})")
        await asyncio.sleep(0.2)


@needs_browser
def test_study_a_card_in_the_browser_offline(served: Served, tmp_path: Path) -> None:
    async def run() -> list[str]:
        browser = Browser()
        await browser.start()
        try:
            tab = await browser.tab(served.url)
            await _study_one(tab, served, 0)
            await tab.screenshot(tmp_path / "serve.png")
            return tab.requested_urls()
        finally:
            await browser.close()

    urls = asyncio.run(run())
    answers = served.answers()
    assert len(answers) == 1 and answers[0][1] == 4
    assert (tmp_path / "serve.png").stat().st_size > 5000
    assert any("/static/js/textual.js" in u for u in urls) and any("/ws/" in u for u in urls)
    assert any("/static/fonts/" in u for u in urls), "the bundled font is used"
    outside = [u for u in urls if not u.startswith(served.origin.replace("http", "ws")) and
               not u.startswith(served.origin) and not u.startswith(("data:", "about:"))]
    assert outside == [], f"requests left the machine: {outside}"


@needs_browser
def test_two_tabs_are_two_apps_on_one_home(served: Served) -> None:
    async def run() -> None:
        browser = Browser()
        await browser.start()
        try:
            first = await browser.tab(served.url)
            second = await browser.tab(served.url)
            await _study_one(first, served, 0)
            await _study_one(second, served, 1)
        finally:
            await browser.close()

    asyncio.run(run())
    answers = served.answers()
    assert len(answers) == 2 and {g for _, g in answers} == {4}


@needs_browser
def test_study_at_a_phone_width(served: Served, tmp_path: Path) -> None:
    """A 400-pixel-wide viewport gives the app 40-50 columns; the study keys still work there."""
    async def run() -> list[str]:
        browser = Browser()
        await browser.start(400, 760)
        try:
            tab = await browser.tab(served.url, 400, 760)
            await _study_one(tab, served, 0)
            await tab.screenshot(tmp_path / "phone.png")
            return tab.requested_urls()
        finally:
            await browser.close()

    urls = asyncio.run(run())
    widths = [int(m.group(1)) for u in urls if (m := re.search(r"/ws/.*[?&]width=(\d+)", u))]
    assert widths and all(30 <= w <= 50 for w in widths), widths
    assert served.answers()[0][1] == 4
