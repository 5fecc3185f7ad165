"""Header handling every forwarded flow needs: hop-by-hop headers, and no compressed SSE."""

from __future__ import annotations

from mitmproxy import http

from anyrouter_core.hop_headers import asks_for_upgrade, without_hop_by_hop

from .flow_state import route_of
from .phases import Phase


def _drop_hop_by_hop(headers: http.Headers, keep_upgrade: bool) -> None:
    kept = without_hop_by_hop(headers.fields, keep_upgrade)
    if kept is not None:
        headers.fields = kept


class HeaderHygiene:
    phase = Phase.ARRIVE

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        headers = flow.request.headers
        _drop_hop_by_hop(headers, keep_upgrade=asks_for_upgrade(headers.fields))
        if route_of(flow).client_protocol or "text/event-stream" in headers.get("accept", ""):
            # A compressed event stream cannot be read (or translated) event by event.
            headers["accept-encoding"] = "identity"

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        keep_upgrade = flow.response.status_code == 101
        _drop_hop_by_hop(flow.response.headers, keep_upgrade=keep_upgrade)
