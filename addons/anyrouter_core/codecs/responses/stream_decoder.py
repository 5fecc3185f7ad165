"""OpenAI Responses SSE → neutral stream events, incrementally (sans-IO).

A Responses stream already tells one item at a time, so little is held back: a block opens
with the first event that says what it is (a message's content part, a reasoning item's first
text, a call item's `output_item.added`) and closes with the part or the item.

Choices:
- A message's content parts are text blocks (`refusal` parts marked refusal; the answer
  then stops with `refusal`). A reasoning item is one thinking block: its summary parts
  joined by a blank line, or its `reasoning_text` marked raw; its `encrypted_content`, known
  when the item is done, is the block's signature (a reasoning item with none of its text
  streamed and only the proxy's redacted-thinking state is redacted thinking again).
- A function call's arguments pass on as they stream (or whole from its `.done` or done item
  when none streamed). A custom tool's input text becomes the JSON text of an
  `{"input": …}` object, streamed piece by piece: each piece escaped as JSON string text.
- Other items (a built-in tool's call) are opaque blocks, whole when done.
- `response.completed` and `response.incomplete` end the answer: stop reason as in
  `answer.py` (any tool call → tool_use), the final usage.

Fails closed: `response.failed` and `error` events end the stream with the upstream's error
(its code read back to a status, `errors.py`); data that is not a JSON object, an event for
an item other than the one under way, an event before `response.created`, a call without a
name or call id, and a body that ends before `response.completed` or `response.incomplete`
each end it with a 502 `StreamError`. Unknown event types are later additions to the
protocol and are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import NAME as RESPONSES
from ...neutral import (
    ArgumentsDelta,
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    RedactedThinking,
    SignatureDelta,
    StreamError,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
)
from ...sse import MAX_EVENT_SIZE, SSEEvent
from ..base import Exchange
from ..custom_tools import INPUT
from ..event_stream import SSEStreamDecoder, compact_json, extra_fields, typed_field
from .answer import (
    RESPONSE_FIELDS,
    call_block,
    created_at,
    decode_item,
    neutral_stop,
    reasoning_block,
    upstream_garbage,
)
from .errors import error_from_failure
from .usage import usage_from_responses

_CUSTOM_INPUT_OPENING = compact_json({INPUT: ""})[:-2]  # '{"input":"'
_CUSTOM_INPUT_CLOSING = '"}'


@dataclass(slots=True)
class _Item:
    """The output item under way, and the neutral block open for it (None: none yet)."""

    output_index: int
    item_id: str
    kind: str
    block: int | None = None
    raw_text: bool | None = None  # a reasoning item's text so far: raw (True) or a summary
    summary_index: int = 0
    streamed: bool = False
    input_closed: bool = False


class ResponsesStreamDecoder(SSEStreamDecoder):
    def __init__(self, exchange: Exchange = Exchange(), max_event_size: int = MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self._started = False
        self._blocks = 0
        self._item: _Item | None = None
        self._used_tools = False
        self._refused = False

    def _on_event(self, event: SSEEvent) -> None:
        if not event.data.strip():
            return
        try:
            data = json.loads(event.data)
        except ValueError:
            raise upstream_garbage(f"a {event.event or 'data'} event is not valid JSON") from None
        if not isinstance(data, dict):
            raise upstream_garbage(f"a {event.event or 'data'} event is not a JSON object")
        kind = data.get("type") if isinstance(data.get("type"), str) else event.event
        if kind == "error":
            self._emit(StreamError(error_from_failure(data, "the upstream stream failed")))
        elif kind == "response.failed":
            response = data.get("response")
            error = response.get("error") if isinstance(response, dict) else None
            self._emit(StreamError(error_from_failure(error, "the upstream response failed")))
        elif kind == "response.created":
            self._on_created(data)
        elif kind in self._HANDLERS:
            if not self._started:
                raise upstream_garbage(f"{kind} came before response.created")
            self._HANDLERS[kind](self, data)

    def _on_upstream_end(self) -> None:
        raise upstream_garbage("the stream ended before response.completed")

    # ------------------------------------------------------------ the response

    def _on_created(self, data: dict) -> None:
        if self._started:
            raise upstream_garbage("a second response.created")
        response = _response(data)
        self._started = True
        model = response.get("model")
        self._emit(MessageStart(
            response.get("id") if isinstance(response.get("id"), str) else "",
            model if isinstance(model, str) else "",
            created=created_at(response),
            protocol=RESPONSES,
            extra=extra_fields(response, RESPONSE_FIELDS),
        ))

    def _on_finished(self, data: dict) -> None:
        response = _response(data)
        self._close_item()
        usage = response.get("usage")
        stop_reason = neutral_stop(response, used_tools=self._used_tools, refused=self._refused)
        self._emit(MessageDelta(stop_reason, None, usage_from_responses(usage) if isinstance(usage, dict) else None))
        self._emit(MessageStop())

    # ------------------------------------------------------------ items

    def _on_item_added(self, data: dict) -> None:
        item = _object(data, "item")
        self._close_item()
        kind = item.get("type") if isinstance(item.get("type"), str) else ""
        item_id = item.get("id") if isinstance(item.get("id"), str) else ""
        self._item = _Item(_index(data), item_id, kind)
        if kind in ("function_call", "custom_tool_call"):
            call = call_block(item, "response.output_item.added.item")
            self._used_tools = True
            self._open(BlockStart(self._blocks, call))
            if call.custom:
                self._emit(ArgumentsDelta(self._item.block, _CUSTOM_INPUT_OPENING))  # type: ignore[arg-type]

    def _current(self, data: dict) -> _Item:
        """The item an event is about, which must be the one under way."""
        item = self._item
        if item is None or (data.get("item_id", item.item_id) != item.item_id) or data.get("output_index", item.output_index) != item.output_index:
            raise upstream_garbage(f"a {data.get('type')} event for an item that is not under way")
        return item

    def _on_part_added(self, data: dict) -> None:
        item = self._current(data)
        part = _object(data, "part")
        if item.kind != "message" or part.get("type") not in ("output_text", "refusal"):
            return
        refusal = part.get("type") == "refusal"
        self._refused = self._refused or refusal
        self._open(BlockStart(self._blocks, Text("", refusal=refusal)))
        opening = part.get("refusal" if refusal else "text")
        if isinstance(opening, str) and opening:
            self._emit(TextDelta(item.block, opening))  # type: ignore[arg-type]

    def _on_text_delta(self, data: dict) -> None:
        item = self._current(data)
        if item.block is None:
            raise upstream_garbage(f"a {data.get('type')} event before its content part")
        delta = _string(data, "delta")
        if delta:
            self._emit(TextDelta(item.block, delta))

    def _on_part_done(self, data: dict) -> None:
        item = self._current(data)
        if item.kind == "message":
            self._close_block()

    def _on_summary_part_added(self, data: dict) -> None:
        item = self._current(data)
        index = data.get("summary_index")
        if item.block is not None and item.raw_text is False and isinstance(index, int) and index != item.summary_index:
            item.summary_index = index
            self._emit(ThinkingDelta(item.block, "\n\n"))

    def _on_reasoning_delta(self, data: dict) -> None:
        item = self._current(data)
        raw_text = data.get("type") == "response.reasoning_text.delta"
        if item.block is None or item.raw_text != raw_text:
            self._close_block()
            item.raw_text = raw_text
            self._open(BlockStart(self._blocks, Thinking("", raw_text=raw_text)))
        delta = _string(data, "delta")
        if delta:
            self._emit(ThinkingDelta(item.block, delta))  # type: ignore[arg-type]

    def _on_arguments_delta(self, data: dict) -> None:
        item = self._current(data)
        delta = _string(data, "delta")
        if item.block is None or not delta:
            return
        item.streamed = True
        custom = data.get("type") == "response.custom_tool_call_input.delta"
        self._emit(ArgumentsDelta(item.block, compact_json(delta)[1:-1] if custom else delta))

    def _on_item_done(self, data: dict) -> None:
        item = self._current(data)
        done = _object(data, "item")
        if item.kind == "reasoning":
            self._finish_reasoning(item, done)
        elif item.kind in ("function_call", "custom_tool_call"):
            self._finish_call(item, done)
        elif item.kind != "message":
            for block in decode_item(done, "response.output_item.done.item"):
                self._open(BlockStart(self._blocks, block))
                self._close_block()
        self._close_item()

    def _finish_reasoning(self, item: _Item, done: dict) -> None:
        block = reasoning_block(done)
        if item.block is None:
            if isinstance(block, Thinking) and block.text:
                # Nothing streamed: the item's text comes whole.
                self._open(BlockStart(self._blocks, Thinking("", raw_text=block.raw_text)))
                self._emit(ThinkingDelta(item.block, block.text))  # type: ignore[arg-type]
            elif isinstance(block, RedactedThinking) or block.signature:
                self._open(BlockStart(self._blocks, block if isinstance(block, RedactedThinking) else Thinking("")))
        if isinstance(block, Thinking) and block.signature and item.block is not None:
            self._emit(SignatureDelta(item.block, block.signature))

    def _finish_call(self, item: _Item, done: dict) -> None:
        if item.block is None:
            return
        if not item.streamed:
            whole = done.get("input" if item.kind == "custom_tool_call" else "arguments")
            if isinstance(whole, str) and whole:
                self._emit(ArgumentsDelta(item.block, compact_json(whole)[1:-1] if item.kind == "custom_tool_call" else whole))
        self._close_custom_input(item)

    def _close_custom_input(self, item: _Item) -> None:
        """Ends the JSON text of a custom tool's input: at its item's end, or when the stream
        moved on without saying it was done (the input is then what streamed)."""
        if item.kind == "custom_tool_call" and item.block is not None and not item.input_closed:
            self._emit(ArgumentsDelta(item.block, _CUSTOM_INPUT_CLOSING))
            item.input_closed = True

    # ------------------------------------------------------------ blocks

    def _open(self, start: BlockStart) -> None:
        self._close_block()
        self._emit(start)
        self._blocks += 1
        if self._item is not None:
            self._item.block = start.index

    def _close_block(self) -> None:
        item = self._item
        if item is not None and item.block is not None:
            self._emit(BlockStop(item.block))
            item.block = None

    def _close_item(self) -> None:
        if self._item is not None:
            self._close_custom_input(self._item)
        self._close_block()
        self._item = None

    _HANDLERS = {
        "response.completed": _on_finished,
        "response.incomplete": _on_finished,
        "response.output_item.added": _on_item_added,
        "response.content_part.added": _on_part_added,
        "response.output_text.delta": _on_text_delta,
        "response.refusal.delta": _on_text_delta,
        "response.content_part.done": _on_part_done,
        "response.reasoning_summary_part.added": _on_summary_part_added,
        "response.reasoning_summary_text.delta": _on_reasoning_delta,
        "response.reasoning_text.delta": _on_reasoning_delta,
        "response.function_call_arguments.delta": _on_arguments_delta,
        "response.custom_tool_call_input.delta": _on_arguments_delta,
        "response.output_item.done": _on_item_done,
    }


def _response(data: dict) -> dict:
    return _object(data, "response")


def _object(data: dict, key: str) -> dict:
    return typed_field(data, key, dict, "an object", upstream_garbage)  # type: ignore[return-value]


def _string(data: dict, key: str) -> str:
    return typed_field(data, key, str, "a string", upstream_garbage)  # type: ignore[return-value]


def _index(data: dict) -> int:
    index = data.get("output_index")
    if not isinstance(index, int) or isinstance(index, bool):
        raise upstream_garbage(f"{data.get('type')} without an integer output_index")
    return index

