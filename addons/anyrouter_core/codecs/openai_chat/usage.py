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
"""

from __future__ import annotations

from ...neutral import Usage
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

