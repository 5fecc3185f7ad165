"""Errors on paths anyrouter passes through still reach API clients as JSON they can read.

A path anyrouter does not know (`/v1/embeddings`, `/v1/files/…`, a typo) goes to the upstream
unchanged, method, headers and body, so that whatever the upstream offers keeps working. Its
answer is passed back unchanged too, except an error sent to an API client: an upstream's
HTML page (a gateway, a WAF), plain text, or a JSON error in another protocol's shape becomes
an error in the client's own protocol, status kept. An API client is a request that carries a
header marking a protocol's clients (`Protocol.client_marks`: `x-api-key` or
`anthropic-version` for Anthropic, as its SDKs and Claude Code send; `Authorization` for
OpenAI). Browsers and other clients get the upstream's answer as it is.
"""

from __future__ import annotations

from mitmproxy import http

from anyrouter_core.errors import parse_upstream_error
from anyrouter_core.protocols import client_protocol_of, protocol_named
from anyrouter_core.routes import Route

from .flow_state import route_of, state_of
from .responses import replace_json_body
from .upstream_errors import already_in_shape
from .phases import Phase

class PassthroughErrors:
    phase = Phase.OUTCOME

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        # Read before any addon swaps the client's key header for the upstream's.
        if route_of(flow) is Route.PASSTHROUGH:
            protocol = client_protocol_of(flow.request.headers)
            if protocol:
                state_of(flow).error_shape = protocol

    def response(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        protocol = state.error_shape
        response = flow.response
        if protocol is None or response is None or state.local or response.status_code < 400:
            return
        if flow.request.method.upper() == "HEAD" or response.stream:
            return  # no body to rewrite
        content = response.get_content(strict=False) or b""
        if already_in_shape(protocol, content):
            return
        error = parse_upstream_error(response.status_code, response.headers.get("content-type", ""), content)
        state.upstream_error = error.message
        status, body = protocol_named(protocol).codec.render_error(error)
        replace_json_body(response, status, body)
