"""Arbitrary, mostly invalid, input to every translator (Gemini's decoders of client bodies,
answers and streams too): only `RequestRejected` may escape,
and whatever is returned is valid for the client. Run long with `scripts/fuzz`."""

from __future__ import annotations

import json

import anthropic
import openai
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from unit.pairs import AnthropicToOpenAIStream
from anyrouter_core.errors import RequestRejected
from unit.pairs import OpenAIToAnthropicStream
from unit.pairs import anthropic_message_from_openai
from anyrouter_core.sse import SSEDecoder, encode_event
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.gemini.answer import decode_answer as decode_gemini_answer
from anyrouter_core.codecs.gemini.request_decode import decode_request as decode_gemini_request
from anyrouter_core.codecs.gemini.stream_decoder import GeminiStreamDecoder
from anyrouter_core.neutral import MessageStop, StreamError


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)

completion_keys = st.sampled_from(
    ["id", "object", "model", "choices", "usage", "message", "content", "tool_calls", "finish_reason",
     "reasoning_content", "function", "arguments", "name", "index", "prompt_tokens", "completion_tokens"]
)
completion_ish = st.recursive(
    st.none() | st.integers(-3, 3) | st.text(max_size=8) | st.sampled_from(["stop", "length", "tool_calls", "{}"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(completion_keys, inner, max_size=5),
    max_leaves=25,
)

event_names = st.sampled_from(
    [None, "message_start", "content_block_start", "content_block_delta", "content_block_stop",
     "message_delta", "message_stop", "ping", "error"]
)
event_keys = st.sampled_from(
    ["type", "index", "delta", "content_block", "message", "usage", "text", "partial_json", "thinking",
     "choices", "finish_reason", "tool_calls", "id", "function", "arguments", "error", "stop_reason"]
)
event_data = st.recursive(
    st.none() | st.integers(-2, 3) | st.text(max_size=6)
    | st.sampled_from(["text", "tool_use", "thinking", "text_delta", "input_json_delta", "message_start"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(event_keys, inner, max_size=4),
    max_leaves=20,
)
streams = st.lists(
    st.tuples(event_names, event_data.map(json.dumps) | st.text(max_size=20) | st.just("[DONE]")),
    max_size=12,
).map(lambda events: b"".join(encode_event(data, name) for name, data in events))

anthropic_event = TypeAdapter(anthropic.types.RawMessageStreamEvent)


@given(json_values | completion_ish)
def test_any_body_as_an_openai_completion(body):
    try:
        message = anthropic_message_from_openai(body, client_model="claude-x")  # type: ignore[arg-type]
    except RequestRejected as rejected:
        assert rejected.error.status == 502
        return
    anthropic.types.Message.model_validate(message)


def _events(output: bytes):
    decoder = SSEDecoder()
    return decoder.feed(output) + decoder.end()


@given(streams | st.binary(max_size=300), st.booleans())
def test_any_stream_to_an_openai_client_ends_cleanly(body, include_usage):
    translator = AnthropicToOpenAIStream(client_model="gpt-x", include_usage=include_usage, created=1)
    output = translator.feed(body) + translator.end()
    events = _events(output)
    for event in events[:-1]:
        payload = json.loads(event.data)
        assert "error" not in payload
        openai.types.chat.ChatCompletionChunk.model_validate(payload)
    last = events[-1].data if events else ""
    assert last == "[DONE]" or "error" in json.loads(last)
    assert translator.feed(b"data: more\n\n") == b""


@given(streams | st.binary(max_size=300))
def test_any_stream_to_an_anthropic_client_ends_cleanly(body):
    translator = OpenAIToAnthropicStream(client_model="claude-x")
    output = translator.feed(body) + translator.end()
    events = _events(output)
    assert events, "a stream always ends with message_stop or an error"
    for event in events:
        payload = json.loads(event.data)
        assert event.event == payload["type"]
        if event.event == "error":
            TypeAdapter(anthropic.types.ErrorResponse).validate_python(payload)
        else:
            anthropic_event.validate_python(payload)
    assert events[-1].event in ("message_stop", "error")
    assert all(e.event != "error" for e in events[:-1])


# ---------------------------------------------------------------- Gemini, both sides

gemini_keys = st.sampled_from(
    ["model", "contents", "role", "parts", "text", "thought", "thoughtSignature", "functionCall", "functionResponse",
     "name", "args", "id", "response", "inlineData", "fileData", "mimeType", "data", "fileUri", "systemInstruction",
     "tools", "functionDeclarations", "parameters", "parametersJsonSchema", "toolConfig", "functionCallingConfig",
     "mode", "allowedFunctionNames", "generationConfig", "candidateCount", "maxOutputTokens", "thinkingConfig",
     "thinkingBudget", "responseMimeType", "responseSchema", "candidates", "content", "finishReason",
     "usageMetadata", "promptTokenCount", "candidatesTokenCount", "error", "code", "status", "message"]
)
gemini_ish = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 3) | st.text(max_size=8)
    | st.sampled_from(["user", "model", "STOP", "MAX_TOKENS", "AUTO", "ANY", "OBJECT", "STRING", "image/png", "iVBORw0KGgo="]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(gemini_keys, inner, max_size=5),
    max_leaves=25,
)
gemini_streams = st.lists(
    st.tuples(st.none(), gemini_ish.map(json.dumps) | st.text(max_size=20)),
    max_size=10,
).map(lambda events: b"".join(encode_event(data, name) for name, data in events))


@given(json_values | gemini_ish, st.text(max_size=10))
def test_any_body_from_a_gemini_client(body, model):
    """Only the codec's 400 escapes the decoder of a Gemini client's body (model lifted from the path)."""
    if isinstance(body, dict):
        body = {"model": model, **body}
    try:
        decode_gemini_request(body)  # type: ignore[arg-type]
    except RequestRejected as rejected:
        assert rejected.error.status == 400 and rejected.error.message
        assert rejected.error.message.split(":", 1)[0]


@given(json_values | gemini_ish)
def test_any_body_as_a_gemini_answer(body):
    try:
        decode_gemini_answer(body, Exchange())
    except RequestRejected as rejected:
        assert rejected.error.status >= 400 and rejected.error.message


@given(gemini_streams | st.binary(max_size=300), st.integers(1, 50))
def test_any_stream_from_a_gemini_upstream_ends_cleanly(body, piece):
    """Bytes in any cut into GeminiStreamDecoder: nothing raises, the events end with one
    MessageStop or one StreamError (nothing after it), and nothing comes after the end."""
    decoder = GeminiStreamDecoder(Exchange(), max_event_size=200)
    events = []
    for start in range(0, len(body), piece):
        events += decoder.feed(body[start:start + piece])
    events += decoder.end()
    assert events, "a stream always ends with MessageStop or a StreamError"
    assert isinstance(events[-1], (MessageStop, StreamError))
    assert not any(isinstance(e, (MessageStop, StreamError)) for e in events[:-1])
    assert decoder.feed(b"data: {}\n\n") == [] and decoder.end() == []
