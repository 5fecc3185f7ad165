"""A client's stream that is one JSON array (`Exchange.array_stream`: Gemini's stream without
`alt=sse`), passed through to an upstream of its own protocol.

The proxy asks that upstream for an event stream instead (the codec's `lowered` path), so the
answer streams live, is metered and has its model renamed event by event like any other;
`ArrayStreams` then frames the events as the array the client asked for
(`anyrouter_core.codecs.array_stream.EventsAsArray`). Its stream callable runs after the one
an earlier step installed (the model renamer): the array is what leaves, the events are what
every other step sees. A translated flow's array is written by its stream encoder instead.
"""

from __future__ import annotations

from mitmproxy import http

from anyrouter_core.codecs.array_stream import ARRAY_CONTENT_TYPE, EventsAsArray
from anyrouter_core.protocols import protocol_named
from anyrouter_core.usage_meter import usage_of_stream_body

from .flow_state import state_of
from .phases import Phase
from .streaming import EventSizeLimit, is_successful_event_stream, note_stream_error, prepare_for_new_body
from .usage_meter import is_metered, note_answer_usage


def asks_for_an_array(flow: http.HTTPFlow) -> bool:
    state = state_of(flow)
    return state.client_array_stream and state.client_protocol == state.upstream_protocol


def framed_stream(flow: http.HTTPFlow, inner, framer: EventsAsArray):
    """The stream callable that hands each piece to `inner` (a callable, or `True`: as it came)
    and frames what comes out."""

    def stream(piece: bytes) -> bytes | list[bytes]:
        passed = inner(piece) if callable(inner) else piece
        events = b"".join(passed) if isinstance(passed, list) else passed
        framed = framer.feed(events) if piece else framer.feed(events) + framer.end()
        note_stream_error(flow, framer)
        # Mid-stream, b"" would end an HTTP/1 client's body: "nothing yet" is an empty list.
        return framed if framed or not piece else []

    return stream


class ArrayStreams:
    phase = Phase.STREAM  # after ModelMap (REWRITE), whose renamer it wraps; before the meter

    def __init__(self, event_limit: EventSizeLimit) -> None:
        self.event_limit = event_limit

    def framer(self, flow: http.HTTPFlow) -> EventsAsArray:
        render_error = protocol_named(state_of(flow).client_protocol).codec.render_error
        return EventsAsArray(render_error, self.event_limit.max_bytes)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        response = flow.response
        assert response
        if not asks_for_an_array(flow) or not is_successful_event_stream(response):
            return
        prepare_for_new_body(response)
        state = state_of(flow)
        state.array_framer = self.framer(flow)  # an upstream failure ends it too
        response.stream = framed_stream(flow, response.stream, state.array_framer)
        response.headers["content-type"] = ARRAY_CONTENT_TYPE
        state.upstream_event_stream = True  # the meter reads the events, not the array

    def response(self, flow: http.HTTPFlow) -> None:
        """A whole event stream (a retry's answer, not streamed live), framed at once."""
        response = flow.response
        if response is None or response.stream or not asks_for_an_array(flow) or not is_successful_event_stream(response):
            return
        content = response.get_content(strict=False) or b""
        if is_metered(flow):
            # Read before the body is replaced: the meter cannot read the array.
            usage = usage_of_stream_body(state_of(flow).upstream_protocol, content, self.event_limit.max_bytes)
            note_answer_usage(flow, usage)
        framer = self.framer(flow)
        response.headers.pop("content-encoding", None)
        response.content = framer.feed(content) + framer.end()
        response.headers["content-type"] = ARRAY_CONTENT_TYPE
        note_stream_error(flow, framer)
