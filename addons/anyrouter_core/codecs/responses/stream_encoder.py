"""Neutral stream events → OpenAI Responses SSE, in the order Codex and the openai SDK read.

Every stream has the same shape, live or made from a finished answer:
`response.created` (the response with its id, `in_progress`, no output) →
`response.in_progress` → for each block, one output item: `response.output_item.added`
before any of its deltas, its part opened, its deltas, its part and text done, and
`response.output_item.done` with the whole item → `response.completed` (or
`response.incomplete` when the output limit or a content filter stopped it: `answer.py`)
with the whole response: every item, the usage. Each event is named after its `type`; `sequence_number` counts from 0, one
per event; an item's `item_id` and `output_index` are the same in all its events.

Choices:
- Text is a `message` item with one `output_text` part (a refusal: a `refusal` part, with
  `response.refusal.delta`/`.done`). Thinking is a `reasoning` item: its text as a reasoning
  summary (`response.reasoning_summary_part.added`, `…_summary_text.delta`/`.done`,
  `…_summary_part.done`), or as `reasoning_text` content when the upstream said it is raw
  reasoning; the part opens with its first text, so an empty thinking block has none. Its
  signature arrives last and goes into the done item's `encrypted_content` (see `answer.py`).
- A function call's arguments stream as `response.function_call_arguments.delta`, then
  `.done` with all of them (`{}` when none came, which every client parses). A custom tool's
  call (free-form input) waits for its whole input: the neutral events carry it as the JSON
  of an `{"input": …}` object, which can be unwrapped only once complete; then one
  `response.custom_tool_call_input.delta` and `.done`.
- Redacted thinking and a Responses client's own opaque items are added and done whole;
  blocks a Responses client cannot read (another protocol's opaque blocks) are left out.
- A `StreamError` ends the stream with `response.failed`: the response so far, its `error`
  carrying a code Codex classifies (`errors.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import NAME as RESPONSES
from ...errors import ProxyError
from ...neutral import (
    ArgumentsDelta,
    Block,
    Event,
    MessageDelta,
    MessageStart,
    Opaque,
    RedactedThinking,
    SignatureDelta,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from ..base import Exchange
from ..event_stream import EventEncoder, arguments_text, json_event_bytes, with_extra
from .answer import (
    ITEM_KINDS,
    call_item,
    content_part,
    custom_input,
    is_custom_call,
    is_refusal,
    item_id,
    message_item,
    output_item,
    reasoning_item,
    response_id_for,
    response_object,
    status_for,
)
from .errors import failed_response
from .usage import responses_usage


@dataclass(slots=True)
class _OpenItem:
    block: Block
    output_index: int
    item_id: str
    pieces: list[str] = field(default_factory=list)
    part_open: bool = False
    signature: str | None = None

    def base(self) -> dict:
        return {"item_id": self.item_id, "output_index": self.output_index}


class ResponsesStreamEncoder(EventEncoder):
    def __init__(self, exchange: Exchange = Exchange()) -> None:
        self._exchange = exchange
        self._response = response_object(response_id_for("", exchange), exchange.created, exchange.model,
                                         "in_progress", [], None)
        self._sequence = 0
        self._items: list[dict] = []  # the output so far, each item as it is done
        self._open: dict[int, _OpenItem] = {}
        self._usage: Usage | None = None
        self._stop_reason: str | None = None
        self._wrote_refusal = False

    def _write(self, pieces: list[dict]) -> bytes:
        return b"".join(json_event_bytes(piece, piece["type"]) for piece in pieces)

    def _event(self, kind: str, **fields) -> dict:
        event = {"type": kind, "sequence_number": self._sequence, **fields}
        self._sequence += 1
        return event

    def _snapshot(self, status: str, usage: dict | None = None) -> dict:
        return {**self._response, "status": status, "output": list(self._items), "usage": usage}

    # ------------------------------------------------------------ message

    def _message_start(self, start: MessageStart) -> list[dict]:
        self._response = with_extra({
            **self._response,
            "id": response_id_for(start.id, self._exchange),
            "created_at": start.created if start.created is not None else self._exchange.created,
            "model": self._exchange.model or start.model,
        }, start, RESPONSES)
        self._usage = start.usage
        snapshot = self._snapshot("in_progress")
        return [self._event("response.created", response=snapshot), self._event("response.in_progress", response=snapshot)]

    def _message_delta(self, delta: MessageDelta) -> list[dict]:
        self._usage = delta.usage if self._usage is None else self._usage.updated(delta.usage)
        self._stop_reason = delta.stop_reason
        return []

    def _message_stop(self) -> list[dict]:
        status, incomplete = status_for(self._stop_reason, wrote_refusal=self._wrote_refusal)
        response = self._snapshot(status, responses_usage(self._usage or Usage()))
        response["incomplete_details"] = incomplete
        return [self._event(f"response.{status}", response=response)]

    def _stream_error(self, error: ProxyError) -> list[dict]:
        return [self._event("response.failed", response=failed_response(self._snapshot("failed"), error))]

    # ------------------------------------------------------------ items

    def _block_start(self, index: int, block: Block) -> list[dict]:
        position = len(self._items) + len(self._open)
        opened = _OpenItem(block, position, item_id(self._response["id"], ITEM_KINDS.get(type(block), "item"), position))
        self._wrote_refusal = self._wrote_refusal or is_refusal(block)
        added = self._added_item(opened)
        if added is None:
            return []
        self._open[index] = opened
        out = [self._event("response.output_item.added", output_index=position, item=added)]
        if isinstance(block, Text):
            out.append(self._event("response.content_part.added", **opened.base(), content_index=0,
                                   part=content_part(block, "")))
            return out + self._text(opened, block.text)
        if isinstance(block, Thinking):
            return out + self._thinking(opened, block.text)
        if isinstance(block, ToolCall) and (block.arguments or block.raw_arguments is not None):
            return out + self._arguments(opened, arguments_text(block))
        return out

    def _added_item(self, opened: _OpenItem) -> dict | None:
        """The item as `response.output_item.added` shows it: empty where content follows."""
        block = opened.block
        if isinstance(block, Text):
            return message_item(opened.item_id, [], "in_progress")
        if isinstance(block, Thinking):
            return {"id": opened.item_id, "type": "reasoning", "summary": []}
        if isinstance(block, ToolCall):
            return call_item(opened.item_id, block, self._exchange, "", "in_progress")
        if isinstance(block, RedactedThinking) or (isinstance(block, Opaque) and block.protocol == RESPONSES):
            return output_item(block, opened.item_id, self._exchange)
        return None

    def _delta(self, event: Event) -> list[dict]:
        opened = self._open.get(event.index)  # type: ignore[union-attr]
        if opened is None:
            return []
        if isinstance(event, TextDelta) and isinstance(opened.block, Text):
            return self._text(opened, event.text)
        if isinstance(event, ThinkingDelta) and isinstance(opened.block, Thinking):
            return self._thinking(opened, event.text)
        if isinstance(event, SignatureDelta):
            opened.signature = event.signature
        elif isinstance(event, ArgumentsDelta) and isinstance(opened.block, ToolCall):
            return self._arguments(opened, event.partial_json)
        return []

    def _text(self, opened: _OpenItem, text: str) -> list[dict]:
        if not text:
            return []
        opened.pieces.append(text)
        kind = "response.refusal.delta" if opened.block.refusal else "response.output_text.delta"  # type: ignore[union-attr]
        extra = {} if opened.block.refusal else {"logprobs": []}  # type: ignore[union-attr]
        return [self._event(kind, **opened.base(), content_index=0, delta=text, **extra)]

    def _thinking(self, opened: _OpenItem, text: str) -> list[dict]:
        if not text:
            return []
        out = [] if opened.part_open else [self._thinking_part("added", opened, "")]
        opened.part_open = True
        opened.pieces.append(text)
        if opened.block.raw_text:  # type: ignore[union-attr]
            return out + [self._event("response.reasoning_text.delta", **opened.base(), content_index=0, delta=text)]
        return out + [self._event("response.reasoning_summary_text.delta", **opened.base(), summary_index=0, delta=text)]

    def _thinking_part(self, stage: str, opened: _OpenItem, text: str) -> dict:
        if opened.block.raw_text:  # type: ignore[union-attr]
            part = {"type": "reasoning_text", "text": text}
            return self._event(f"response.content_part.{stage}", **opened.base(), content_index=0, part=part)
        part = {"type": "summary_text", "text": text}
        return self._event(f"response.reasoning_summary_part.{stage}", **opened.base(), summary_index=0, part=part)

    def _arguments(self, opened: _OpenItem, partial_json: str) -> list[dict]:
        if not partial_json:
            return []
        opened.pieces.append(partial_json)
        if is_custom_call(opened.block, self._exchange):  # type: ignore[arg-type]
            return []  # sent whole at the end: see the module docstring
        return [self._event("response.function_call_arguments.delta", **opened.base(), delta=partial_json)]

    def _block_stop(self, index: int) -> list[dict]:
        opened = self._open.pop(index, None)
        if opened is None:
            return []
        block, text = opened.block, "".join(opened.pieces)
        if isinstance(block, Text):
            out, item = self._text_done(opened, block, text)
        elif isinstance(block, Thinking):
            out, item = self._thinking_done(opened, block, text)
        elif isinstance(block, ToolCall):
            out, item = self._call_done(opened, block, text or "{}")
        else:
            out, item = [], output_item(block, opened.item_id, self._exchange)
        self._items.append(item)  # type: ignore[arg-type]
        return out + [self._event("response.output_item.done", output_index=opened.output_index, item=item)]

    def _text_done(self, opened: _OpenItem, block: Text, text: str) -> tuple[list[dict], dict]:
        part = content_part(block, text)
        if block.refusal:
            done = self._event("response.refusal.done", **opened.base(), content_index=0, refusal=text)
        else:
            done = self._event("response.output_text.done", **opened.base(), content_index=0, text=text, logprobs=[])
        part_done = self._event("response.content_part.done", **opened.base(), content_index=0, part=part)
        return [done, part_done], message_item(opened.item_id, [part], "completed")

    def _thinking_done(self, opened: _OpenItem, block: Thinking, text: str) -> tuple[list[dict], dict]:
        item = reasoning_item(opened.item_id, Thinking(text, opened.signature or block.signature, raw_text=block.raw_text), text)
        if not opened.part_open:
            return [], item
        if block.raw_text:
            done = self._event("response.reasoning_text.done", **opened.base(), content_index=0, text=text)
        else:
            done = self._event("response.reasoning_summary_text.done", **opened.base(), summary_index=0, text=text)
        return [done, self._thinking_part("done", opened, text)], item

    def _call_done(self, opened: _OpenItem, call: ToolCall, arguments: str) -> tuple[list[dict], dict]:
        item = call_item(opened.item_id, call, self._exchange, arguments, "completed")
        if item["type"] == "custom_tool_call":
            text = custom_input(arguments)
            deltas = [self._event("response.custom_tool_call_input.delta", **opened.base(), delta=text)] if text else []
            return deltas + [self._event("response.custom_tool_call_input.done", **opened.base(), input=text)], item
        return [self._event("response.function_call_arguments.done", **opened.base(), arguments=arguments)], item
