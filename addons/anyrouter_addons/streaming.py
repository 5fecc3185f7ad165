"""Event streams leave the proxy as they arrive instead of after the whole body.

A stream that is translated or has its model renamed is decoded event by event; the decoder
holds at most `max_event_size` of one event (`EventSizeLimit`). A stream passed through
unchanged (`SSEPassthrough`) is never decoded: its pieces go on as they come, nothing is held.
"""

from __future__ import annotations

from collections.abc import Callable

from mitmproxy import http

from anyrouter_core.stream_translation import StreamTranslator
from anyrouter_core.sse import MAX_EVENT_SIZE

from .flow_state import state_of
from .request_checks import read_size_option
from .phases import Phase

DEFAULT_MAX_EVENT_SIZE = f"{MAX_EVENT_SIZE // 1024**2}m"


class EventSizeLimit:
    """The `max_event_size` option, read here only: the addons that create stream decoders
    (`Translation`, `ModelMap`) are given this object and pass `max_bytes` to each."""
    phase = Phase.TRANSLATE

    def __init__(self) -> None:
        self.max_bytes = MAX_EVENT_SIZE

    def load(self, loader) -> None:
        loader.add_option(
            "max_event_size",
            str,
            DEFAULT_MAX_EVENT_SIZE,
            "Largest upstream stream event (and line) held while a stream is translated or has "
            "its model renamed: bytes, or with a k, m or g suffix; 0 for no limit. The default "
            "16m fits the biggest events LLM APIs send (a whole tool call or image in one event) "
            "and bounds an upstream that never sends a newline. Past it the client's stream ends "
            "with an error in its protocol.",
        )

    def configure(self, updated: set[str]) -> None:
        if "max_event_size" in updated:
            self.max_bytes = read_size_option("max_event_size", "16m")


def is_event_stream(response: http.Response) -> bool:
    return response.headers.get("content-type", "").lower().startswith("text/event-stream")


def is_successful_event_stream(response: http.Response) -> bool:
    # An error status is read whole, so that it can be turned into the client's error shape.
    return response.status_code < 400 and is_event_stream(response)


def translating_stream(flow: http.HTTPFlow, translator: StreamTranslator) -> Callable[[bytes], bytes | list[bytes]]:
    """The `flow.response.stream` callable that runs each body piece through `translator`.

    mitmproxy calls it once more with b"" at the end of the body. Mid-stream it must never
    return b"": to an HTTP/1 client an empty chunk is the end of the body, so "nothing yet"
    is an empty list.
    """

    def stream(piece: bytes) -> bytes | list[bytes]:
        out = (translator.feed(piece) or []) if piece else translator.end()
        note_stream_error(flow, translator)
        return out

    return stream


def note_stream_error(flow: http.HTTPFlow, translator: StreamTranslator) -> None:
    """A stream that ended in an error says why in the flow (its comment shows `upstream_error`)."""
    if translator.error is not None:
        state = state_of(flow)
        state.upstream_error = state.upstream_error or translator.error.message


def prepare_for_new_body(response: http.Response) -> None:
    """The body will differ from what the upstream announced: no length, chunked framing."""
    response.headers.pop("content-length", None)
    response.headers.pop("content-encoding", None)
    if response.http_version.startswith("HTTP/1"):
        response.headers["transfer-encoding"] = "chunked"


class SSEPassthrough:
    """Streams `text/event-stream` responses that no translator has claimed, unchanged."""
    phase = Phase.STREAM

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        if is_successful_event_stream(flow.response) and not flow.response.stream:
            flow.response.stream = True
