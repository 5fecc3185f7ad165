"""The registry of protocols: every "which protocol is this" decision is made here or in a
codec, nowhere else.

A `Protocol` names its codec (request, answer, stream and error forms) and the facts the
proxy needs around it: the path its requests go to upstream, the header an upstream key
travels in, the headers only its clients send, the headers its upstream requires, and how to
read the facts of a client's request that answering it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from .codecs.anthropic import answer as anthropic_answer
from .codecs.anthropic import request_decode as anthropic_decode
from .codecs.anthropic import request_encode as anthropic_encode
from .codecs.anthropic.stream_decoder import AnthropicStreamDecoder
from .codecs.anthropic.stream_encoder import AnthropicStreamEncoder
from .codecs.base import Exchange
from .codecs.exchange import exchange_from_body
from .codecs.openai_chat import answer as openai_answer
from .codecs.openai_chat import request_decode as openai_decode
from .codecs.openai_chat import request_encode as openai_encode
from .codecs.openai_chat.stream_decoder import OpenAIChatStreamDecoder
from .codecs.openai_chat.stream_encoder import OpenAIChatStreamEncoder
from .errors import ANTHROPIC, OPENAI
from .token_estimate import estimate_input_tokens


@dataclass(frozen=True, slots=True)
class Protocol:
    name: str
    request_noun: str  # what a request of the protocol is called, for error messages
    codec: SimpleNamespace
    upstream_path: str
    key_header: str
    key_scheme: str  # what precedes the key in its header ("Bearer " or nothing)
    client_only_headers: tuple[str, ...]
    upstream_headers: tuple[tuple[str, str], ...]
    exchange_of: Callable[[dict, int], Exchange]
    stream_fields: tuple[str, ...]  # the request fields that ask for a stream

    def credential_header(self, key: str) -> tuple[str, str]:
        return self.key_header, f"{self.key_scheme}{key}"

    def without_streaming(self, body: dict) -> dict:
        return {name: value for name, value in body.items() if name not in self.stream_fields}


def _codec(decode, encode, answer, stream_decoder, stream_encoder) -> SimpleNamespace:
    """A codec as one object: its request, answer and stream halves (separate modules)."""
    return SimpleNamespace(
        decode_request=decode.decode_request,
        encode_request=encode.encode_request,
        decode_answer=answer.decode_answer,
        encode_answer=answer.encode_answer,
        stream_decoder=stream_decoder,
        stream_encoder=stream_encoder,
    )


def _anthropic_exchange(body: dict, created: int) -> Exchange:
    return exchange_from_body(
        body, created=created, stop_field="stop_sequences", estimated_input_tokens=estimate_input_tokens(body)
    )


def _openai_exchange(body: dict, created: int) -> Exchange:
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    return exchange_from_body(body, created=created, stop_field="stop", include_usage=include_usage)


PROTOCOLS: dict[str, Protocol] = {
    ANTHROPIC: Protocol(
        name=ANTHROPIC,
        request_noun="a Messages request",
        codec=_codec(anthropic_decode, anthropic_encode, anthropic_answer, AnthropicStreamDecoder, AnthropicStreamEncoder),
        upstream_path="/v1/messages",
        key_header="x-api-key",
        key_scheme="",
        client_only_headers=("anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access"),
        upstream_headers=(("anthropic-version", "2023-06-01"),),
        exchange_of=_anthropic_exchange,
        stream_fields=("stream",),
    ),
    OPENAI: Protocol(
        name=OPENAI,
        request_noun="a Chat Completions request",
        codec=_codec(openai_decode, openai_encode, openai_answer, OpenAIChatStreamDecoder, OpenAIChatStreamEncoder),
        upstream_path="/v1/chat/completions",
        key_header="authorization",
        key_scheme="Bearer ",
        client_only_headers=("openai-organization", "openai-project", "openai-beta"),
        upstream_headers=(),
        exchange_of=_openai_exchange,
        stream_fields=("stream", "stream_options"),
    ),
}


def protocol_named(name: str) -> Protocol:
    return PROTOCOLS[name]
