"""Translation between any two protocols: decode with the client's codec, encode with the
upstream's. The addon layer calls these; no pair of protocols has code of its own."""

from __future__ import annotations

from .codecs.base import EncodedRequest, EncodeOptions
from .protocols import codec_of


def translate_request(client: str, upstream: str, body: dict, options: EncodeOptions) -> EncodedRequest:
    """The upstream's request body for a client's; RequestRejected when it cannot be carried."""
    request = codec_of(client).decode_request(body)
    return codec_of(upstream).encode_request(request, options)
