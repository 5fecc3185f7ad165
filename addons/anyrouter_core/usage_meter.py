"""How many tokens an answer took, read from the upstream's own usage fields (sans-IO).

Every protocol says it in its own words (`codecs/<protocol>/usage.py` reads them into the
neutral `Usage`: fresh input, cache read, cache write, output, reasoning); this module only
decides where to look:

- `usage_of_answer(protocol, body)`: a finished answer's body, parsed;
- `usage_of_token_count(protocol, body)`: a count-tokens answer (the input only);
- `StreamUsage(protocol)`: a stream, fed the upstream's raw body pieces as they arrive (split
  anywhere). Only the usage is kept, merged as the protocol's clients merge it (each count an
  event reports replaces the one before: Anthropic's `message_delta` after `message_start`).
  It is cheap on purpose, since it reads every stream the proxy passes on: a piece of whole
  events without the codec's `usage_marker` is not even decoded; an event that cannot carry
  usage (the codec's `may_carry_usage`, a test of the event's name and text) is never parsed; one whose name says so is not even held (`usage_event_names`); and at most one
  event is held, of at most `meter_event_size` bytes. An event over that bound is skipped
  unread, not fatal: the usage after it still counts.
- `usage_dict(usage)`: the plain form a flow shows (`FlowState.usage`).

A usage that reports no count at all is no usage (None), so that "not reported" never reads
as zero tokens.
"""

from __future__ import annotations

import json

from .neutral import Usage
from .protocols import protocol_named
from .sse import MAX_EVENT_SIZE, SSEDecoder, SSEEvent

USAGE_FIELDS = ("input", "cache_read", "cache_write", "output", "reasoning")
# The events that carry usage are small (a few hundred bytes), but for Responses' last one,
# which repeats the whole answer: 4 MiB holds any real one. A meter reads streams that a
# translator reads too; its own bound keeps the two together near `max_event_size`.
USAGE_EVENT_SIZE = 4 * 1024 * 1024
# How a piece of a stream that ends with an event ends (a blank line, LF or CRLF).
_EVENT_ENDS = (b"\n\n", b"\r\n\r\n")


def meter_event_size(max_event_size: int) -> int:
    """The most a stream meter holds of one event: `max_event_size` (0: no bound), but never
    more than `USAGE_EVENT_SIZE`."""
    return min(max_event_size, USAGE_EVENT_SIZE) if max_event_size else USAGE_EVENT_SIZE


def reported(usage: Usage | None) -> Usage | None:
    """`usage`, or None when it reports no count."""
    if usage is None or all(count is None for count in usage.counts()):
        return None
    return usage


def usage_of_answer(protocol: str, body: object) -> Usage | None:
    """The usage of a finished (not streamed) answer of `protocol`; None for a body without
    one (an error, something else)."""
    return reported(protocol_named(protocol).codec.answer_usage(body))


def usage_of_token_count(protocol: str, body: object) -> Usage | None:
    """The input tokens a count-tokens answer of `protocol` reports, as `Usage.input`."""
    return reported(protocol_named(protocol).codec.token_count_usage(body))


def usage_dict(usage: Usage | None, estimated: bool = False) -> dict | None:
    """`usage` as plain JSON for `FlowState.usage`: every field, None where not reported,
    and `"estimated": True` when the proxy estimated it."""
    usage = reported(usage)
    if usage is None:
        return None
    plain: dict = dict(zip(USAGE_FIELDS, usage.counts()))
    if estimated:
        plain["estimated"] = True
    return plain


class StreamUsage:
    """The usage of one event stream of `protocol`, as its pieces arrive.

    `feed(piece)` and, at the end of the body, `end()` return whether the usage changed;
    `usage` is what the stream reported so far (None while nothing): a stream cut or failed
    half-way keeps what it said before.
    """

    def __init__(self, protocol: str, max_event_size: int = MAX_EVENT_SIZE) -> None:
        codec = protocol_named(protocol).codec
        self._marker = codec.usage_marker
        self._may_carry_usage = codec.may_carry_usage
        self._event_usage = codec.event_usage
        names = codec.usage_event_names
        self._sse = SSEDecoder(
            meter_event_size(max_event_size), skip_oversize=True, keep_event=names.__contains__ if names else None
        )
        self.usage: Usage | None = None

    def feed(self, piece: bytes) -> bool:
        if piece.endswith(_EVENT_ENDS) and self._sse.at_event_boundary and not self._marker.search(piece):
            # Whole events (upstreams write one or a few at a time), none with usage: decoding
            # them would find nothing, and the decoder would be where it is now, between events.
            return False
        return self._read(self._sse.feed(piece))

    def end(self) -> bool:
        return self._read(self._sse.end())

    @property
    def skipped(self) -> int:
        """How many events were too large to hold (and went unread)."""
        return self._sse.skipped

    def _read(self, events: list[SSEEvent]) -> bool:
        changed = False
        for event in events:
            if not self._may_carry_usage(event):
                continue
            try:
                parsed = json.loads(event.data)
            except ValueError:
                continue  # not the meter's to report: whoever reads the stream does
            usage = reported(self._event_usage(parsed)) if isinstance(parsed, dict) else None
            if usage is not None:
                self.usage = usage if self.usage is None else self.usage.updated(usage)
                changed = True
        return changed


def usage_of_stream_body(protocol: str, body: bytes, max_event_size: int = MAX_EVENT_SIZE) -> Usage | None:
    """The usage of a whole event stream (one that was not streamed live)."""
    meter = StreamUsage(protocol, max_event_size)
    meter.feed(body)
    meter.end()
    return meter.usage
