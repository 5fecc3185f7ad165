"""Which translators serve a client of one protocol in front of an upstream of another.

A `Direction` bundles, for one (client protocol, upstream protocol) pair, everything the
addon layer needs: where the request goes, how its body, response body and event stream are
translated, and how a finished answer becomes a stream when the client asked for one but the
upstream was called without streaming (`force_non_stream`). Same-protocol pairs translate
nothing and only know how to turn a finished answer into a stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .anthropic_stream_from_message import anthropic_stream_from_message
from .anthropic_stream_to_openai import AnthropicToOpenAIStream
from .anthropic_to_openai_request import translate_anthropic_request
from .anthropic_to_openai_response import openai_completion_from_anthropic
from .errors import ANTHROPIC, OPENAI, ProxyError
from .openai_stream_from_completion import openai_stream_from_completion
from .openai_stream_to_anthropic import OpenAIToAnthropicStream
from .openai_to_anthropic_request import translate_openai_request
from .openai_to_anthropic_response import anthropic_message_from_openai
from .token_estimate import estimate_input_tokens
from .translated import TranslatedRequest

ANTHROPIC_PATH = "/v1/messages"
OPENAI_PATH = "/v1/chat/completions"


class StreamTranslator(Protocol):
    error: ProxyError | None
    """The error the stream ended with (an upstream error, an unreadable or too big event)."""

    def feed(self, piece: bytes) -> bytes: ...

    def end(self) -> bytes: ...


@dataclass(frozen=True, slots=True)
class ClientRequest:
    """What answering the client needs to remember from its request."""

    model: str
    stream: bool
    include_usage: bool
    stop_sequences: tuple[str, ...]
    estimated_input_tokens: int


def _stop_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def client_request_facts(client_protocol: str, body: dict) -> ClientRequest:
    model = body.get("model")
    stream = body.get("stream") is True
    if client_protocol == OPENAI:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return ClientRequest(model if isinstance(model, str) else "", stream, include_usage, _stop_list(body.get("stop")), 0)
    return ClientRequest(
        model if isinstance(model, str) else "",
        stream,
        False,
        _stop_list(body.get("stop_sequences")),
        estimate_input_tokens(body),
    )


class Direction:
    client: str
    upstream: str
    translates = True

    def upstream_path(self, client_path: str) -> str:
        return ANTHROPIC_PATH if self.upstream == ANTHROPIC else OPENAI_PATH

    def translate_request(self, body: dict, default_max_tokens: int) -> TranslatedRequest:
        raise NotImplementedError

    def translate_response(self, body: dict, facts: ClientRequest, created: int) -> dict:
        raise NotImplementedError

    def stream_translator(self, facts: ClientRequest, created: int, max_event_size: int) -> StreamTranslator:
        """`max_event_size`: the bound on one upstream event, in bytes (see `sse.SSEDecoder`)."""
        raise NotImplementedError

    def stream_from_answer(self, answer: dict, facts: ClientRequest) -> bytes:
        """A finished answer, already in the client's protocol, as the client's event stream."""
        if self.client == ANTHROPIC:
            return anthropic_stream_from_message(answer)
        return openai_stream_from_completion(answer, include_usage=facts.include_usage)

    def without_streaming(self, upstream_body: dict) -> dict:
        body = dict(upstream_body)
        body.pop("stream", None)
        body.pop("stream_options", None)
        return body


class OpenAIClientToAnthropic(Direction):
    client, upstream = OPENAI, ANTHROPIC

    def translate_request(self, body: dict, default_max_tokens: int) -> TranslatedRequest:
        return translate_openai_request(body, default_max_tokens=default_max_tokens)

    def translate_response(self, body: dict, facts: ClientRequest, created: int) -> dict:
        return openai_completion_from_anthropic(body, client_model=facts.model, created=created)

    def stream_translator(self, facts: ClientRequest, created: int, max_event_size: int) -> StreamTranslator:
        return AnthropicToOpenAIStream(
            client_model=facts.model,
            include_usage=facts.include_usage,
            created=created,
            max_event_size=max_event_size,
        )


class AnthropicClientToOpenAI(Direction):
    client, upstream = ANTHROPIC, OPENAI

    def translate_request(self, body: dict, default_max_tokens: int) -> TranslatedRequest:
        return translate_anthropic_request(body)

    def translate_response(self, body: dict, facts: ClientRequest, created: int) -> dict:
        return anthropic_message_from_openai(
            body, client_model=facts.model, stop_sequences=list(facts.stop_sequences)
        )

    def stream_translator(self, facts: ClientRequest, created: int, max_event_size: int) -> StreamTranslator:
        return OpenAIToAnthropicStream(
            client_model=facts.model,
            stop_sequences=list(facts.stop_sequences),
            estimated_input_tokens=facts.estimated_input_tokens,
            max_event_size=max_event_size,
        )


class SameProtocol(Direction):
    translates = False

    def __init__(self, protocol: str) -> None:
        self.client = self.upstream = protocol

    def upstream_path(self, client_path: str) -> str:
        return client_path

    def translate_response(self, body: dict, facts: ClientRequest, created: int) -> dict:
        return body


def direction_for(client: str, upstream: str) -> Direction:
    if client == upstream:
        return SameProtocol(client)
    return OpenAIClientToAnthropic() if client == OPENAI else AnthropicClientToOpenAI()
