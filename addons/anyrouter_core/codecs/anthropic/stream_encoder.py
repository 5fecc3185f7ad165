"""Neutral stream events → Anthropic Messages SSE (each event named after its type, compact
JSON, never `[DONE]`).

Choices:
- `message_start` always carries a whole usage object with `input_tokens` (Claude Code
  crashes without it): the upstream's counts, else the exchange's estimate of the input; the
  message keeps an upstream `msg_` id, else takes `exchange.answer_id`, else a new one, and
  carries the model name the client asked for.
- A block that arrives whole in its `BlockStart` (a finished answer sent as a stream) opens
  empty and gets its content in one delta each: text, thinking then its `signature_delta`, a
  tool call's input. A thinking block opens with `signature: ""`, which is all the SDK's
  `ThinkingBlock` needs; a `signature_delta` is sent only for a real signature.
- A tool call whose input never came gets `partial_json: "{}"`, so that every client
  accumulator ends with `input == {}`; leading whitespace before its first JSON is not sent
  (the SDK's partial parser rejects it).
- Blocks Anthropic cannot carry (another protocol's opaque blocks) are left out and the
  others numbered without them.
- A `StreamError` is an `event: error` in Anthropic's error shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import NAME as ANTHROPIC
from ...errors import ProxyError
from ...neutral import (
    ArgumentsDelta,
    Block,
    CitationDelta,
    Event,
    MessageDelta,
    MessageStart,
    SignatureDelta,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    ToolCall,
)
from ..base import Exchange
from ..event_stream import EventEncoder, arguments_object, compact_json, json_event_bytes, with_extra
from .answer import encode_block, message_id_for
from .errors import render_error
from .usage import anthropic_delta_usage, anthropic_stop_reason, anthropic_usage


@dataclass(slots=True)
class _OpenBlock:
    index: int
    is_tool_call: bool
    json_sent: bool = False


class AnthropicStreamEncoder(EventEncoder):
    def __init__(self, exchange: Exchange = Exchange()) -> None:
        self._exchange = exchange
        self._blocks = 0
        self._open: dict[int, _OpenBlock] = {}

    def _write(self, pieces: list[dict]) -> bytes:
        return b"".join(json_event_bytes(payload, payload["type"]) for payload in pieces)

    def _message_delta(self, event: MessageDelta) -> list[dict]:
        delta = {"stop_reason": anthropic_stop_reason(event.stop_reason), "stop_sequence": event.stop_sequence}
        usage = anthropic_delta_usage(event.usage, self._exchange.estimated_input_tokens)
        return [{"type": "message_delta", "delta": delta, "usage": usage}]

    def _message_stop(self) -> list[dict]:
        return [{"type": "message_stop"}]

    def _stream_error(self, error: ProxyError) -> list[dict]:
        return [render_error(error)[1]]

    def _message_start(self, start: MessageStart) -> list[dict]:
        message = with_extra({
            "id": message_id_for(start.id, self._exchange),
            "type": "message",
            "role": "assistant",
            "model": self._exchange.model or start.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": anthropic_usage(start.usage, self._exchange.estimated_input_tokens),
        }, start, ANTHROPIC)
        return [{"type": "message_start", "message": message}]

    def _block_start(self, index: int, block: Block) -> list[dict]:
        opening = _opening(block)
        if opening is None:
            return []
        open_block = _OpenBlock(self._blocks, isinstance(block, ToolCall))
        self._blocks += 1
        self._open[index] = open_block
        start = {"type": "content_block_start", "index": open_block.index, "content_block": opening}
        return [start, *(_block_delta(open_block, delta) for delta in self._whole_content(open_block, block))]

    def _whole_content(self, open_block: _OpenBlock, block: Block) -> list[dict]:
        """The deltas that carry what a block already held when it opened."""
        if isinstance(block, Text):
            deltas = [{"type": "text_delta", "text": block.text}] if block.text else []
            return deltas + [{"type": "citations_delta", "citation": c} for c in block.citations or ()]
        if isinstance(block, Thinking):
            deltas = [{"type": "thinking_delta", "thinking": block.text}] if block.text else []
            if block.signature:
                deltas.append({"type": "signature_delta", "signature": block.signature})
            return deltas
        if isinstance(block, ToolCall) and (block.arguments or block.raw_arguments is not None):
            open_block.json_sent = True
            return [{"type": "input_json_delta", "partial_json": compact_json(arguments_object(block))}]
        return []

    def _delta(self, event: Event) -> list[dict]:
        block = self._open.get(event.index)  # type: ignore[union-attr]
        if block is None:
            return []
        if isinstance(event, TextDelta):
            delta = {"type": "text_delta", "text": event.text}
        elif isinstance(event, ThinkingDelta):
            delta = {"type": "thinking_delta", "thinking": event.text}
        elif isinstance(event, SignatureDelta):
            delta = {"type": "signature_delta", "signature": event.signature}
        elif isinstance(event, CitationDelta):
            delta = {"type": "citations_delta", "citation": event.citation}
        elif isinstance(event, ArgumentsDelta):
            partial = event.partial_json if block.json_sent or not block.is_tool_call else event.partial_json.lstrip()
            if not partial:
                return []
            block.json_sent = True
            delta = {"type": "input_json_delta", "partial_json": partial}
        else:
            return []
        return [_block_delta(block, delta)]

    def _block_stop(self, index: int) -> list[dict]:
        block = self._open.pop(index, None)
        if block is None:
            return []
        out = []
        if block.is_tool_call and not block.json_sent:
            out.append(_block_delta(block, {"type": "input_json_delta", "partial_json": "{}"}))
        return out + [{"type": "content_block_stop", "index": block.index}]


def _opening(block: Block) -> dict | None:
    """The `content_block` of a block's start: empty where content follows as deltas."""
    if isinstance(block, Text):
        return {"type": "text", "text": ""}
    if isinstance(block, Thinking):
        return {"type": "thinking", "thinking": "", "signature": ""}
    if isinstance(block, ToolCall):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
    return encode_block(block)


def _block_delta(block: _OpenBlock, delta: dict) -> dict:
    return {"type": "content_block_delta", "index": block.index, "delta": delta}
