"""OpenAI Responses usage ↔ neutral `Usage`.

Responses' `input_tokens` includes the cached part (`input_tokens_details.cached_tokens`, and
`cache_write_tokens` where reported); neutral `input` is fresh input only. `output_tokens`
includes `output_tokens_details.reasoning_tokens`.

Choices:
- Reading: what is not said to be cached is fresh; counts that are not non-negative integers
  read as 0; cached counts larger than the input are cut to it. A reasoning count is kept
  only when reported.
- Writing: every field the openai SDK's `ResponseUsage` requires, always (Codex fails on a
  malformed usage object), 0 for what was not reported.

Metering (`anyrouter_core.usage_meter`): a Response carries its usage in `usage`; a stream in
the `response` of its last event, `response.completed` (or `response.incomplete`, or
`response.failed` when it says how much was spent). Earlier events carry `"usage": null`.
There is no count-tokens endpoint.
"""

from __future__ import annotations

from ...neutral import Usage
from ...sse import SSEEvent
from ..event_stream import holds_object_field, non_null_field_marker
from ..openai_common import usage_with_cache_inside


def usage_from_responses(usage: dict) -> Usage:
    return usage_with_cache_inside(
        usage, ("input_tokens", "input_tokens_details", "cache_write_tokens", "output_tokens", "output_tokens_details"))


def responses_usage(usage: Usage) -> dict:
    total_input = usage.prompt_total
    output = usage.output or 0
    return {
        "input_tokens": total_input,
        "input_tokens_details": {"cached_tokens": usage.cache_read or 0, "cache_write_tokens": usage.cache_write or 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning or 0},
        "total_tokens": total_input + output,
    }



# ---------------------------------------------------------------- metering

# In the raw bytes of every event `may_carry_usage` accepts (and of few others).
USAGE_MARKER = non_null_field_marker("usage")

# The names of the events that can carry usage.
USAGE_EVENT_NAMES = frozenset(("response.completed", "response.incomplete", "response.failed"))


def answer_usage(body: object) -> Usage | None:
    """The usage of a finished Response; None when it has none (an error)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage_from_responses(usage) if isinstance(usage, dict) else None


def may_carry_usage(event: SSEEvent) -> bool:
    """Whether a stream event can carry usage, told without parsing it: only the last
    events do (by their event name when they have one), with a usage object."""
    return (event.event is None or event.event in USAGE_EVENT_NAMES) and holds_object_field(event.data, "usage")


def event_usage(event: dict) -> Usage | None:
    if event.get("type") not in USAGE_EVENT_NAMES:
        return None
    response = event.get("response")
    return answer_usage(response)


def token_count_usage(body: object) -> Usage | None:
    return None  # Responses has no count-tokens endpoint
