"""A textual-serve server that refuses every request without the session token and serves a page
that loads only files shipped with textual-serve (xterm.js, its CSS, the Roboto Mono font).

Each websocket (each browser tab) starts its own ``studyllm`` process on the same home; the store's
locking and the study screen's stale-card guard keep two tabs' answers apart.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

TEMPLATES = Path(__file__).resolve().parent / "templates"
COOKIE = "studyllm_token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_token() -> str:
    """A fresh random token (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LockedServer(Server):
    """textual-serve's server with a token check on every route and an offline page."""

    def __init__(self, command: str, *, host: str, port: int, token: str, title: str = "studyllm",
                 on_start: Callable[[], None] | None = None) -> None:
        super().__init__(command, host=host, port=port, title=title, templates_path=TEMPLATES)
        self.token = token
        self._on_start = on_start

    # --- the lock --------------------------------------------------------------------------
    def _has_token(self, request: web.Request) -> bool:
        given = [request.match_info.get("token", ""), request.query.get("token", ""),
                 request.cookies.get(COOKIE, "")]
        return any(g and hmac.compare_digest(g.encode(), self.token.encode()) for g in given)

    @web.middleware
    async def _lock(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._has_token(request):
            return web.Response(status=403, text="403 Forbidden: open the address with ?token=… that "
                                "`studyllm serve` printed.\n")
        response = await handler(request)
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._lock])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path), autoescape=True)
        app.add_routes([
            web.get("/", self.handle_page, name="index"),
            # the token is in the websocket's path: textual.js appends its own ``?width=…&height=…``
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.get("/download/{key}", self.handle_download, name="download"),
            web.static("/static", self.statics_path, show_index=False, name="static"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    # --- the page ------------------------------------------------------------------------------
    async def handle_page(self, request: web.Request) -> web.Response:
        """The page, with relative URLs so it works under any address the browser used (a phone
        on the network, a TLS proxy): the websocket URL is made in the page from its location."""
        try:
            font_size = max(6, min(48, int(request.query.get("fontsize", "16"))))
        except ValueError:
            font_size = 16
        context = {"font_size": font_size, "title": self.title, "token": self.token}
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.headers["Cache-Control"] = "no-store"
        # the static files and the download links are fetched without the token in their URL
        response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    # --- quiet start: the CLI prints the address (through its sanitiser); no access log with tokens
    def initialize_logging(self) -> None:
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        if self._on_start is not None:
            self._on_start()
