"""Upstream errors reach the client in its own protocol's error shape, never as HTML."""

from __future__ import annotations

import json

from mitmproxy import http

from anyrouter_core.errors import ANTHROPIC, parse_upstream_error, render_error

from .flow_state import state_of
from .responses import replace_json_body
from .phases import Phase


def already_in_shape(protocol: str, content: bytes) -> bool:
    try:
        body = json.loads(content)
    except ValueError:
        return False
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return False
    return body.get("type") == "error" if protocol == ANTHROPIC else "message" in body["error"]


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
            status, body = render_error(client, error)
            replace_json_body(response, status, body)
