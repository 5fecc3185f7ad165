"""Upstream errors reach the client in its own protocol's error shape, never as HTML."""

from __future__ import annotations

import json

from mitmproxy import http

from anyrouter_core.errors import parse_upstream_error
from anyrouter_core.protocols import protocol_named

from .flow_state import state_of
from .responses import replace_json_body
from .phases import Phase


def already_in_shape(protocol: str, content: bytes) -> bool:
    """Whether `content` is an error in `protocol`'s shape already (then it passes unchanged)."""
    try:
        body = json.loads(content)
    except ValueError:
        return False
    return protocol_named(protocol).codec.is_error_body(body)


class UpstreamErrors:
    phase = Phase.OUTCOME

    def response(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        client = state.client_protocol
        response = flow.response
        if client is None or response is None or response.status_code < 400 or state.local:
            return
        content = response.get_content(strict=False) or b""
        error = parse_upstream_error(response.status_code, response.headers.get("content-type", ""), content)
        state.upstream_error = error.message
        translated = client != state.upstream_protocol
        if translated or not already_in_shape(client, content):
            status, body = protocol_named(client).codec.render_error(error)
            replace_json_body(response, status, body)
