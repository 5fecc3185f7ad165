"""Streams between any two protocols: one codec's stream decoder feeding another's encoder,
and a finished answer told as a stream.

`StreamTranslator` is what the addon feeds the upstream's body pieces as they arrive; each
`feed()` returns the client's bytes those pieces complete (streaming is never buffered: a
decoder holds back only what the neutral event order forces). Once the stream has finished or
failed (`MessageStop` or `StreamError`) it returns nothing more; a decoder's `end()` reports
a stream cut before its end as a `StreamError`, so the client never takes it for a whole one.

`events_of_answer` is the one way a finished answer becomes events, for when the client asked
for a stream and the upstream was called without one (`force_non_stream`): each block is sent
whole in its `BlockStart`, and each encoder writes a whole block as its protocol does (one
delta each for Anthropic, one chunk for OpenAI).
"""

from __future__ import annotations

from .codecs.base import StreamDecoder, StreamEncoder
from .errors import ProxyError
from .neutral import Answer, BlockStart, BlockStop, Event, MessageDelta, MessageStart, MessageStop, StreamError, Usage


class StreamTranslator:
    """`error` is the error the stream ended with (the upstream's, or what the decoder could
    not read), None while it has not failed."""

    def __init__(self, decoder: StreamDecoder, encoder: StreamEncoder) -> None:
        self._decoder = decoder
        self._encoder = encoder
        self._ended = False
        self.error: ProxyError | None = None

    def feed(self, piece: bytes) -> bytes:
        if self._ended:
            return b""
        return self._encode(self._decoder.feed(piece))

    def end(self) -> bytes:
        if self._ended:
            return b""
        return self._encode(self._decoder.end())

    def _encode(self, events: list[Event]) -> bytes:
        for event in events:
            self._ended = self._ended or isinstance(event, (MessageStop, StreamError))
            if isinstance(event, StreamError):
                self.error = event.error
        return self._encoder.encode(events)


def events_of_answer(answer: Answer) -> list[Event]:
    """A finished answer as the events of a stream: the input counts open it (nothing is
    output yet), the full usage ends it."""
    usage = answer.usage
    opening = Usage(input=usage.input, cache_read=usage.cache_read, cache_write=usage.cache_write)
    events: list[Event] = [MessageStart(answer.id, answer.model, opening, answer.created)]
    for index, block in enumerate(answer.blocks):
        events += [BlockStart(index, block), BlockStop(index)]
    events += [MessageDelta(answer.stop_reason, answer.stop_sequence, usage), MessageStop()]
    return events


def stream_from_answer(answer: Answer, encoder: StreamEncoder) -> bytes:
    return encoder.encode(events_of_answer(answer))
