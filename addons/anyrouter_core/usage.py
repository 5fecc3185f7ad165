"""Token usage in both protocols.

Anthropic's `input_tokens` leaves out cache reads and cache writes, which it counts apart;
OpenAI's `prompt_tokens` includes them, with the cached part in
`prompt_tokens_details.cached_tokens`. Converting keeps every count.
"""

from __future__ import annotations


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def openai_usage_from_anthropic(usage: dict | None) -> dict:
    usage = usage or {}
    fresh = _count(usage.get("input_tokens"))
    cache_read = _count(usage.get("cache_read_input_tokens"))
    cache_write = _count(usage.get("cache_creation_input_tokens"))
    output = _count(usage.get("output_tokens"))
    prompt = fresh + cache_read + cache_write
    details: dict = {"cached_tokens": cache_read}
    if cache_write:
        details["cache_creation_tokens"] = cache_write
    return {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": details,
    }


def anthropic_usage_from_openai(usage: dict | None) -> dict:
    usage = usage or {}
    prompt = _count(usage.get("prompt_tokens"))
    details = usage.get("prompt_tokens_details") or {}
    if not isinstance(details, dict):
        details = {}
    cache_read = min(_count(details.get("cached_tokens")), prompt)
    cache_write = min(_count(details.get("cache_creation_tokens")), prompt - cache_read)
    return {
        "input_tokens": prompt - cache_read - cache_write,
        "output_tokens": _count(usage.get("completion_tokens")),
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }
