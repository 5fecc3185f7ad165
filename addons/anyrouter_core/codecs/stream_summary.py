"""What a stream's summary holds, for the "Event Stream" view (`anyrouter_core.stream_view`),
and the lenient readers every codec's summariser (`codecs/<protocol>/stream_view.py`) shares.

A summary reads what a client was told from a stream as saved in a flow, whatever state it is
in: a value of the wrong type counts as absent rather than failing the view.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    id: str
    arguments: str
    """The arguments as the stream delivered them, joined: JSON text when complete."""


@dataclass(slots=True)
class StreamSummary:
    protocol: str
    """The name of the protocol in the registry (`anthropic`, `openai`)."""
    model: str | None = None
    text: str = ""
    thinking: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    stop_reason: str | None = None
    """The protocol's stop reason (Anthropic `stop_reason`, OpenAI `finish_reason`), the last one seen."""
    stop_sequence: str | None = None
    usage: dict | None = None
    errors: list[str] = field(default_factory=list)


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def error_line(error: object) -> str:
    if isinstance(error, dict):
        message = error.get("message")
        message = message if isinstance(message, str) else json.dumps(error, ensure_ascii=False)
        kind = error.get("type") or error.get("code")
        return f"{kind}: {message}" if isinstance(kind, str) and kind else message
    return error if isinstance(error, str) else json.dumps(error, ensure_ascii=False)
