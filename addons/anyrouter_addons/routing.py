"""Decides, from method and path, which protocol a client speaks and where the flow goes."""

from __future__ import annotations

from mitmproxy import ctx, exceptions, http

from anyrouter_core.errors import PROTOCOLS
from anyrouter_core.routes import classify

from .flow_state import request_json, state_of
from .phases import Phase


class Routing:
    phase = Phase.CLASSIFY

    def load(self, loader) -> None:
        loader.add_option(
            "upstream_protocol",
            str,
            "anthropic",
            "Protocol the upstream speaks: 'anthropic' (Messages API) or 'openai' (Chat "
            "Completions). Clients of the other protocol are translated.",
            choices=PROTOCOLS,
        )

    def configure(self, updated: set[str]) -> None:
        if "upstream_protocol" in updated and ctx.options.upstream_protocol not in PROTOCOLS:
            raise exceptions.OptionsError(
                f"upstream_protocol must be one of {', '.join(PROTOCOLS)}, "
                f"not {ctx.options.upstream_protocol!r}"
            )

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        route = classify(flow.request.method, flow.request.path)
        state = state_of(flow)
        state.route = route
        if route.client_protocol:
            state.client_protocol = route.client_protocol
            state.upstream_protocol = ctx.options.upstream_protocol

    def request(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if state.client_protocol is None:
            return
        body = request_json(flow)
        if isinstance(body, dict):
            if isinstance(body.get("model"), str):
                state.model = body["model"]
            state.stream = body.get("stream") is True
