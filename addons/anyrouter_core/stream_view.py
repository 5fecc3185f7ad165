"""A `text/event-stream` body made readable: one row per event and, for LLM streams, a summary.

`view_stream(body)` decodes a whole body (as saved in a flow) into rows, one per event: the
event's name (None when it has none, as in OpenAI streams) and its data, pretty-printed when
it is JSON and as it came otherwise (`[DONE]`, a truncated line, plain text).

When the events are those of a stream of a protocol in the registry (the first event its
codec recognises decides), that codec's summariser (`codecs/<protocol>/stream_view.py`)
assembles what the client was told: the text, the thinking (Anthropic `thinking_delta`, OpenAI `reasoning_content` or
`reasoning`), the tool calls (name, id and the arguments joined from their deltas, keyed by
block index or tool-call index), the stop or finish reason, the usage (Anthropic: the
`message_start` usage updated by `message_delta`; OpenAI: the last usage chunk) and errors.
Only the first choice of an OpenAI stream is summarised (anyrouter never asks for more).

`render(view)` is the text mitmweb shows: rows first, the summary at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .codecs.stream_summary import StreamSummary, ToolCall
from .protocols import PROTOCOLS, Protocol, protocol_named
from .sse import SSEDecoder, SSEEvent

__all__ = ["Row", "StreamSummary", "StreamView", "ToolCall", "render", "render_summary", "view_stream"]


@dataclass(frozen=True, slots=True)
class Row:
    event: str | None
    """The SSE event name; None when the event has none (OpenAI chunks, `[DONE]`)."""
    data: str
    """The data as pretty JSON (two-space indent, non-ASCII kept) when it parses, else as is."""


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
    summary = protocol.codec.summarise_stream(events, parsed) if protocol is not None else None
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


def _protocol_of(events: list[SSEEvent], parsed: list[object]) -> Protocol | None:
    """The protocol of the first event that one of the registry's protocols recognises."""
    for event, value in zip(events, parsed):
        if isinstance(value, dict):
            for protocol in PROTOCOLS.values():
                if protocol.codec.is_stream_event(event, value):
                    return protocol
    return None


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
    lines = [f"# summary: {protocol_named(summary.protocol).title} stream"]
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
