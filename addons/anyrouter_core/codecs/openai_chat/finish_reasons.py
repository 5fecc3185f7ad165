"""How an OpenAI choice's end reads in neutral, and back.

Choices:
- `stop` caused by one of the request's stop sequences is `stop_sequence`; which one is known
  only when the choice names it (`stop_reason` in vLLM, `matched_stop` in SGLang) or the text
  still ends with it (servers that do not strip it). OpenAI and llama.cpp say only "stop":
  that is `end_turn`.
- A `stop` (or no reason) with tool calls in the output is `tool_use` (some servers say
  "stop" there); a refusal is `refusal`; an unknown finish reason is `end_turn`.
- Toward OpenAI, a neutral reason without an equivalent (pause_turn, unknown ones) is `stop`.
"""

from __future__ import annotations

from ...neutral import StopReason

_FINISH_BY_STOP = {
    StopReason.END_TURN: "stop",
    StopReason.STOP_SEQUENCE: "stop",
    StopReason.PAUSE_TURN: "stop",
    StopReason.MAX_TOKENS: "length",
    StopReason.CONTEXT_WINDOW: "length",
    StopReason.TOOL_USE: "tool_calls",
    StopReason.REFUSAL: "content_filter",
}

_STOP_BY_FINISH = {
    "stop": StopReason.END_TURN,
    "length": StopReason.MAX_TOKENS,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
    "content_filter": StopReason.REFUSAL,
}


def finish_reason_for(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return _FINISH_BY_STOP.get(stop_reason, "stop")


def neutral_stop(
    finish_reason: str | None, matched: str | None, *, used_tools: bool, refused: bool
) -> tuple[str, str | None]:
    """(stop_reason, stop_sequence) for the end of an OpenAI choice."""
    if refused:
        return StopReason.REFUSAL, None
    if used_tools and finish_reason in (None, "stop"):
        return StopReason.TOOL_USE, None
    if finish_reason == "stop" and matched is not None:
        return StopReason.STOP_SEQUENCE, matched
    return _STOP_BY_FINISH.get(finish_reason or "stop", StopReason.END_TURN), None


def matched_stop_sequence(choice: dict, text: str, stop_sequences: tuple[str, ...]) -> str | None:
    """Which of the client's stop sequences ended the output, when that is known."""
    sequences = [sequence for sequence in stop_sequences if isinstance(sequence, str) and sequence]
    if not sequences:
        return None
    for key in ("stop_reason", "matched_stop"):
        named = choice.get(key)
        if isinstance(named, str) and named in sequences:
            return named
    endings = [sequence for sequence in sequences if text.endswith(sequence)]
    return max(endings, key=len) if endings else None
