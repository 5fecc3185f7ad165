"""A Gemini stream summarised for the "Event Stream" view: the text and the thought text of
the first candidate's parts joined, its function calls (name, id, arguments as JSON), the
last `finishReason` (or the prompt's `blockReason`), the last `usageMetadata` (a running
total), the first `modelVersion`, and error chunks."""

from __future__ import annotations

from . import NAME
from ...sse import SSEEvent
from ..event_stream import compact_json
from ..stream_summary import StreamSummary, ToolCall, error_line, text_of
from .usage import USAGE_FIELD


def is_stream_event(event: SSEEvent, value: dict) -> bool:
    """Whether one parsed event is a Gemini chunk (an error only in Google's shape)."""
    if "type" in value or "object" in value:
        return False
    error = value.get("error")
    if isinstance(error, dict):
        return isinstance(error.get("status"), str)
    return isinstance(value.get("candidates"), list) or isinstance(value.get(USAGE_FIELD), dict)


def summarise_stream(events: list[SSEEvent], parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(NAME)
    text: list[str] = []
    thinking: list[str] = []
    for value in parsed:
        if not isinstance(value, dict):
            continue
        _read_chunk_fields(summary, value)
        candidates = value.get("candidates")
        candidate = candidates[0] if isinstance(candidates, list) and candidates else None
        if not isinstance(candidate, dict):
            continue
        if isinstance(candidate.get("finishReason"), str):
            summary.stop_reason = candidate["finishReason"]
        content = candidate.get("content")
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else ():
            if not isinstance(part, dict):
                continue
            (thinking if part.get("thought") is True else text).append(text_of(part.get("text")))
            if isinstance(part.get("functionCall"), dict):
                summary.tool_calls.append(_call(part["functionCall"]))
    summary.text = "".join(text)
    summary.thinking = "".join(thinking)
    return summary


def _read_chunk_fields(summary: StreamSummary, chunk: dict) -> None:
    """What a chunk says besides its candidate: an error, the model, usage, a blocked prompt."""
    if isinstance(chunk.get("error"), dict):
        summary.errors.append(error_line({**chunk["error"], "type": chunk["error"].get("status")}))
    if summary.model is None and isinstance(chunk.get("modelVersion"), str) and chunk["modelVersion"]:
        summary.model = chunk["modelVersion"]
    if isinstance(chunk.get(USAGE_FIELD), dict):
        summary.usage = chunk[USAGE_FIELD]
    feedback = chunk.get("promptFeedback")
    if isinstance(feedback, dict) and isinstance(feedback.get("blockReason"), str):
        summary.stop_reason = f"blocked: {feedback['blockReason']}"


def _call(call: dict) -> ToolCall:
    arguments = call.get("args")
    return ToolCall(text_of(call.get("name")), text_of(call.get("id")), compact_json(arguments) if arguments is not None else "")
