"""Checks and builders shared by the tests of the OpenAI-client → Anthropic-upstream translators.

The checks judge outputs with the official SDKs' own types, not with this project's idea of
the protocols: the Anthropic SDK's request params for translated requests, and the OpenAI
SDK's chunk model and stream accumulator for translated streams.
"""

from __future__ import annotations

import json

from anthropic.types.message_create_params import (
    MessageCreateParamsNonStreaming,
    MessageCreateParamsStreaming,
)
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk
from pydantic import TypeAdapter

from anyrouter_core.sse import SSEDecoder, encode_event

_NON_STREAMING = TypeAdapter(MessageCreateParamsNonStreaming)
_STREAMING = TypeAdapter(MessageCreateParamsStreaming)
# The SDK no longer lists the sampling parameters, which the API still takes for most models.
_REQUEST_KEYS = (
    MessageCreateParamsNonStreaming.__required_keys__
    | MessageCreateParamsNonStreaming.__optional_keys__
    | {"temperature", "top_p"}
)


def _materialize(value: object) -> object:
    # The SDK types its lists as Iterable, which pydantic validates lazily, item by item.
    if isinstance(value, dict):
        return {key: _materialize(item) for key, item in value.items()}
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    return [_materialize(item) for item in value]  # type: ignore[union-attr]


def assert_valid_anthropic_request(body: dict) -> None:
    unknown = set(body) - _REQUEST_KEYS
    assert not unknown, f"not Anthropic request parameters: {unknown}"
    adapter = _STREAMING if body.get("stream") is True else _NON_STREAMING
    _materialize(adapter.validate_python(body))


def sse_payloads(body: bytes) -> list[str]:
    """The data of every SSE event in a body, in order."""
    decoder = SSEDecoder()
    events = decoder.feed(body) + decoder.end()
    return [event.data for event in events]


def read_openai_stream(body: bytes) -> tuple[list[dict], str]:
    """(chunks validated as ChatCompletionChunk, how it ended: "[DONE]", "error" or "cut")."""
    payloads = sse_payloads(body)
    chunks: list[dict] = []
    for position, data in enumerate(payloads):
        is_last = position == len(payloads) - 1
        if data == "[DONE]":
            assert is_last, "events after [DONE]"
            return chunks, "[DONE]"
        chunk = json.loads(data)
        if "error" in chunk:
            assert is_last, "events after an error chunk"
            return chunks + [chunk], "error"
        ChatCompletionChunk.model_validate(chunk)
        chunks.append(chunk)
    return chunks, "cut"


def accumulate(chunks: list[dict]):
    """The completion the OpenAI SDK builds from these chunks.

    The snapshot rather than `get_final_completion()`, which refuses `length` and
    `content_filter` endings.
    """
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk))
    return state.current_completion_snapshot


def anthropic_stream(events: list[dict]) -> bytes:
    """An Anthropic Messages SSE body, each event named after its type as Anthropic does."""
    return b"".join(encode_event(json.dumps(event), event=event["type"]) for event in events)
