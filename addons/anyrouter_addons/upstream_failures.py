"""How a client hears that the upstream failed: in its own protocol, never HTML, never a cut.

When the upstream cannot be reached, or breaks off in the middle of a stream, mitmproxy
answers the client itself, without asking any addon: an HTML 502 page, or a connection closed
in the middle of a body (and a response set in the `error` hook is ignored). So this addon
prepares, in the `error` hook, what the client should get instead, and mitmproxy's HTTP/1
server sends it in place of the page or the cut (`mitmproxy_compat.install_failure_endings`):
- nothing sent yet: a JSON error in the client's protocol (502, or 504 after `upstream_timeout`);
- a stream under way: its last events (a translated stream's own ending, which reports the
  truncation; for a passed-through stream an error event in the client's protocol), then the
  end of the chunked body.
Clients speaking HTTP/2 to the proxy keep mitmproxy's own behaviour.
"""

from __future__ import annotations

import json
import logging

from mitmproxy import http

from anyrouter_core.errors import ProxyError
from anyrouter_core.protocols import protocol_named

from .flow_state import state_of, state_of_request
from .key_rotation import protocol_for
from .mitmproxy_compat import ClientEnding, install_failure_endings, uninstall_failure_endings
from .phases import Phase

log = logging.getLogger("anyrouter")


def take_ending(request: http.Request) -> ClientEnding | None:
    state = state_of_request(request)
    if state is None:
        return None
    ending, state.ending = state.ending, None
    return ending


class UpstreamFailures:
    phase = Phase.OUTCOME

    def load(self, loader) -> None:
        install_failure_endings(take_ending)

    def done(self) -> None:
        uninstall_failure_endings()

    def error(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if flow.error is None or state.local:
            return
        protocol = protocol_for(flow)
        if state.timed_out:
            error = ProxyError(504, f"anyrouter: {state.timed_out}", "timeout_error")
        else:
            error = ProxyError(502, f"anyrouter: the upstream failed: {flow.error.msg}")
        status, body = protocol_named(protocol).codec.render_error(error)
        # Like mitmproxy's own error page: the connection closes after it, and says so.
        headers = {"content-type": "application/json", "connection": "close"}
        whole = http.Response.make(status, json.dumps(body, ensure_ascii=False), headers)
        state.ending = ClientEnding(whole, self.last_events(flow, protocol, error))

    @staticmethod
    def last_events(flow: http.HTTPFlow, protocol: str, error: ProxyError) -> bytes:
        response = flow.response
        if response is None or not response.stream:
            return b""
        if (framer := state_of(flow).array_framer) is not None:
            return framer.fail(error)  # the array closed with the error as its last element
        if state_of(flow).translation and callable(response.stream):
            # A translator's own ending: it reports a stream that stopped before its end.
            ending = response.stream(b"")
            return b"".join(ending) if isinstance(ending, list) else ending
        return protocol_named(protocol).codec.error_event(error)
