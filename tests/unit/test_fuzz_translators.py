"""Arbitrary, mostly invalid, input to every translator (Gemini's decoders of client bodies,
answers and streams too, and requests of the other clients toward a Gemini upstream): only
`RequestRejected` may escape, and whatever is returned is valid for its reader. Run long with
`scripts/fuzz`."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from unit.pairs import AnthropicToOpenAIStream
from anyrouter_core.errors import RequestRejected
from unit.pairs import OpenAIToAnthropicStream
from unit.pairs import anthropic_message_from_openai
from anyrouter_core.sse import SSEDecoder, encode_event
from anyrouter_core.codecs.base import EncodeOptions, Exchange
from anyrouter_core.codecs.gemini.answer import decode_answer as decode_gemini_answer
from anyrouter_core.codecs.gemini.request_decode import decode_request as decode_gemini_request
from anyrouter_core.codecs.gemini.stream_decoder import GeminiStreamDecoder
from anyrouter_core.neutral import MessageStop, StreamError
from anyrouter_core.protocols import ANTHROPIC, GEMINI, OPENAI, RESPONSES
from anyrouter_core.translation import translate_request
from unit.gemini_checks import keywords_outside_the_subset
from unit.test_openai_anthropic_properties import _paths, _replaced, assert_sound_anthropic_request


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


# A request of each other client, with what a Gemini upstream needs rewritten or refused:
# images, tool calls and results, a signed thinking block, a schema outside Gemini's subset.
SCHEMA = {"type": "object", "$schema": "https://json-schema.org/draft/2020-12/schema", "additionalProperties": False,
          "properties": {"city": {"$ref": "#/$defs/city"}, "days": {"type": "integer", "exclusiveMinimum": 0}},
          "required": ["city"], "$defs": {"city": {"type": "string", "const": "Paris"}}}
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
TOWARD_GEMINI = [
    (ANTHROPIC, {
        "model": "gemini-2.5-pro", "max_tokens": 64, "system": [{"type": "text", "text": "be brief"}],
        "tools": [{"name": "weather", "description": "w", "input_schema": SCHEMA}],
        "tool_choice": {"type": "tool", "name": "weather"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"},
                                         {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "gemini-thought-signature:SIG"},
                                              {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1", "content": "sunny", "is_error": False}]},
        ],
    }),
    (OPENAI, {
        "model": "gemini-2.5-flash", "max_tokens": 64, "temperature": 0.5, "stop": ["END"], "seed": 3,
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": SCHEMA}}],
        "tool_choice": "auto", "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": SCHEMA}},
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Paris"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
    }),
    (RESPONSES, {
        "model": "gemini-2.5-flash", "instructions": "be brief", "max_output_tokens": 64, "reasoning": {"effort": "low"},
        "tools": [{"type": "function", "name": "weather", "parameters": SCHEMA, "strict": True}],
        "text": {"format": {"type": "json_schema", "name": "out", "schema": SCHEMA}},
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"},
                                                             {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}]},
            {"type": "reasoning", "summary": [], "encrypted_content": "gemini-thought-signature:SIG"},
            {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": '{"city":"Paris"}'},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        ],
    }),
]
GEMINI_PART_KINDS = {"text", "inlineData", "fileData", "functionCall", "functionResponse"}


def check_gemini_request(body: dict) -> None:
    """What a Gemini upstream reads: turns of user or model parts, each part one kind, every
    function's schema inside the subset."""
    json.dumps(body)
    assert isinstance(body["contents"], list)
    for content in body["contents"]:
        assert content["role"] in ("user", "model")
        for part in content["parts"]:
            assert len(GEMINI_PART_KINDS & set(part)) == 1, part
    for tool in body.get("tools", []):
        for function in tool.get("functionDeclarations", []):
            assert keywords_outside_the_subset(function.get("parameters", {"type": "object"})) == []


@pytest.mark.parametrize("client, body", TOWARD_GEMINI, ids=[client for client, _ in TOWARD_GEMINI])
def test_the_requests_toward_gemini_are_sound_as_they_are(client, body):
    check_gemini_request(translate_request(client, GEMINI, body, EncodeOptions()).body)


def translated_with_one_part_replaced(client: str, upstream: str, body: dict, data) -> dict | None:
    """The upstream body of `body` with one part replaced by anything, or None when that is
    refused, which only a 400 may be."""
    path = data.draw(st.sampled_from(list(_paths(body))))
    mutated = _replaced(body, path, data.draw(json_values | gemini_ish))
    try:
        return translate_request(client, upstream, mutated, EncodeOptions()).body
    except RequestRejected as rejected:
        assert rejected.error.status == 400 and rejected.error.message
        return None


@given(st.sampled_from(TOWARD_GEMINI), st.data())
def test_any_part_of_a_request_toward_gemini_replaced_is_translated_soundly_or_refused(client_and_body, data):
    client, body = client_and_body
    if (encoded := translated_with_one_part_replaced(client, GEMINI, body, data)) is not None:
        check_gemini_request(encoded)


@pytest.mark.parametrize("path, message", [
    (("tools", 0, "type"), "tools[0].type: unknown tool type [] (function, custom or namespace)"),
    (("input", 0, "content", 1, "type"), "input[0].content[1].type: content part type [] is not allowed here"),
])
def test_a_list_where_a_responses_type_belongs_is_refused_found_by_fuzzing(path, message):
    # These were TypeErrors (a list looked up in a set), a 500 instead of the client's 400.
    body = _replaced(TOWARD_GEMINI[2][1], path, [])
    with pytest.raises(RequestRejected) as rejected:
        translate_request(RESPONSES, GEMINI, body, EncodeOptions())
    assert rejected.value.error.status == 400
    assert rejected.value.error.message.startswith(message)


# A Gemini client's request (its model lifted from the path) toward each other upstream.
FROM_GEMINI = {
    "model": "gemini-2.5-pro",
    "systemInstruction": {"parts": [{"text": "be brief"}]},
    "tools": [{"functionDeclarations": [{"name": "weather", "description": "w", "parametersJsonSchema": SCHEMA}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}},
    "generationConfig": {"maxOutputTokens": 64, "temperature": 0.5, "stopSequences": ["END"],
                         "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": True}},
    "contents": [
        {"role": "user", "parts": [{"text": "hi"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]},
        {"role": "model", "parts": [{"text": "t", "thought": True},
                                    {"functionCall": {"id": "call_1", "name": "weather", "args": {"city": "Paris"}},
                                     "thoughtSignature": "SIG"}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "call_1", "name": "weather", "response": {"output": "sunny"}}}]},
    ],
}


@pytest.mark.parametrize("upstream", [ANTHROPIC, OPENAI, RESPONSES])
@given(data=st.data())
def test_any_part_of_a_gemini_request_replaced_is_translated_or_refused(upstream, data):
    encoded = translated_with_one_part_replaced(GEMINI, upstream, FROM_GEMINI, data)
    if encoded is not None:
        json.dumps(encoded)
        if upstream == ANTHROPIC:
            assert_sound_anthropic_request(encoded)
