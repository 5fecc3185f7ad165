"""Anthropic Messages SSE → neutral stream events, incrementally (sans-IO).

`feed()` takes raw body pieces as they arrive and returns the events they complete; nothing
is held back but an SSE event still missing its end, and the end of the message:
`message_delta` is kept until `message_stop`, so that several of them (relays repeat it) make
one `MessageDelta` — the first stop reason, the latest of each count.

Fails closed: an upstream `error` event, an event that cannot be read (not JSON, a field of
the wrong type, anything before `message_start`, a second `message_start`, a delta for a
block that is not open) and a body that ends before `message_stop` each end the stream with a
`StreamError`; a client never takes a broken stream for a finished one.

Choices:
- Blocks are renumbered from 0 in the order they start. A block left open is closed by the
  next start or by the end of the message (sloppy relays forget `content_block_stop`); a stop
  for a block that is not open is ignored.
- A `tool_use` start's `input` counts only when no input streams after it: it then comes as
  one `ArgumentsDelta` at the block's stop. (Anthropic streams input as deltas after an
  empty start; a non-empty start input is what a block sent whole looks like.)
- Empty deltas carry nothing and are not passed on; unknown event and delta types are future
  additions to the protocol and are ignored; pings and events without data too.
- Blocks other than text, thinking, redacted thinking and tool use open as `Opaque` blocks
  (server tools, their results); their input deltas pass on like a tool call's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import NAME as ANTHROPIC
from ...neutral import (
    ArgumentsDelta,
    BlockStart,
    BlockStop,
    CitationDelta,
    MessageDelta,
    MessageStart,
    MessageStop,
    SignatureDelta,
    StreamError,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from ...sse import MAX_EVENT_SIZE, SSEEvent
from ..base import Exchange
from ..event_stream import SSEStreamDecoder, compact_json, extra_fields, typed_field
from .answer import MESSAGE_FIELDS, decode_block, error_without_status, upstream_garbage
from .usage import usage_from_anthropic


@dataclass(slots=True)
class _OpenBlock:
    upstream_index: int
    index: int
    start_input: dict | None = None
    input_streamed: bool = False


class AnthropicStreamDecoder(SSEStreamDecoder):
    def __init__(self, exchange: Exchange = Exchange(), max_event_size: int = MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._started = False
        self._blocks = 0
        self._open: _OpenBlock | None = None
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._usage: Usage | None = None

    def _on_event(self, event: SSEEvent) -> None:
        if not event.data:
            # The event-stream rules dispatch no event without data (relays send such keep-alives).
            return
        try:
            data = json.loads(event.data)
        except ValueError:
            raise upstream_garbage(f"a {event.event or 'data'} event is not valid JSON") from None
        if not isinstance(data, dict):
            raise upstream_garbage(f"a {event.event or 'data'} event is not a JSON object")
        kind = data.get("type") if isinstance(data.get("type"), str) else event.event
        if kind == "ping":
            return
        if kind == "error":
            self._emit(StreamError(error_without_status(event.data.encode())))
            return
        if kind == "message_start":
            self._on_message_start(data)
            return
        if not self._started:
            raise upstream_garbage(f"{kind or 'an event'} came before message_start")
        handler = self._HANDLERS.get(kind)  # type: ignore[arg-type]
        if handler is not None:
            handler(self, data)

    def _on_upstream_end(self) -> None:
        raise upstream_garbage("the stream ended before message_stop")

    def _on_message_start(self, data: dict) -> None:
        if self._started:
            raise upstream_garbage("a second message_start")
        message = _object(data, "message")
        message_id = message.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise upstream_garbage("message_start without a message id")
        model = message.get("model")
        self._started = True
        usage = _usage(message.get("usage")) or Usage()
        extra = extra_fields(message, MESSAGE_FIELDS)
        self._emit(MessageStart(message_id, model if isinstance(model, str) else "", usage, protocol=ANTHROPIC, extra=extra))

    def _on_block_start(self, data: dict) -> None:
        upstream_index = _index(data)
        content_block = _object(data, "content_block")
        kind = content_block.get("type")
        if kind in ("text", "thinking"):
            # A start may carry text (and a signature) already: the BlockStart carries them too.
            content_block = {kind: "", **content_block}
        block = decode_block(content_block, "content_block_start.content_block")
        self._close_open_block()
        self._open = _OpenBlock(upstream_index, self._blocks)
        self._blocks += 1
        if isinstance(block, ToolCall):
            self._open.start_input, block.arguments = block.arguments, {}
        self._emit(BlockStart(self._open.index, block))

    def _on_block_delta(self, data: dict) -> None:
        upstream_index = _index(data)
        delta = _object(data, "delta")
        open_block = self._open
        if open_block is None or open_block.upstream_index != upstream_index:
            raise upstream_garbage(f"a content_block_delta for block {upstream_index}, which is not open")
        event = _delta_event(open_block.index, delta)
        if event is None:
            return
        if isinstance(event, ArgumentsDelta):
            open_block.input_streamed = True
        self._emit(event)

    def _on_block_stop(self, data: dict) -> None:
        if self._open is not None and self._open.upstream_index == _index(data):
            self._close_open_block()

    def _on_message_delta(self, data: dict) -> None:
        delta = data.get("delta") or {}
        if not isinstance(delta, dict):
            raise upstream_garbage("message_delta.delta is not an object")
        usage = _usage(data.get("usage"))
        stop_reason = delta.get("stop_reason")
        if stop_reason is not None and not isinstance(stop_reason, str):
            raise upstream_garbage("message_delta.delta.stop_reason is not a string")
        self._close_open_block()
        if usage is not None:
            self._usage = usage if self._usage is None else self._usage.updated(usage)
        if self._stop_reason is None and stop_reason is not None:
            stop_sequence = delta.get("stop_sequence")
            self._stop_reason = stop_reason
            self._stop_sequence = stop_sequence if isinstance(stop_sequence, str) else None

    def _on_message_stop(self, data: dict) -> None:
        self._close_open_block()
        self._emit(MessageDelta(self._stop_reason, self._stop_sequence, self._usage))
        self._emit(MessageStop())

    def _close_open_block(self) -> None:
        open_block, self._open = self._open, None
        if open_block is None:
            return
        if open_block.start_input and not open_block.input_streamed:
            self._emit(ArgumentsDelta(open_block.index, compact_json(open_block.start_input)))
        self._emit(BlockStop(open_block.index))

    _HANDLERS = {
        "content_block_start": _on_block_start,
        "content_block_delta": _on_block_delta,
        "content_block_stop": _on_block_stop,
        "message_delta": _on_message_delta,
        "message_stop": _on_message_stop,
    }


# Anthropic's delta types that carry one string, the field holding it, and the neutral event.
_STRING_DELTAS = {
    "text_delta": ("text", TextDelta),
    "thinking_delta": ("thinking", ThinkingDelta),
    "signature_delta": ("signature", SignatureDelta),
    "input_json_delta": ("partial_json", ArgumentsDelta),
}


def _delta_event(index: int, delta: dict):
    kind = delta.get("type")
    if isinstance(kind, str) and kind in _STRING_DELTAS:
        key, event = _STRING_DELTAS[kind]
        value = _string(delta, key)
        return event(index, value) if value else None
    if kind == "citations_delta" and isinstance(delta.get("citation"), dict):
        return CitationDelta(index, delta["citation"])
    return None


def _usage(usage: object) -> Usage | None:
    if usage is None:
        return None
    if not isinstance(usage, dict):
        raise upstream_garbage("usage is not an object")
    return usage_from_anthropic(usage)


def _object(data: dict, key: str) -> dict:
    return typed_field(data, key, dict, "an object", upstream_garbage)  # type: ignore[return-value]


def _string(data: dict, key: str) -> str:
    return typed_field(data, key, str, "a string", upstream_garbage)  # type: ignore[return-value]


def _index(data: dict) -> int:
    index = data.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise upstream_garbage(f"{data.get('type')} without an integer index")
    return index
