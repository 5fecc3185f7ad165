"""`POST /v1/messages/count_tokens` in front of an OpenAI-compatible upstream.

The request goes to the upstream first: some OpenAI-compatible servers (llama.cpp) count
Anthropic requests themselves. When the upstream has no such endpoint, the proxy answers
with an estimate that errs high (`anyrouter_core.token_estimate`), marked by a header.
"""

from __future__ import annotations

from mitmproxy import ctx, http

from anyrouter_core.errors import ANTHROPIC, OPENAI, ProxyError
from anyrouter_core.routes import Route
from anyrouter_core.token_estimate import estimate_input_tokens

from .flow_state import request_json, route_of, state_of
from .responses import error_response, json_response
from .phases import Phase

# What an upstream without the endpoint answers.
_NOT_SUPPORTED = frozenset({404, 405, 501})
ESTIMATE_HEADER = "anyrouter-token-count"


class TokenCounting:
    phase = Phase.TRANSLATE

    def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        if route_of(flow) is not Route.ANTHROPIC_COUNT_TOKENS or response is None:
            return
        if ctx.options.upstream_protocol != OPENAI or state_of(flow).local:
            return
        if response.status_code not in _NOT_SUPPORTED:
            return
        body = request_json(flow)
        if not isinstance(body, dict):
            error = ProxyError(400, "the request body must be a JSON object (a Messages request)")
            flow.response = error_response(ANTHROPIC, error)
            return
        flow.response = json_response(
            200, {"input_tokens": estimate_input_tokens(body)}, {ESTIMATE_HEADER: "estimate"}
        )
        state_of(flow).token_count = "estimate"
