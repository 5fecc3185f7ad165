"""Header handling every forwarded flow needs: hop-by-hop headers, and no compressed SSE."""

from __future__ import annotations

from mitmproxy import http

from anyrouter_core.hop_headers import hop_by_hop_names, is_upgrade_request

from .flow_state import route_of
from .phases import Phase


def _drop_hop_by_hop(headers: http.Headers, keep_upgrade: bool) -> None:
    names = hop_by_hop_names(headers.get_all("connection"))
    if keep_upgrade:
        names -= {"connection", "upgrade"}
    for name in names:
        if name in headers:
            del headers[name]


class HeaderHygiene:
    phase = Phase.ARRIVE

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        headers = flow.request.headers
        upgrade = is_upgrade_request(headers.get_all("connection"), headers.get("upgrade"))
        _drop_hop_by_hop(headers, keep_upgrade=upgrade)
        if route_of(flow).client_protocol or "text/event-stream" in headers.get("accept", ""):
            # A compressed event stream cannot be read (or translated) event by event.
            headers["accept-encoding"] = "identity"

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        keep_upgrade = flow.response.status_code == 101
        _drop_hop_by_hop(flow.response.headers, keep_upgrade=keep_upgrade)
