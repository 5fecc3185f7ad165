"""What the stream and answer halves of every codec share: the loop of an SSE stream decoder
that fails closed, compact JSON events, token counts read defensively, tool-call arguments as
JSON text.

Choices:
- A decoder's handlers raise `RequestRejected` for anything they cannot read; the loop turns
  it into a `StreamError`, and after a `StreamError` or a `MessageStop` the decoder is done:
  `feed()` and `end()` return nothing more. A decoder's `end()` on a stream that has not
  finished reports the cut as that protocol's `StreamError`, so a truncated upstream never
  looks like success. So does an event bigger than `max_event_size` (see `sse.SSEDecoder`):
  the events completed before it still go out first, then the `StreamError`.
- An answer's top-level fields without a neutral form travel in `Answer.extra` and are
  written back only by the encoder of the protocol they came from.
- JSON goes out compact and unescaped (what the upstreams send); a lone surrogate, legal in a
  JSON escape but not in UTF-8, is kept escaped instead of breaking the stream.
"""

from __future__ import annotations

import json
import re

from ..errors import ProxyError, RequestRejected, event_too_large
from ..neutral import (
    Answer,
    ArgumentsDelta,
    BlockStart,
    BlockStop,
    CitationDelta,
    Event,
    MessageDelta,
    MessageStart,
    MessageStop,
    SignatureDelta,
    StreamError,
    TextDelta,
    ThinkingDelta,
    ToolCall,
)
from ..sse import MAX_EVENT_SIZE, EventTooLarge, SSEDecoder, SSEEvent, encode_event

# A tool call whose arguments were not a JSON object (neutral `raw_arguments`) reaches a
# protocol that wants an object as this one key: the client's own validation then reports the
# bad call to the model instead of the proxy losing it.
RAW_ARGUMENTS_KEY = "_raw_arguments"


# Made once: `json.dumps` with any option builds a new encoder on every call, and a stream
# writes one JSON text per event.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"))


def compact_json(value: object) -> str:
    return _COMPACT.encode(value)


def json_event_bytes(payload: object, event: str | None = None) -> bytes:
    """One SSE event carrying `payload` as compact JSON."""
    try:
        return encode_event(compact_json(payload), event=event)
    except UnicodeEncodeError:
        return encode_event(_COMPACT_ASCII.encode(payload), event=event)


def compact_json_bytes(value: object) -> bytes:
    """`compact_json` as UTF-8 bytes."""
    try:
        return _COMPACT.encode(value).encode()
    except UnicodeEncodeError:
        return _COMPACT_ASCII.encode(value).encode()


def crlf_json_event(payload: object) -> bytes:
    """One SSE event without a name carrying `payload` as compact JSON (one line: JSON text
    escapes its line ends), its lines ended by CRLF as Google's servers end them."""
    return b"data: " + compact_json_bytes(payload) + b"\r\n\r\n"


def token_count(value: object) -> int | None:
    """A reported token count, or None for anything that is not a count."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def count_or_zero(value: object) -> int:
    """A reported token count; 0 for anything that is not a count."""
    return token_count(value) or 0


def holds_object_field(data: str, name: str) -> bool:
    """Whether the JSON text `data` may hold a field `name` whose value is an object: the
    field's quoted name, then a colon and an opening brace (spaces allowed between). A cheap
    test on text, made before parsing: a field that is null (`"usage":null`, as OpenAI and
    Responses streams carry in most events) does not pass, nor does a text without the name."""
    quoted = f'"{name}"'
    start = data.find(quoted)
    while start != -1:
        rest = data[start + len(quoted):start + len(quoted) + 64].lstrip()
        if rest.startswith(":") and rest[1:].lstrip().startswith("{"):
            return True
        start = data.find(quoted, start + len(quoted))
    return False


def non_null_field_marker(name: str) -> re.Pattern[bytes]:
    """What raw event-stream bytes hold wherever an event's JSON has a field `name` that is
    not null: its quoted name, a colon, and the start of its value (a line may end between
    colon and value, as `data:` lines can split one JSON text). Only `null` is told apart: the
    value every event but one carries in OpenAI's streams. A cheap test on whole pieces of a
    stream, before any of it is decoded; it assumes a name and its colon are on one line, as
    every JSON writer puts them."""
    return re.compile(b'"' + re.escape(name.encode()) + rb'"\s*:\s*[^\sn]')


def details_of(usage: dict, key: str) -> dict:
    """A usage object's `…_details` object; empty when it is missing or not an object."""
    details = usage.get(key)
    return details if isinstance(details, dict) else {}


def typed_field(data: dict, key: str, kind: type, what: str, garbage) -> object:
    """`data[key]` when it is a `kind`; else `garbage(problem)` is raised (an upstream's
    unreadable event)."""
    value = data.get(key)
    if not isinstance(value, kind):
        raise garbage(f"{data.get('type')}.{key} is not {what}")
    return value


def arguments_object(call: ToolCall) -> dict:
    """A tool call's input as an object, for protocols that carry it as one."""
    if call.raw_arguments is not None:
        return {RAW_ARGUMENTS_KEY: call.raw_arguments}
    return call.arguments


def arguments_text(call: ToolCall) -> str:
    """A tool call's input as JSON text, for protocols that carry it as a string."""
    if call.raw_arguments is not None:
        return call.raw_arguments
    return compact_json(call.arguments)


def extra_fields(body: dict, known: frozenset[str]) -> dict:
    """The top-level fields of an answer that have no neutral form."""
    return {key: value for key, value in body.items() if key not in known}


def with_extra(encoded: dict, decoded: Answer | MessageStart, protocol: str) -> dict:
    """`encoded` with the fields of an answer (or of a stream's message) that have no neutral
    form back, when it is going back to the protocol it came from."""
    if decoded.protocol != protocol:
        return encoded
    return {**encoded, **{key: value for key, value in decoded.extra.items() if key not in encoded}}


def rejected(status: int, message: str) -> RequestRejected:
    return RequestRejected(ProxyError(status, message, "api_error"))


class SSEStreamDecoder:
    """The loop every SSE stream decoder runs: SSE events in, neutral events out.

    A subclass reads one SSE event in `_on_event`, calls `_emit` for what it completes, and
    says in `_on_upstream_end` what the end of the body means (an error unless it finished).
    """

    def __init__(self, max_event_size: int = MAX_EVENT_SIZE) -> None:
        self._sse = SSEDecoder(max_event_size)
        self._out: list[Event] = []
        self.finished = False

    def feed(self, piece: bytes) -> list[Event]:
        if self.finished:
            return []
        try:
            return self._run(self._sse.feed(piece), at_end=False)
        except EventTooLarge as overflow:
            # What the piece completed before the overflow goes first; the rest is dropped unread.
            out = self._run(overflow.events, at_end=False)
            if not self.finished:
                self._emit(StreamError(event_too_large(overflow)))
            out, self._out = out + self._out, []
            return out

    def end(self) -> list[Event]:
        if self.finished:
            return []
        return self._run(self._sse.end(), at_end=True)

    def _run(self, events: list[SSEEvent], *, at_end: bool) -> list[Event]:
        try:
            for event in events:
                self._on_event(event)
                if self.finished:
                    break
            if at_end and not self.finished:
                self._on_upstream_end()
        except RequestRejected as failure:
            self._emit(StreamError(failure.error))
        out, self._out = self._out, []
        return out

    def _emit(self, event: Event) -> None:
        if self.finished:
            return
        self._out.append(event)
        self.finished = isinstance(event, (MessageStop, StreamError))

    def _on_event(self, event: SSEEvent) -> None:
        raise NotImplementedError

    def _on_upstream_end(self) -> None:
        raise NotImplementedError


_DELTAS = (TextDelta, ThinkingDelta, SignatureDelta, ArgumentsDelta, CitationDelta)


class EventEncoder:
    """What every stream encoder runs: each neutral event handed to the method that writes
    it, the pieces written joined as `_write` says (Anthropic: named events, OpenAI: chunks)."""

    def encode(self, events: list[Event]) -> bytes:
        return self._write([piece for event in events for piece in self._dispatch(event)])

    def _dispatch(self, event: Event) -> list:
        if isinstance(event, _DELTAS):  # nearly every event of a stream: checked first
            return self._delta(event)
        if isinstance(event, MessageStart):
            return self._message_start(event)
        if isinstance(event, BlockStart):
            return self._block_start(event.index, event.block)
        if isinstance(event, BlockStop):
            return self._block_stop(event.index)
        if isinstance(event, MessageDelta):
            return self._message_delta(event)
        if isinstance(event, MessageStop):
            return self._message_stop()
        if isinstance(event, StreamError):
            return self._stream_error(event.error)
        return []

    def _write(self, pieces: list) -> bytes:
        raise NotImplementedError

    def _message_start(self, start: MessageStart) -> list:
        raise NotImplementedError

    def _block_start(self, index: int, block) -> list:
        raise NotImplementedError

    def _delta(self, event: Event) -> list:
        raise NotImplementedError

    def _block_stop(self, index: int) -> list:
        raise NotImplementedError

    def _message_delta(self, delta: MessageDelta) -> list:
        raise NotImplementedError

    def _message_stop(self) -> list:
        raise NotImplementedError

    def _stream_error(self, error: ProxyError) -> list:
        raise NotImplementedError
