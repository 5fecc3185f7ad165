"""An OpenAI Responses stream summarised for the "Event Stream" view: the output text, the
reasoning (summary and raw text), the function and custom tool calls as their done items give
them (name, call_id, arguments or input; from the added item and deltas when the stream broke
off first), the final status (`completed`, or `incomplete: <reason>`), the usage of the final
response, and `response.failed` and `error` events."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import NAME
from ...sse import SSEEvent
from ..stream_summary import StreamSummary, ToolCall, error_line, text_of

_ENDINGS = ("response.completed", "response.incomplete", "response.failed")
_CALLS = ("function_call", "custom_tool_call")


def is_stream_event(event: SSEEvent, value: dict) -> bool:
    kind = value.get("type")
    if kind == "error":
        return "sequence_number" in value
    return isinstance(kind, str) and kind.startswith("response.") and "sequence_number" in value


@dataclass(slots=True)
class _Call:
    name: str = ""
    id: str = ""
    arguments: list[str] = field(default_factory=list)
    whole: str | None = None


def summarise_stream(events: list[SSEEvent], parsed: list[object]) -> StreamSummary:
    summary = StreamSummary(NAME)
    text: list[str] = []
    thinking: list[str] = []
    calls: dict[int, _Call] = {}
    for value in parsed:
        if not isinstance(value, dict):
            continue
        kind = value.get("type")
        if kind == "response.output_text.delta":
            text.append(text_of(value.get("delta")))
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            thinking.append(text_of(value.get("delta")))
        elif kind in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            _call_at(calls, value).arguments.append(text_of(value.get("delta")))
        elif kind in ("response.output_item.added", "response.output_item.done"):
            _read_call_item(calls, value)
        elif kind == "error":
            summary.errors.append(error_line(value))
        if isinstance(value.get("response"), dict):
            _read_response(summary, kind, value["response"])
    summary.text = "".join(text)
    summary.thinking = "".join(thinking)
    summary.tool_calls = [
        ToolCall(call.name, call.id, call.whole if call.whole is not None else "".join(call.arguments))
        for _, call in sorted(calls.items())
    ]
    return summary


def _call_at(calls: dict[int, _Call], value: dict) -> _Call:
    index = value.get("output_index")
    return calls.setdefault(index if isinstance(index, int) else len(calls), _Call())


def _read_call_item(calls: dict[int, _Call], value: dict) -> None:
    item = value.get("item")
    if not isinstance(item, dict) or item.get("type") not in _CALLS:
        return
    call = _call_at(calls, value)
    call.name = call.name or text_of(item.get("name"))
    call.id = call.id or text_of(item.get("call_id"))
    if value.get("type") == "response.output_item.done":
        call.whole = text_of(item.get("arguments" if item["type"] == "function_call" else "input"))


def _read_response(summary: StreamSummary, kind: object, response: dict) -> None:
    if summary.model is None and isinstance(response.get("model"), str) and response["model"]:
        summary.model = response["model"]
    if kind not in _ENDINGS:
        return
    status = text_of(response.get("status")) or str(kind).removeprefix("response.")
    details = response.get("incomplete_details")
    reason = details.get("reason") if isinstance(details, dict) else None
    summary.stop_reason = f"{status}: {reason}" if isinstance(reason, str) else status
    if isinstance(response.get("usage"), dict):
        summary.usage = response["usage"]
    if kind == "response.failed" and response.get("error") is not None:
        summary.errors.append(error_line(response["error"]))
