"""The dashboard: `GET /dashboard` serves one self-contained page, and a browser's `GET /` is
sent to it.

The page (`dashboard.html`, read once at load) carries its own CSS, script and SVG charts, and
fetches nothing but `/dashboard/data` (the usage log's JSON, served with `/stats`) on the same
origin; its Content-Security-Policy holds it to that. It holds no data, so it is never
protected; the data is, by `access_tokens` when they are set (the page then asks for a token,
keeps it in the tab's `sessionStorage` and sends it as `Authorization: Bearer`).

`/` is the upstream's for every client but a browser asking for a page: API clients (and the
`HEAD /` probe Claude Code sends first) still pass through.
"""

from __future__ import annotations

from pathlib import Path

from mitmproxy import http

from anyrouter_core.routes import Route

from .flow_state import route_of
from .phases import Phase
from .responses import answer_locally

PAGE_FILE = Path(__file__).with_name("dashboard.html")
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


def wants_page(request: http.Request) -> bool:
    """A browser opening the proxy's root: `GET /` that accepts HTML."""
    return (
        request.method.upper() == "GET"
        and request.path == "/"
        and "text/html" in request.headers.get("accept", "").lower()
    )


class Dashboard:
    phase = Phase.CHECK

    def __init__(self) -> None:
        self.page = PAGE_FILE.read_bytes()

    def request(self, flow: http.HTTPFlow) -> None:
        if flow.response:
            return
        route = route_of(flow)
        if route is Route.DASHBOARD:
            answer_locally(flow, self.page_response(flow.request.method))
        elif route is Route.PASSTHROUGH and wants_page(flow.request):
            answer_locally(flow, http.Response.make(302, b"", {"location": PAGE_PATH, "cache-control": "no-cache"}))

    def page_response(self, method: str) -> http.Response:
        response = http.Response.make(200, self.page, _PAGE_HEADERS)
        if method.upper() == "HEAD":
            response.content = b""
            response.headers["content-length"] = str(len(self.page))
        return response
