"""Decides, from method and path, which protocol a client speaks and where the flow goes."""

from __future__ import annotations

from mitmproxy import ctx, exceptions, http

from anyrouter_core.protocols import DEFAULT_UPSTREAM, PROTOCOLS, classify

from anyrouter_core.body_scan import scanned_model, scanned_stream

from .flow_state import state_of
from .phases import Phase


class Routing:
    phase = Phase.CLASSIFY

    def load(self, loader) -> None:
        loader.add_option(
            "upstream_protocol",
            str,
            DEFAULT_UPSTREAM,
            "Protocol the upstream speaks: 'anthropic' (Messages API), 'openai' (Chat "
            "Completions) or 'responses' (OpenAI Responses API). Clients of another protocol are "
            "translated.",
            choices=tuple(PROTOCOLS),
        )

    def __init__(self) -> None:
        self.upstream_protocol = DEFAULT_UPSTREAM

    def configure(self, updated: set[str]) -> None:
        # Read here only: every other step finds the upstream's protocol in the flow's state.
        if "upstream_protocol" in updated:
            if ctx.options.upstream_protocol not in PROTOCOLS:
                raise exceptions.OptionsError(
                    f"upstream_protocol must be one of {', '.join(PROTOCOLS)}, "
                    f"not {ctx.options.upstream_protocol!r}"
                )
            self.upstream_protocol = ctx.options.upstream_protocol

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        route = classify(flow.request.method, flow.request.path)
        state = state_of(flow)
        state.route = route
        state.upstream_protocol = self.upstream_protocol
        if route.client_protocol:
            state.client_protocol = route.client_protocol

    def request(self, flow: http.HTTPFlow) -> None:
        state = state_of(flow)
        if state.client_protocol is None:
            return
        # Scanned, not parsed: a body passed through is never parsed just for the log line.
        content = flow.request.get_content(strict=False) or b""
        state.model = scanned_model(content)
        state.stream = scanned_stream(content)

    def has_fallback(self, flow: http.HTTPFlow) -> bool:
        return False

    def take_fallback(self, flow: http.HTTPFlow) -> None:
        raise NotImplementedError

    def record_attempt(self, flow: http.HTTPFlow) -> None:
        pass

    @staticmethod
    def upstream_label(state) -> str:
        return state.upstream or "upstream"
