"""Today's pairwise answer and stream translators, composed from the codecs.

The tests of the pairwise translators were written against these names and shapes; each is
now one codec's decoder followed by another's (or the same one's) encoder, through the
neutral model.
"""

from __future__ import annotations

from anyrouter_core.codecs.anthropic import answer as anthropic_answer
from anyrouter_core.codecs.anthropic.stream_decoder import AnthropicStreamDecoder
from anyrouter_core.codecs.anthropic.stream_encoder import AnthropicStreamEncoder
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.openai_chat import answer as openai_answer
from anyrouter_core.codecs.openai_chat.answer import completion_id_for
from anyrouter_core.codecs.openai_chat.stream_decoder import OpenAIChatStreamDecoder
from anyrouter_core.codecs.openai_chat.stream_encoder import OpenAIChatStreamEncoder
from anyrouter_core.sse import MAX_EVENT_SIZE
from anyrouter_core.stream_translation import StreamTranslator, stream_from_answer

__all__ = [
    "AnthropicToOpenAIStream", "OpenAIToAnthropicStream", "anthropic_message_from_openai",
    "anthropic_stream_from_message", "completion_id_for", "openai_completion_from_anthropic",
    "openai_stream_from_completion",
]


def AnthropicToOpenAIStream(  # noqa: N802 - named like the class it stands for
    *,
    client_model: str,
    include_usage: bool,
    created: int,
    completion_id: str | None = None,
    max_event_size: int = MAX_EVENT_SIZE,
) -> StreamTranslator:
    exchange = Exchange(model=client_model, stream=True, include_usage=include_usage, created=created, answer_id=completion_id)
    return StreamTranslator(AnthropicStreamDecoder(exchange, max_event_size), OpenAIChatStreamEncoder(exchange))


def OpenAIToAnthropicStream(  # noqa: N802 - named like the class it stands for
    *,
    client_model: str,
    stop_sequences: list[str] | None = None,
    message_id: str | None = None,
    estimated_input_tokens: int = 0,
    max_event_size: int = MAX_EVENT_SIZE,
) -> StreamTranslator:
    exchange = Exchange(
        model=client_model,
        stream=True,
        stop_sequences=tuple(stop_sequences or ()),
        estimated_input_tokens=estimated_input_tokens,
        answer_id=message_id,
    )
    return StreamTranslator(OpenAIChatStreamDecoder(exchange, max_event_size), AnthropicStreamEncoder(exchange))


def anthropic_message_from_openai(
    completion: dict, *, client_model: str, stop_sequences: list[str] | None = None, message_id: str | None = None
) -> dict:
    exchange = Exchange(model=client_model, stop_sequences=tuple(stop_sequences or ()), answer_id=message_id)
    return anthropic_answer.encode_answer(openai_answer.decode_answer(completion, exchange), exchange)


def openai_completion_from_anthropic(message: dict, *, client_model: str, created: int) -> dict:
    exchange = Exchange(model=client_model, created=created)
    return openai_answer.encode_answer(anthropic_answer.decode_answer(message, exchange), exchange)


def anthropic_stream_from_message(message: dict) -> bytes:
    exchange = Exchange()
    return stream_from_answer(anthropic_answer.decode_answer(message, exchange), AnthropicStreamEncoder(exchange))


def openai_stream_from_completion(completion: dict, *, include_usage: bool) -> bytes:
    exchange = Exchange(include_usage=include_usage)
    return stream_from_answer(openai_answer.decode_answer(completion, exchange), OpenAIChatStreamEncoder(exchange))
