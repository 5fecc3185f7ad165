"""The tokens of every answer an upstream gave, on the flow: `FlowState.usage`, from the
upstream's own usage fields (`anyrouter_core.usage_meter` reads them through the codecs).

Metered: the conversation and count-tokens routes of every protocol, translated or passed
through, whatever upstream answered (the last attempt's answer: another attempt starts with no
usage). Not metered: answers the proxy made itself, paths of no protocol, error answers.

Where the usage is read:
- A stream, as it passes: in `responseheaders` the stream callable that earlier steps
  installed (a translator, a model renamer, `True` for a stream passed through, the timeout
  watch) is wrapped, so that the meter reads the upstream's bytes first and the inner
  callable still gets them unchanged. The usage is updated as usage events arrive, so a
  stream that breaks off keeps what it reported before.
- A finished answer that `Translation` replaces (translated, or made into a stream for a
  client that asked for one): `Translation` reads its usage before it replaces it
  (`note_answer_usage`), since here the body is not the upstream's any more.
- Any other finished answer: its body, in `response`, as JSON, or as a whole event stream
  (an answer that was not streamed live).
- A count-tokens answer: its input count; the proxy's own estimate (`TokenCounting`) is
  marked `"estimated": True`.
"""

from __future__ import annotations

import json
import logging

from mitmproxy import http

from anyrouter_core.neutral import Usage
from anyrouter_core.routes import RouteKind
from anyrouter_core.usage_meter import (
    StreamUsage,
    usage_dict,
    usage_of_answer,
    usage_of_stream_body,
    usage_of_token_count,
)

from .flow_state import FlowState, route_of, state_of
from .phases import Phase
from .streaming import EventSizeLimit, is_event_stream

log = logging.getLogger("anyrouter")

_METERED_KINDS = (RouteKind.CONVERSATION, RouteKind.COUNT_TOKENS)
# `FlowState.meter` once a step that replaced the answer's body has read its usage.
_ANSWER_READ = "answer read"


def note_answer_usage(flow: http.HTTPFlow, usage: Usage | None) -> None:
    """For a step about to replace an upstream's finished answer: the usage it read from it."""
    state = state_of(flow)
    state.usage = usage_dict(usage)
    state.meter = _ANSWER_READ


def is_metered(flow: http.HTTPFlow) -> bool:
    route = route_of(flow)
    return route.client_protocol is not None and route.kind in _METERED_KINDS and not state_of(flow).local


def metering_stream(state: FlowState, meter: StreamUsage, inner):
    """The stream callable that shows each piece to `meter`, then hands it to `inner` (a
    callable, or `True`: passed on as it came)."""
    broken = False

    def stream(piece: bytes):
        nonlocal broken
        if not broken:
            try:
                if meter.feed(piece) if piece else meter.end():
                    state.usage = usage_dict(meter.usage)
            except Exception:  # a meter bug must never cost the client its stream
                log.exception("anyrouter: could not read the usage of a stream")
                broken = True
        return inner(piece) if callable(inner) else piece

    return stream


class UsageMeter:
    phase = Phase.METER

    def __init__(self, event_limit: EventSizeLimit) -> None:
        self.event_limit = event_limit  # its max_bytes bounds what a stream meter holds

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        assert response
        state = state_of(flow)
        upstream_streams = is_event_stream(response) or state.upstream_event_stream
        if not response.stream or not upstream_streams or not is_metered(flow):
            return
        meter = StreamUsage(state.upstream_protocol, self.event_limit.max_bytes)
        state.meter = meter
        response.stream = metering_stream(state, meter, response.stream)

    def response(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        state = state_of(flow)
        if response is None or state.meter is not None or response.stream or not is_metered(flow):
            return  # read already (a stream, or by Translation), or not metered
        if response.status_code >= 400:
            return
        try:
            state.usage = self.usage_of_body(flow)
        except Exception:  # a meter bug must not cost the flow its other steps
            log.exception("anyrouter: could not read the usage of an answer")

    def usage_of_body(self, flow: http.HTTPFlow) -> dict | None:
        response = flow.response
        assert response
        state = state_of(flow)
        content = response.get_content(strict=False) or b""
        if route_of(flow).kind is RouteKind.COUNT_TOKENS:
            # The answer is in the client's protocol: the path was not translated.
            usage = usage_of_token_count(route_of(flow).client_protocol, _json_or_none(content))
            return usage_dict(usage, estimated=state.token_count == "estimate")
        if is_event_stream(response):
            return usage_dict(usage_of_stream_body(state.upstream_protocol, content, self.event_limit.max_bytes))
        if b'"usage"' not in content:
            return None  # nothing to parse for
        return usage_dict(usage_of_answer(state.upstream_protocol, _json_or_none(content)))


def _json_or_none(content: bytes) -> object:
    try:
        return json.loads(content)
    except ValueError:
        return None
