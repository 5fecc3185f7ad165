"""Gemini `usageMetadata` ↔ neutral `Usage`.

Gemini's `promptTokenCount` includes the cached part (`cachedContentTokenCount`), and the
tokens of tool results it fetched itself are apart (`toolUsePromptTokenCount`);
`candidatesTokenCount` excludes the thinking (`thoughtsTokenCount`). Neutral `input` is
fresh input only and neutral `output` includes the reasoning, so:

    input = promptTokenCount − cachedContentTokenCount + toolUsePromptTokenCount
    cache_read = cachedContentTokenCount
    output = candidatesTokenCount + thoughtsTokenCount,  reasoning = thoughtsTokenCount

Choices:
- Reading: a count that is not a non-negative integer is not reported; when the prompt is
  reported what is not said to be cached is fresh (cache read 0, not unknown), and a cached
  count larger than the prompt is cut to it. Gemini has no cache writes.
- Writing: `promptTokenCount` is every input token (so a tool-use prompt count read from a
  Gemini upstream comes back inside it), `candidatesTokenCount` the output without the
  reasoning, `cachedContentTokenCount` and `thoughtsTokenCount` only when not zero, as
  Gemini writes them; `totalTokenCount` their sum.

Metering (`anyrouter_core.usage_meter`): an answer carries its usage in `usageMetadata`; a
stream in the `usageMetadata` of its chunks, each a running total (the last one wins);
chunks have no event names. A `countTokens` answer is `{"totalTokens": N}`, the whole input.
"""

from __future__ import annotations

from ...neutral import Usage
from ...sse import SSEEvent
from ..event_stream import holds_object_field, non_null_field_marker, token_count

USAGE_FIELD = "usageMetadata"


def usage_from_gemini(metadata: dict) -> Usage:
    prompt = token_count(metadata.get("promptTokenCount"))
    cached = token_count(metadata.get("cachedContentTokenCount"))
    tool_prompt = token_count(metadata.get("toolUsePromptTokenCount"))
    candidates = token_count(metadata.get("candidatesTokenCount"))
    thoughts = token_count(metadata.get("thoughtsTokenCount"))
    if prompt is not None:
        cached = min(cached or 0, prompt)
    fresh = None if prompt is None and tool_prompt is None else (prompt or 0) - (cached or 0) + (tool_prompt or 0)
    output = None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    return Usage(input=fresh, cache_read=cached, output=output, reasoning=thoughts)


def input_usage(usage: Usage) -> Usage:
    """Only the input counts of `usage` (what a stream's start knows)."""
    return Usage(input=usage.input, cache_read=usage.cache_read, cache_write=usage.cache_write)


def gemini_usage(usage: Usage) -> dict:
    prompt = usage.prompt_total
    output = usage.output or 0
    reasoning = min(usage.reasoning or 0, output)
    written = {"promptTokenCount": prompt, "candidatesTokenCount": output - reasoning}
    if usage.cache_read:
        written["cachedContentTokenCount"] = usage.cache_read
    if reasoning:
        written["thoughtsTokenCount"] = reasoning
    written["totalTokenCount"] = prompt + output
    return written


# ---------------------------------------------------------------- metering

# In the raw bytes of every chunk `may_carry_usage` accepts (and of few others).
USAGE_MARKER = non_null_field_marker(USAGE_FIELD)

USAGE_EVENT_NAMES = None  # chunks have no event names


def answer_usage(body: object) -> Usage | None:
    """The usage of a finished answer; None when it has none (an error)."""
    metadata = body.get(USAGE_FIELD) if isinstance(body, dict) else None
    return usage_from_gemini(metadata) if isinstance(metadata, dict) else None


def may_carry_usage(event: SSEEvent) -> bool:
    """Whether a chunk can carry usage, told without parsing it: a `usageMetadata` object."""
    return holds_object_field(event.data, USAGE_FIELD)


def event_usage(event: dict) -> Usage | None:
    return answer_usage(event)


def token_count_usage(body: object) -> Usage | None:
    """The input count of a `countTokens` answer."""
    count = token_count(body.get("totalTokens")) if isinstance(body, dict) else None
    return Usage(input=count) if count is not None else None
