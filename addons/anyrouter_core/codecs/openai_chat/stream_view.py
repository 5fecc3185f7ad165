"""An OpenAI Chat Completions stream summarised for the "Event Stream" view: the first
choice's content and reasoning (`reasoning_content` or `reasoning`) joined, its tool calls
keyed by tool-call index (or position) with their argument pieces joined, the last finish
reason, the last usage chunk, and error chunks. anyrouter never asks for more than one choice."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import NAME
from ...sse import SSEEvent
from ..stream_summary import StreamSummary, ToolCall, error_line, text_of


def is_stream_event(event: SSEEvent, value: dict) -> bool:
    return value.get("object") == "chat.completion.chunk"


@dataclass(slots=True)
class _Call:
    name: str = ""
    id: str = ""
    arguments: list[str] = field(default_factory=list)


def summarise_stream(events: list[SSEEvent], parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(NAME)
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, _Call] = {}
    for value in parsed:
        if not isinstance(value, dict):
            continue
        _read_chunk_fields(summary, value)
        choices = value.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            if choice.get("finish_reason") is not None:
                summary.stop_reason = str(choice["finish_reason"])
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            text.append(text_of(delta.get("content")))
            thinking.append(text_of(delta.get("reasoning_content")) or text_of(delta.get("reasoning")))
            tool_calls = delta.get("tool_calls")
            for piece in tool_calls if isinstance(tool_calls, list) else ():
                if isinstance(piece, dict):
                    _add_tool_call_piece(calls, piece)
    summary.text = "".join(text)
    summary.thinking = "".join(thinking)
    summary.tool_calls = [ToolCall(call.name, call.id, "".join(call.arguments)) for _, call in sorted(calls.items())]
    return summary


def _read_chunk_fields(summary: StreamSummary, chunk: dict) -> None:
    """What a chunk says besides its choices: an error, the model (the first named), usage."""
    if "error" in chunk and chunk["error"] is not None:
        summary.errors.append(error_line(chunk["error"]))
    if summary.model is None and isinstance(chunk.get("model"), str) and chunk["model"]:
        summary.model = chunk["model"]
    if isinstance(chunk.get("usage"), dict):
        summary.usage = chunk["usage"]


def _add_tool_call_piece(calls: dict[int, _Call], piece: dict) -> None:
    index = piece.get("index")
    if not isinstance(index, int):
        index = _position_key(calls, piece)
    call = calls.setdefault(index, _Call())
    call.id = call.id or text_of(piece.get("id"))
    function = piece.get("function")
    if isinstance(function, dict):
        call.name = call.name or text_of(function.get("name"))
        call.arguments.append(text_of(function.get("arguments")))


def _position_key(calls: dict[int, _Call], piece: dict) -> int:
    """A tool call without `index`: a new id starts a call, anything else continues the last."""
    piece_id = text_of(piece.get("id"))
    for index, call in calls.items():
        if piece_id and call.id == piece_id:
            return index
    if piece_id or not calls:
        return max(calls, default=-1) + 1
    return max(calls)
