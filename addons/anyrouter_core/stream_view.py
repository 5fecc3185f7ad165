"""A `text/event-stream` body made readable: one row per event and, for LLM streams, a summary.

`view_stream(body)` decodes a whole body (as saved in a flow) into rows, one per event: the
event's name (None when it has none, as in OpenAI streams) and its data, pretty-printed when
it is JSON and as it came otherwise (`[DONE]`, a truncated line, plain text).

When the events are those of an Anthropic Messages stream (`message_start`,
`content_block_*`, `message_delta`, `message_stop`, `error`) or of an OpenAI Chat
Completions stream (`chat.completion.chunk` objects), a summary assembles what the client
was told: the text, the thinking (Anthropic `thinking_delta`, OpenAI `reasoning_content` or
`reasoning`), the tool calls (name, id and the arguments joined from their deltas, keyed by
block index or tool-call index), the stop or finish reason, the usage (Anthropic: the
`message_start` usage updated by `message_delta`; OpenAI: the last usage chunk) and errors.
Only the first choice of an OpenAI stream is summarised (anyrouter never asks for more).

`render(view)` is the text mitmweb shows: rows first, the summary at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .sse import SSEDecoder, SSEEvent

ANTHROPIC = "anthropic"
OPENAI = "openai"
PROTOCOL_NAMES = {ANTHROPIC: "Anthropic Messages", OPENAI: "OpenAI Chat Completions"}

_ANTHROPIC_EVENT_TYPES = frozenset(
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


@dataclass(frozen=True, slots=True)
class Row:
    event: str | None
    """The SSE event name; None when the event has none (OpenAI chunks, `[DONE]`)."""
    data: str
    """The data as pretty JSON (two-space indent, non-ASCII kept) when it parses, else as is."""


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    id: str
    arguments: str
    """The arguments as the stream delivered them, joined: JSON text when complete."""


@dataclass(slots=True)
class StreamSummary:
    protocol: str
    """`anthropic` or `openai`."""
    model: str | None = None
    text: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    """Anthropic `stop_reason` or OpenAI `finish_reason`, the last one seen."""
    stop_sequence: str | None = None
    usage: dict | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StreamView:
    rows: list[Row]
    summary: StreamSummary | None


def view_stream(body: bytes) -> StreamView:
    decoder = SSEDecoder()
    events = decoder.feed(body) + decoder.end()
    parsed = [_parse(event.data) for event in events]
    rows = [Row(event.event, _pretty(event.data, value)) for event, value in zip(events, parsed)]
    protocol = _protocol_of(events, parsed)
    if protocol == ANTHROPIC:
        summary: StreamSummary | None = _summarise_anthropic(events, parsed)
    elif protocol == OPENAI:
        summary = _summarise_openai(parsed)
    else:
        summary = None
    return StreamView(rows, summary)


_NOT_JSON = object()


def _parse(data: str) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return _NOT_JSON


def _pretty(data: str, value: object) -> str:
    if value is _NOT_JSON:
        return data
    return json.dumps(value, indent=2, ensure_ascii=False)


def _protocol_of(events: list[SSEEvent], parsed: list[object]) -> str | None:
    for event, value in zip(events, parsed):
        if not isinstance(value, dict):
            continue
        if value.get("object") == "chat.completion.chunk":
            return OPENAI
        kind = value.get("type", event.event)
        if isinstance(kind, str) and kind in _ANTHROPIC_EVENT_TYPES and (kind != "error" or isinstance(value.get("error"), dict)):
            return ANTHROPIC
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _error_line(error: object) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        message = message if isinstance(message, str) else json.dumps(error, ensure_ascii=False)
        kind = error.get("type") or error.get("code")
        return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    return error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)


@dataclass(slots=True)
class _Block:
    kind: str
    text: list[str] = field(default_factory=list)
    name: str = ""
    id: str = ""
    initial_input: object = None


def _merge_usage(usage: dict | None, update: object) -> dict | None:
    if not isinstance(update, dict):
        return usage
    merged = dict(usage or {})
    merged.update({key: value for key, value in update.items() if value is not None})
    return merged


def _summarise_anthropic(events: list[SSEEvent], parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(ANTHROPIC)
    blocks: dict[int, _Block] = {}
    for event, value in zip(events, parsed):
        if not isinstance(value, dict):
            continue
        kind = value.get("type", event.event)
        if kind == "message_start":
            message = value.get("message")
            if isinstance(message, dict):
                if isinstance(message.get("model"), str):
                    summary.model = message["model"]
                summary.usage = _merge_usage(summary.usage, message.get("usage"))
        elif kind == "content_block_start":
            block = value.get("content_block")
            index = value.get("index", len(blocks))
            if not isinstance(block, dict) or not isinstance(index, int):
                continue
            new = _Block(_text(block.get("type")))
            if new.kind == "text":
                new.text.append(_text(block.get("text")))
            elif new.kind == "thinking":
                new.text.append(_text(block.get("thinking")))
            elif new.kind.endswith("tool_use"):
                new.name, new.id = _text(block.get("name")), _text(block.get("id"))
                new.initial_input = block.get("input")
            blocks[index] = new
        elif kind == "content_block_delta":
            delta = value.get("delta")
            index = value.get("index")
            block = blocks.get(index) if isinstance(index, int) else None
            if block is None or not isinstance(delta, dict):
                continue
            delta_kind = delta.get("type")
            if delta_kind == "text_delta":
                block.text.append(_text(delta.get("text")))
            elif delta_kind == "thinking_delta":
                block.text.append(_text(delta.get("thinking")))
            elif delta_kind == "input_json_delta":
                block.text.append(_text(delta.get("partial_json")))
        elif kind == "message_delta":
            delta = value.get("delta")
            if isinstance(delta, dict):
                if delta.get("stop_reason") is not None:
                    summary.stop_reason = str(delta["stop_reason"])
                if delta.get("stop_sequence") is not None:
                    summary.stop_sequence = str(delta["stop_sequence"])
            summary.usage = _merge_usage(summary.usage, value.get("usage"))
        elif kind == "error":
            summary.errors.append(_error_line(value.get("error")))
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
    return summary


@dataclass(slots=True)
class _OpenAICall:
    name: str = ""
    id: str = ""
    arguments: list[str] = field(default_factory=list)


def _summarise_openai(parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(OPENAI)
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, _OpenAICall] = {}
    for value in parsed:
        if not isinstance(value, dict):
            continue
        if "error" in value and value["error"] is not None:
            summary.errors.append(_error_line(value["error"]))
        if summary.model is None and isinstance(value.get("model"), str) and value["model"]:
            summary.model = value["model"]
        if isinstance(value.get("usage"), dict):
            summary.usage = value["usage"]
        choices = value.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason") is not None:
                summary.stop_reason = str(choice["finish_reason"])
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            text.append(_text(delta.get("content")))
            thinking.append(_text(delta.get("reasoning_content")) or _text(delta.get("reasoning")))
            tool_calls = delta.get("tool_calls")
            for piece in tool_calls if isinstance(tool_calls, list) else ():
                if not isinstance(piece, dict):
                    continue
                index = piece.get("index")
                if not isinstance(index, int):
                    index = _position_key(calls, piece)
                call = calls.setdefault(index, _OpenAICall())
                call.id = call.id or _text(piece.get("id"))
                function = piece.get("function")
                if isinstance(function, dict):
                    call.name = call.name or _text(function.get("name"))
                    call.arguments.append(_text(function.get("arguments")))
    summary.text = "".join(text)
    summary.thinking = "".join(thinking)
    summary.tool_calls = [
        ToolCall(call.name, call.id, "".join(call.arguments)) for _, call in sorted(calls.items())
    ]
    return summary


def _position_key(calls: dict[int, _OpenAICall], piece: dict) -> int:
    """A tool call without `index`: a new id starts a call, anything else continues the last."""
    piece_id = _text(piece.get("id"))
    for index, call in calls.items():
        if piece_id and call.id == piece_id:
            return index
    if piece_id or not calls:
        return max(calls, default=-1) + 1
    return max(calls)


def render(view: StreamView) -> str:
    parts: list[str] = []
    for number, row in enumerate(view.rows, start=1):
        head = f"# event {number}: {row.event}" if row.event is not None else f"# event {number}"
        parts.append(f"{head}\n{row.data}" if row.data else head)
    if not view.rows:
        parts.append("# no events")
    if view.summary is not None:
        parts.append(render_summary(view.summary))
    return "\n\n".join(parts) + "\n"


def render_summary(summary: StreamSummary) -> str:
    lines = [f"# summary: {PROTOCOL_NAMES[summary.protocol]} stream"]
    if summary.model is not None:
        lines.append(f"model: {summary.model}")
    if summary.thinking:
        lines += _block("thinking", summary.thinking)
    lines += _block("text", summary.text)
    if summary.tool_calls:
        lines.append("tool calls:")
        for call in summary.tool_calls:
            lines.append(f"  - name: {call.name}")
            lines.append(f"    id: {call.id}")
            lines.append(f"    arguments: {_arguments(call.arguments)}")
    lines.append(f"stop reason: {summary.stop_reason if summary.stop_reason is not None else 'none'}")
    if summary.stop_sequence is not None:
        lines.append(f"stop sequence: {json.dumps(summary.stop_sequence, ensure_ascii=False)}")
    usage = json.dumps(summary.usage, ensure_ascii=False) if summary.usage is not None else "none"
    lines.append(f"usage: {usage}")
    if summary.errors:
        lines.append("errors:")
        lines += [f"  - {error}" for error in summary.errors]
    return "\n".join(lines)


def _block(label: str, text: str) -> list[str]:
    """`label: |` and the text indented below it; an empty text is `label: ""`."""
    if not text:
        return [f'{label}: ""']
    return [f"{label}: |", *(f"  {line}" for line in text.split("\n"))]


def _arguments(arguments: str) -> str:
    if not arguments:
        return '""'
    try:
        value = json.loads(arguments)
    except ValueError:
        return f"{json.dumps(arguments, ensure_ascii=False)}  # not complete JSON"
    return json.dumps(value, ensure_ascii=False)
