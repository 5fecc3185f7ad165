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
"""

from __future__ import annotations

from ...neutral import Usage
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

