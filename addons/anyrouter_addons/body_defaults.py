"""Fills in request fields the upstream requires but a client may leave out.

Only for requests passed through in the upstream's own protocol: a translated request gets
them from the upstream's encoder.
"""

from __future__ import annotations

from mitmproxy import ctx, exceptions, http

from anyrouter_core.body_scan import mentions
from anyrouter_core.protocols import protocol_named
from anyrouter_core.routes import RouteKind

from .flow_state import mark_request_json_changed, request_json, route_of, state_of
from .phases import Phase


class BodyDefaults:
    phase = Phase.TRANSLATE

    def load(self, loader) -> None:
        loader.add_option(
            "default_max_tokens",
            int,
            8192,
            "max_tokens sent upstream when the client's request has none (Anthropic requires it).",
        )

    def __init__(self) -> None:
        self.default_max_tokens = 8192

    def configure(self, updated: set[str]) -> None:
        # Read here only: `Translation` takes the value from this step.
        if "default_max_tokens" in updated:
            if ctx.options.default_max_tokens < 1:
                raise exceptions.OptionsError(
                    f"default_max_tokens must be a positive whole number, not "
                    f"{ctx.options.default_max_tokens}"
                )
            self.default_max_tokens = ctx.options.default_max_tokens

    def request(self, flow: http.HTTPFlow) -> None:
        route = route_of(flow)
        if route.kind is not RouteKind.CONVERSATION or flow.response:
            return
        upstream = protocol_named(state_of(flow).upstream_protocol)
        if route.client_protocol != upstream.name or not upstream.requires_max_tokens:
            return
        if mentions(flow.request.get_content(strict=False) or b"", "max_tokens"):
            return  # almost always there: the body need not be parsed to know
        body = request_json(flow)
        if isinstance(body, dict) and "max_tokens" not in body:
            body["max_tokens"] = self.default_max_tokens
            mark_request_json_changed(flow)
