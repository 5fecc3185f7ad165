"""How Anthropic `stop_reason` and OpenAI `finish_reason` correspond."""

from __future__ import annotations

_FINISH_BY_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

_STOP_BY_FINISH = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def finish_reason_for(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return _FINISH_BY_STOP.get(stop_reason, "stop")


def stop_reason_for(finish_reason: str | None, matched_stop_sequence: str | None = None) -> str:
    """An OpenAI `stop` caused by one of the request's stop sequences is `stop_sequence`."""
    if finish_reason == "stop" and matched_stop_sequence is not None:
        return "stop_sequence"
    return _STOP_BY_FINISH.get(finish_reason or "stop", "end_turn")
