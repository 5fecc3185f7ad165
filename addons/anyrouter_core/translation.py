"""Translation between any two protocols: decode with one codec, encode with the other.

A `Direction` is what the addon layer needs for one (client protocol, upstream protocol)
pair: where the request goes, its body for the upstream, the client's answer, a stream
translator, and the client's stream made from a finished answer (`force_non_stream`). It is
one generic class over the registry (`anyrouter_core.protocols`): no pair of protocols has
code of its own. A same-protocol pair translates nothing; only a finished answer turned into
a stream goes through the codecs then.
"""

from __future__ import annotations

from .call_signatures import CallSignatures, RememberingDecoder
from .codecs.base import EncodedRequest, EncodeOptions, Exchange
from .protocols import Protocol, protocol_named
from .sse import MAX_EVENT_SIZE
from .stream_translation import StreamTranslator, stream_from_answer


def translate_request(client: str, upstream: str, body: dict, options: EncodeOptions,
                      signatures: CallSignatures | None = None) -> EncodedRequest:
    """The upstream's request body for a client's; RequestRejected when it cannot be carried."""
    request = protocol_named(client).codec.decode_request(body)
    if signatures is not None:
        signatures.restore(request)
    return protocol_named(upstream).codec.encode_request(request, options)


class Direction:
    def __init__(self, client: str, upstream: str, signatures: CallSignatures | None = None) -> None:
        self.client: Protocol = protocol_named(client)
        self.upstream: Protocol = protocol_named(upstream)
        self.translates = client != upstream
        self.signatures = signatures

    @property
    def label(self) -> str:
        return f"{self.client.name}→{self.upstream.name}"

    def exchange_of(self, body: dict, created: int) -> Exchange:
        return self.client.exchange_of(body, created)

    def upstream_path(self, client_path: str) -> str:
        return self.upstream.upstream_path if self.translates else client_path

    def translate_request(self, body: dict, options: EncodeOptions) -> EncodedRequest:
        return translate_request(self.client.name, self.upstream.name, body, options, self.signatures)

    def translate_answer(self, body: object, exchange: Exchange) -> dict:
        return self.client.codec.encode_answer(self._upstream_answer(body, exchange), exchange)

    def stream_translator(self, exchange: Exchange, max_event_size: int = MAX_EVENT_SIZE) -> StreamTranslator:
        decoder = self.upstream.codec.stream_decoder(exchange, max_event_size)
        if self.signatures is not None:
            decoder = RememberingDecoder(decoder, self.signatures)
        return StreamTranslator(decoder, self.client.codec.stream_encoder(exchange))

    def stream_from_answer(self, body: object, exchange: Exchange) -> bytes:
        """The upstream's finished answer as the client's event stream."""
        answer = self._upstream_answer(body, exchange)
        return stream_from_answer(answer, self.client.codec.stream_encoder(exchange))

    def _upstream_answer(self, body: object, exchange: Exchange):
        answer = self.upstream.codec.decode_answer(body, exchange)
        if self.signatures is not None:
            self.signatures.remember_answer(answer)
        return answer

    def without_streaming(self, upstream_body: dict) -> dict:
        return self.upstream.without_streaming(upstream_body)
