"""A stream written as one JSON array, one element at a time (sans-IO): what Gemini sends
for `:streamGenerateContent` without `alt=sse` (`Exchange.array_stream`).

`ArrayFraming` frames the elements an encoder writes; `ARRAY_CONTENT_TYPE` is the array's
type. `EventsAsArray` turns an upstream's event stream of the client's own protocol into the
array: a Gemini client asking for the array in front of a Gemini upstream gets this, as the
proxy asks the upstream for SSE (`gemini.paths.lowered`), which every other step streams,
meters and renames event by event.
Each complete event leaves at once as the next element, its JSON as it came, not decoded. An
event bigger than `max_event_size` ends the array with an error element in the protocol's
error shape (`render_error`); the rest of the body is dropped unread.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ProxyError, event_too_large
from ..sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent
from .event_stream import compact_json_bytes

ARRAY_CONTENT_TYPE = "application/json"  # as Gemini sends its array


class ArrayFraming:
    """The framing of a JSON array written one element at a time (also `stream_encoder`'s)."""

    def __init__(self) -> None:
        self.elements = 0

    def element(self, data: bytes) -> bytes:
        opening = b"[" if self.elements == 0 else b",\r\n"
        self.elements += 1
        return opening + data

    def close(self) -> bytes:
        return b"]" if self.elements else b"[]"


class EventsAsArray:
    def __init__(self, render_error: Callable[[ProxyError], tuple[int, dict]], max_event_size: int = MAX_EVENT_SIZE) -> None:
        self.error: ProxyError | None = None
        self._render_error = render_error
        self._decoder = SSEDecoder(max_event_size)
        self._framing = ArrayFraming()
        self._closed = False

    def feed(self, piece: bytes) -> bytes:
        if self._closed:
            return b""
        try:
            return self._elements_of(self._decoder.feed(piece))
        except EventTooLarge as overflow:
            return self._elements_of(overflow.events) + self.fail(event_too_large(overflow))

    def fail(self, error: ProxyError) -> bytes:
        """The array's end when the stream cannot go on (an oversized event, an upstream that
        broke off): `error` as its last element, in the client's error shape."""
        if self._closed:
            return b""
        self.error, self._closed = error, True
        return self._framing.element(compact_json_bytes(self._render_error(error)[1])) + b"]"

    def end(self) -> bytes:
        if self._closed:
            return b""
        self._closed = True
        written = self._elements_of(self._decoder.end())
        return written + self._framing.close()

    def _elements_of(self, events: list[SSEEvent]) -> bytes:
        return b"".join(self._framing.element(event.data.encode()) for event in events if event.data.strip())
