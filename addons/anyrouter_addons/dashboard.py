"""The dashboard: `GET /dashboard` serves one self-contained page, `GET /dashboard/data` the
JSON it reads, and a browser's `GET /` is sent to the page.

The page (`dashboard.html`, read once at load) carries its own CSS, script and SVG charts, and
fetches nothing but `/dashboard/data` on the same origin; its Content-Security-Policy holds it
to that. It holds no data, so it is never protected; the data is, by `access_tokens` when they
are set (the page then asks for a token and sends it as `Authorization: Bearer`).

The data comes from a usage source with `dashboard(now) -> dict` (the shape the page renders:
totals, percentiles, per-minute and per-hour points, breakdowns, recent requests and errors),
asked off the event loop; the key health beside it comes from the key pools, by fingerprint.

`/` is the upstream's for every client but a browser asking for a page: API clients (and the
`HEAD /` probe Claude Code sends first) still pass through.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Protocol

from mitmproxy import http

from anyrouter_core.errors import ProxyError
from anyrouter_core.routes import Route

from .flow_state import route_of
from .key_rotation import KeyRotation, protocol_for
from .phases import Phase
from .responses import answer_locally, error_response, json_response

PAGE_FILE = Path(__file__).with_name("dashboard.html")
DATA_PATH = "/dashboard/data"
PAGE_PATH = "/dashboard"

# The page runs its own inline script and style and talks to its own origin only: no other
# script, style, font, image (but the data: icon), frame or form target can load.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


class UsageSource(Protocol):
    def dashboard(self, now: float) -> dict: ...


def wants_page(request: http.Request) -> bool:
    """A browser opening the proxy's root: `GET /` that accepts HTML."""
    return (
        request.method.upper() == "GET"
        and request.path == "/"
        and "text/html" in request.headers.get("accept", "").lower()
    )


def key_health(keys: dict[str, dict]) -> list[dict]:
    """The key pools' stats (`KeyPools.snapshot(now)["keys"]`, by fingerprint) as the page's
    rows: healthy unless cooling, for how long, and the last error."""
    return [
        {
            "label": label,
            "healthy": not stats["cooling_for_s"],
            "cooling_s": stats["cooling_for_s"],
            "last_error": stats["last_error"],
        }
        for label, stats in keys.items()
    ]


class Dashboard:
    phase = Phase.CHECK

    def __init__(self, keys: KeyRotation, usage: UsageSource) -> None:
        self.keys = keys
        self.usage = usage
        self.page = PAGE_FILE.read_bytes()

    def request(self, flow: http.HTTPFlow):
        """A coroutine only for the data, which is read off the event loop."""
        if flow.response:
            return None
        route = route_of(flow)
        if route is Route.DASHBOARD:
            answer_locally(flow, self.page_response(flow.request.method))
        elif route is Route.DASHBOARD_DATA:
            return self.answer_data(flow)
        elif route is Route.PASSTHROUGH and wants_page(flow.request):
            answer_locally(flow, http.Response.make(302, b"", {"location": PAGE_PATH, "cache-control": "no-cache"}))
        return None

    def page_response(self, method: str) -> http.Response:
        response = http.Response.make(200, self.page, _PAGE_HEADERS)
        if method.upper() == "HEAD":
            response.content = b""
            response.headers["content-length"] = str(len(self.page))
        return response

    async def answer_data(self, flow: http.HTTPFlow) -> None:
        if not self.keys.token_presented(flow):
            error = ProxyError(401, "a valid access token is required (Authorization: Bearer)")
            answer_locally(flow, error_response(protocol_for(flow), error))
            return
        answer_locally(flow, json_response(200, await self.data(), {"cache-control": "no-store"}))

    async def data(self) -> dict:
        now = time.time()
        body = await asyncio.to_thread(self.usage.dashboard, now)
        body["keys"] = key_health(self.keys.pools.snapshot(now)["keys"])
        return body
