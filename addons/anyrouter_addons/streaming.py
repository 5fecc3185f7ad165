"""Event streams leave the proxy as they arrive instead of after the whole body."""

from __future__ import annotations

from collections.abc import Callable

from mitmproxy import http

from anyrouter_core.directions import StreamTranslator


def is_event_stream(response: http.Response) -> bool:
    return response.headers.get("content-type", "").lower().startswith("text/event-stream")


def is_successful_event_stream(response: http.Response) -> bool:
    # An error status is read whole, so that it can be turned into the client's error shape.
    return response.status_code < 400 and is_event_stream(response)


def translating_stream(translator: StreamTranslator) -> Callable[[bytes], bytes | list[bytes]]:
    """The `flow.response.stream` callable that runs each body piece through `translator`.

    mitmproxy calls it once more with b"" at the end of the body. Mid-stream it must never
    return b"": to an HTTP/1 client an empty chunk is the end of the body, so "nothing yet"
    is an empty list.
    """

    def stream(piece: bytes) -> bytes | list[bytes]:
        if not piece:
            return translator.end()
        return translator.feed(piece) or []

    return stream


def prepare_for_new_body(response: http.Response) -> None:
    """The body will differ from what the upstream announced: no length, chunked framing."""
    response.headers.pop("content-length", None)
    response.headers.pop("content-encoding", None)
    if response.http_version.startswith("HTTP/1"):
        response.headers["transfer-encoding"] = "chunked"


class SSEPassthrough:
    """Streams `text/event-stream` responses that no translator has claimed, unchanged."""

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        assert flow.response
        if is_successful_event_stream(flow.response) and not flow.response.stream:
            flow.response.stream = True
