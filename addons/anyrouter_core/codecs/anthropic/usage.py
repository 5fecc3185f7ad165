"""Anthropic usage and stop reasons ↔ neutral.

Anthropic's `input_tokens` is already fresh input only, with cache reads and writes counted
apart, so the counts map one to one; Anthropic reports no reasoning count. Its stop reasons
are the neutral vocabulary.

Choices:
- A count that is not a non-negative integer is read as not reported.
- Where a client reads a whole usage object (a message, `message_start`) all four counts are
  written, 0 for those not reported, and `input_tokens` falls back to the given estimate
  (Claude Code crashes on a `message_start` without it). A `message_delta` carries only the
  counts reported, because the SDK lets every count in it replace the one from
  `message_start`; when nothing at all was reported it carries the estimate and zeros.
- A stop reason outside the neutral vocabulary is written as `end_turn`.

Metering (`anyrouter_core.usage_meter`): a message carries its usage in `usage`; a stream in
`message_start` (`message.usage`, the input counts) and `message_delta` (`usage`, the final
output count, sometimes the input counts again), each replacing what came before; a
`count_tokens` answer is `{"input_tokens": N}`, the whole input, cached or not.
"""

from __future__ import annotations

from ...neutral import StopReason, Usage
from ...sse import SSEEvent
from ..event_stream import holds_object_field, non_null_field_marker, token_count

_FIELDS = (
    ("input", "input_tokens"),
    ("cache_read", "cache_read_input_tokens"),
    ("cache_write", "cache_creation_input_tokens"),
    ("output", "output_tokens"),
)
KNOWN_STOP_REASONS = frozenset(
    value for name, value in vars(StopReason).items() if name.isupper() and isinstance(value, str)
)


def usage_from_anthropic(usage: dict) -> Usage:
    return Usage(**{neutral: token_count(usage.get(wire)) for neutral, wire in _FIELDS})


def anthropic_usage(usage: Usage | None, input_fallback: int) -> dict:
    """All four counts, as a message and `message_start` carry them."""
    usage = usage or Usage()
    written = {wire: getattr(usage, neutral) or 0 for neutral, wire in _FIELDS}
    if usage.input is None:
        written["input_tokens"] = input_fallback
    return written


def anthropic_delta_usage(usage: Usage | None, input_fallback: int) -> dict:
    """The counts a `message_delta` carries."""
    if usage is None or all(count is None for count in usage.counts()):
        return anthropic_usage(None, input_fallback)
    written = {wire: getattr(usage, neutral) for neutral, wire in _FIELDS if getattr(usage, neutral) is not None}
    written.setdefault("output_tokens", 0)
    return written


def anthropic_stop_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None or stop_reason in KNOWN_STOP_REASONS:
        return stop_reason
    return StopReason.END_TURN


# ---------------------------------------------------------------- metering

# In the raw bytes of every event `may_carry_usage` accepts (and of few others).
USAGE_MARKER = non_null_field_marker("usage")

# The names of the events that can carry usage.
USAGE_EVENT_NAMES = frozenset(("message_start", "message_delta"))


def answer_usage(body: object) -> Usage | None:
    """The usage of a finished message; None when it has none (an error)."""
    usage = body.get("usage") if isinstance(body, dict) else None
    return usage_from_anthropic(usage) if isinstance(usage, dict) else None


def may_carry_usage(event: SSEEvent) -> bool:
    """Whether a stream event can carry usage, told without parsing it: only `message_start`
    and `message_delta` do (by their event name when they have one), with a usage object."""
    return (event.event is None or event.event in USAGE_EVENT_NAMES) and holds_object_field(event.data, "usage")


def event_usage(event: dict) -> Usage | None:
    """The usage a parsed stream event carries, counts not reported left None."""
    kind = event.get("type")
    if kind == "message_start":
        message = event.get("message")
        usage = message.get("usage") if isinstance(message, dict) else None
    elif kind == "message_delta":
        usage = event.get("usage")
    else:
        return None
    return usage_from_anthropic(usage) if isinstance(usage, dict) else None


def token_count_usage(body: object) -> Usage | None:
    """The input count of a `count_tokens` answer."""
    count = token_count(body.get("input_tokens")) if isinstance(body, dict) else None
    return Usage(input=count) if count is not None else None
