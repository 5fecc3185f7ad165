"""OpenAI Chat Completions usage ↔ neutral `Usage`.

OpenAI's `prompt_tokens` includes the cached part (`prompt_tokens_details.cached_tokens`,
and `cache_creation_tokens` where a server reports cache writes); neutral `input` is fresh
input only. Converting keeps every count, and cache reads are never counted twice.

Choices:
- A reported usage splits the whole prompt: what is not said to be cached is fresh, so the
  cache counts are 0, not unknown, when the details are missing. Counts that are not
  non-negative integers read as 0; cached counts larger than the prompt are cut to it.
- `completion_tokens_details.reasoning_tokens` is the neutral `reasoning`, written back only
  when known.

Metering (`anyrouter_core.usage_meter`): a completion carries its usage in `usage`; a stream
in the chunk whose `usage` is an object (the last one, when the request asked for
`stream_options.include_usage`; other chunks carry `"usage": null` or nothing). There is no
count-tokens endpoint.
"""

from __future__ import annotations

from ...neutral import Usage
from ...sse import SSEEvent
from ..event_stream import holds_object_field, non_null_field_marker
from ..openai_common import usage_with_cache_inside


def usage_from_openai(usage: dict) -> Usage:
    return usage_with_cache_inside(
        usage, ("prompt_tokens", "prompt_tokens_details", "cache_creation_tokens", "completion_tokens", "completion_tokens_details"))


def openai_usage(usage: Usage) -> dict:
    prompt = usage.prompt_total
    output = usage.output or 0
    prompt_details: dict = {"cached_tokens": usage.cache_read or 0}
    if usage.cache_write:
        prompt_details["cache_creation_tokens"] = usage.cache_write
    written = {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": prompt_details,
    }
    if usage.reasoning is not None:
        written["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning}
    return written


def is_reported(usage: Usage | None) -> bool:
    return usage is not None and any(count is not None for count in usage.counts())



# ---------------------------------------------------------------- metering

# In the raw bytes of every event `may_carry_usage` accepts (and of few others).
USAGE_MARKER = non_null_field_marker("usage")

USAGE_EVENT_NAMES = None  # chunks have no event names


def answer_usage(body: object) -> Usage | None:
    """The usage of a finished completion; None when it has none (an error)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage_from_openai(usage) if isinstance(usage, dict) else None


def may_carry_usage(event: SSEEvent) -> bool:
    """Whether a chunk can carry usage, told without parsing it: a `usage` object."""
    return holds_object_field(event.data, "usage")


def event_usage(event: dict) -> Usage | None:
    usage = event.get("usage")
    return usage_from_openai(usage) if isinstance(usage, dict) else None


def token_count_usage(body: object) -> Usage | None:
    return None  # Chat Completions has no count-tokens endpoint
