"""An Anthropic Messages stream summarised for the "Event Stream" view: the text and thinking
of its blocks in index order, each tool_use block with the arguments joined from its
`input_json_delta`s, the last stop reason and stop sequence, the `message_start` usage updated
by `message_delta`, and `error` events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import NAME
from ...sse import SSEEvent
from ..stream_summary import StreamSummary, ToolCall, error_line, text_of

_EVENT_TYPES = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "error",
    }
)
_DELTA_TEXT_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}


def is_stream_event(event: SSEEvent, value: dict) -> bool:
    """Whether one parsed event is an Anthropic stream's (an `error` only with its object)."""
    kind = value.get("type", event.event)
    return isinstance(kind, str) and kind in _EVENT_TYPES and (kind != "error" or isinstance(value.get("error"), dict))


@dataclass(slots=True)
class _Block:
    kind: str
    text: list[str] = field(default_factory=list)
    name: str = ""
    id: str = ""
    initial_input: object = None


def summarise_stream(events: list[SSEEvent], parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(NAME)
    blocks: dict[int, _Block] = {}
    for event, value in zip(events, parsed):
        if not isinstance(value, dict):
            continue
        kind = value.get("type", event.event)
        if kind == "message_start":
            _read_message_start(summary, value.get("message"))
        elif kind == "content_block_start":
            _open_block(blocks, value)
        elif kind == "content_block_delta":
            _add_delta(blocks, value)
        elif kind == "message_delta":
            _read_message_delta(summary, value)
        elif kind == "error":
            summary.errors.append(error_line(value.get("error")))
    _gather_blocks(summary, blocks)
    return summary


def _read_message_start(summary: StreamSummary, message: object) -> None:
    if isinstance(message, dict):
        if isinstance(message.get("model"), str):
            summary.model = message["model"]
        summary.usage = _merge_usage(summary.usage, message.get("usage"))


def _open_block(blocks: dict[int, _Block], value: dict) -> None:
    block = value.get("content_block")
    index = value.get("index", len(blocks))
    if not isinstance(block, dict) or not isinstance(index, int):
        return
    new = _Block(text_of(block.get("type")))
    if new.kind == "text":
        new.text.append(text_of(block.get("text")))
    elif new.kind == "thinking":
        new.text.append(text_of(block.get("thinking")))
    elif new.kind.endswith("tool_use"):
        new.name, new.id = text_of(block.get("name")), text_of(block.get("id"))
        new.initial_input = block.get("input")
    blocks[index] = new


def _add_delta(blocks: dict[int, _Block], value: dict) -> None:
    delta = value.get("delta")
    index = value.get("index")
    block = blocks.get(index) if isinstance(index, int) else None
    if block is None or not isinstance(delta, dict):
        return
    delta_kind = delta.get("type")
    text_field = _DELTA_TEXT_FIELDS.get(delta_kind) if isinstance(delta_kind, str) else None
    if text_field is not None:
        block.text.append(text_of(delta.get(text_field)))


def _read_message_delta(summary: StreamSummary, value: dict) -> None:
    delta = value.get("delta")
    if isinstance(delta, dict):
        if delta.get("stop_reason") is not None:
            summary.stop_reason = str(delta["stop_reason"])
        if delta.get("stop_sequence") is not None:
            summary.stop_sequence = str(delta["stop_sequence"])
    summary.usage = _merge_usage(summary.usage, value.get("usage"))


def _gather_blocks(summary: StreamSummary, blocks: dict[int, _Block]) -> None:
    for _, block in sorted(blocks.items()):
        if block.kind == "text":
            summary.text += "".join(block.text)
        elif block.kind == "thinking":
            summary.thinking += "".join(block.text)
        elif block.kind.endswith("tool_use"):
            arguments = "".join(block.text)
            if not arguments and block.initial_input is not None:
                arguments = json.dumps(block.initial_input, ensure_ascii=False)
            summary.tool_calls.append(ToolCall(block.name, block.id, arguments))


def _merge_usage(usage: dict | None, update: object) -> dict | None:
    if not isinstance(update, dict):
        return usage
    merged = dict(usage or {})
    merged.update({key: value for key, value in update.items() if value is not None})
    return merged
