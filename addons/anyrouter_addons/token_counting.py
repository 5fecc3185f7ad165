"""A client's count-tokens route (`POST /v1/messages/count_tokens`) in front of an upstream
whose protocol has no such endpoint (`Protocol.counts_tokens`: OpenAI-compatible ones).

The request goes to the upstream first: some OpenAI-compatible servers (llama.cpp) count
Anthropic requests themselves. When the upstream has no such endpoint, the proxy answers
with an estimate that errs high (`Protocol.estimate_input_tokens`), marked by a header.

A Gemini client's `:countTokens` is read by no other protocol's upstream: in front of one it
is answered with the estimate at once, without asking.
"""

from __future__ import annotations

from mitmproxy import ctx, http

from anyrouter_core.errors import ProxyError
from anyrouter_core.protocols import Protocol, protocol_named
from anyrouter_core.routes import RouteKind

from .flow_state import request_json, route_of, state_of
from .responses import answer_locally, error_response, json_response
from .phases import Phase

# What an upstream without the endpoint answers.
_NOT_SUPPORTED = frozenset({404, 405, 501})
ESTIMATE_HEADER = "anyrouter-token-count"


class TokenCounting:
    phase = Phase.TRANSLATE

    def request(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        route = route_of(flow)
        if flow.response is not None or route.kind is not RouteKind.COUNT_TOKENS:
            return
        client = protocol_named(route.client_protocol)
        if client.model_in_path and state.upstream_protocol != client.name:
            answer_locally(flow, self.estimate(flow, client))

    def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        route = route_of(flow)
        if route.kind is not RouteKind.COUNT_TOKENS or response is None:
            return
        if protocol_named(state_of(flow).upstream_protocol).counts_tokens or state_of(flow).local:
            return
        if response.status_code not in _NOT_SUPPORTED:
            return
        client = protocol_named(route.client_protocol)
        if client.estimate_input_tokens is not None:
            flow.response = self.estimate(flow, client)

    @staticmethod
    def estimate(flow: http.HTTPFlow, client: Protocol) -> http.Response:
        """The client's count-tokens answer with the estimate, or its error for a bad body."""
        body = request_json(flow)
        if not isinstance(body, dict):
            error = ProxyError(400, f"the request body must be a JSON object ({client.request_noun})")
            return error_response(client.name, error)
        state_of(flow).token_count = "estimate"
        return json_response(
            200, {client.count_field: client.estimate_input_tokens(body)}, {ESTIMATE_HEADER: "estimate"}
        )
