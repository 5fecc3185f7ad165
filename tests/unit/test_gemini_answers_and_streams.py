"""Gemini answers and errors the codec writes, read with google-genai's own types and error
classes: every field known to the SDK, finish reasons and usage exact; and Gemini answers
built with the SDK's types decoded to neutral form."""

from __future__ import annotations

import pytest
from google.genai import errors as sdk_errors
from google.genai import types

from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.gemini.answer import decode_answer, encode_answer
from anyrouter_core.codecs.gemini.errors import render_error
from anyrouter_core.errors import ProxyError
from anyrouter_core.neutral import Text, Thinking, ToolCall
from anyrouter_core.neutral.answer import Answer, Usage
from unit.gemini_sdk_checks import sdk_answer

USAGE = Usage(input=10, cache_read=5, output=20, reasoning=7)


def answer(stop: str, blocks: list) -> Answer:
    return Answer(id="msg_1", model="gemini-2.5-flash", blocks=blocks, stop_reason=stop, usage=USAGE)


@pytest.mark.parametrize(("stop", "finish"), [("end_turn", "STOP"), ("max_tokens", "MAX_TOKENS"), ("refusal", "SAFETY")])
def test_text_answer_is_a_generate_content_response_the_sdk_knows_whole(stop, finish):
    body = encode_answer(answer(stop, [Text("Hello")]), Exchange(model="gemini-2.5-flash"))
    parsed = sdk_answer(body)
    assert parsed.text == "Hello"
    assert parsed.candidates[0].finish_reason == types.FinishReason(finish)
    assert parsed.model_version == "gemini-2.5-flash"
    assert parsed.response_id
    usage = parsed.usage_metadata
    assert usage.prompt_token_count == 15
    assert usage.cached_content_token_count == 5
    assert usage.thoughts_token_count == 7
    assert usage.candidates_token_count + usage.thoughts_token_count == 20
    assert usage.total_token_count == 35


def test_tool_use_is_stop_with_function_calls_and_their_signatures():
    blocks = [
        ToolCall(id="call_1", name="read", arguments={"path": "a"}, signature="c2ln"),
        ToolCall(id="call_2", name="read", arguments={"path": "b"}),
    ]
    parsed = sdk_answer(encode_answer(answer("tool_use", blocks), Exchange(model="gemini-2.5-flash")))
    assert parsed.candidates[0].finish_reason == types.FinishReason.STOP
    calls = parsed.function_calls
    assert [(call.name, call.args) for call in calls] == [("read", {"path": "a"}), ("read", {"path": "b"})]
    assert parsed.candidates[0].content.parts[0].thought_signature == b"sig"


@pytest.mark.parametrize(("status", "name", "cls"), [
    (400, "INVALID_ARGUMENT", sdk_errors.ClientError), (401, "UNAUTHENTICATED", sdk_errors.ClientError),
    (403, "PERMISSION_DENIED", sdk_errors.ClientError), (404, "NOT_FOUND", sdk_errors.ClientError),
    (429, "RESOURCE_EXHAUSTED", sdk_errors.ClientError), (500, "INTERNAL", sdk_errors.ServerError),
    (503, "UNAVAILABLE", sdk_errors.ServerError), (529, "UNAVAILABLE", sdk_errors.ServerError),
])
def test_errors_are_the_sdk_error_class_with_code_status_and_message(status, name, cls):
    code, body = render_error(ProxyError(status, "it failed"))
    with pytest.raises(cls) as raised:
        sdk_errors.APIError.raise_error(code, body, None)
    assert (raised.value.code, raised.value.status, raised.value.message) == (code, name, "it failed")
    assert code == (503 if status == 529 else status)


def test_parallel_calls_without_ids_from_an_sdk_built_answer_get_distinct_ids_and_keep_signatures():
    upstream = types.GenerateContentResponse(
        candidates=[types.Candidate(
            content=types.Content(role="model", parts=[
                types.Part(function_call=types.FunctionCall(name="read", args={"path": "a"}), thought_signature=b"sig"),
                types.Part(function_call=types.FunctionCall(name="read", args={"path": "b"})),
            ]),
            finish_reason=types.FinishReason.STOP,
        )],
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=3, candidates_token_count=4, total_token_count=7),
        model_version="gemini-2.5-flash", response_id="r1",
    ).model_dump(mode="json", by_alias=True, exclude_none=True)
    decoded = decode_answer(upstream, Exchange(model="gemini-2.5-flash"))
    calls = [block for block in decoded.blocks if isinstance(block, ToolCall)]
    assert [call.arguments for call in calls] == [{"path": "a"}, {"path": "b"}]
    assert len({call.id for call in calls}) == 2
    assert calls[0].signature == "c2ln" and calls[1].signature is None
    assert decoded.stop_reason == "tool_use"


def stream_answer() -> Answer:
    return answer("tool_use", [Text("Hi "), Text("there"), ToolCall(id="call_1", name="f", arguments={"x": 1}, signature="c2ln")])


def sse_chunks(raw: bytes) -> list[dict]:
    import json
    events = raw.decode().split("\r\n\r\n")
    assert events[-1] == ""
    assert all(event.startswith("data: ") for event in events[:-1])
    return [json.loads(event[len("data: "):]) for event in events[:-1]]


@pytest.mark.parametrize("array", [False, True])
def test_stream_chunks_are_generate_content_responses_that_add_up_to_the_answer(array):
    import json

    from anyrouter_core.codecs.gemini.stream_encoder import GeminiStreamEncoder
    from anyrouter_core.stream_translation import stream_from_answer

    raw = stream_from_answer(stream_answer(), GeminiStreamEncoder(Exchange(model="gemini-2.5-flash", array_stream=array)))
    chunks = json.loads(raw) if array else sse_chunks(raw)
    parsed = [sdk_answer(chunk) for chunk in chunks]
    text = "".join(part.text or "" for chunk in parsed for part in chunk.candidates[0].content.parts)
    calls = [part for chunk in parsed for part in chunk.candidates[0].content.parts if part.function_call]
    assert text == "Hi there"
    assert [(p.function_call.name, p.function_call.args, p.thought_signature) for p in calls] == [("f", {"x": 1}, b"sig")]
    assert [chunk.candidates[0].finish_reason for chunk in parsed][-1] == types.FinishReason.STOP
    assert all(chunk.candidates[0].finish_reason is None for chunk in parsed[:-1])
    usage = parsed[-1].usage_metadata
    assert (usage.prompt_token_count, usage.cached_content_token_count, usage.thoughts_token_count, usage.total_token_count) == (15, 5, 7, 35)
    assert {chunk.model_version for chunk in parsed} == {"gemini-2.5-flash"}
    assert len({chunk.response_id for chunk in parsed}) == 1


# Fields of the REST API's Model that google-genai's Model names otherwise (its models.list
# converts supportedGenerationMethods into supported_actions) and so refuses as input.
REST_ONLY = ("baseModelId", "supportedGenerationMethods")


def sdk_model(entry: dict) -> types.Model:
    from unit.gemini_sdk_checks import sdk_round_trip

    assert set(REST_ONLY) <= set(entry)
    assert "generateContent" in entry["supportedGenerationMethods"]
    return sdk_round_trip(types.Model, {key: value for key, value in entry.items() if key not in REST_ONLY})


def test_model_list_and_one_model_are_the_sdks_models_besides_rest_only_fields():
    from datetime import datetime, timezone

    from anyrouter_core.codecs.gemini.model_list import model_list, models_at

    started = datetime(2026, 1, 1, tzinfo=timezone.utc)
    body = model_list(["gemini-2.5-flash", "gemini-2.5-pro"], started)
    assert set(body) <= {"models", "nextPageToken"}
    assert [sdk_model(entry).name for entry in body["models"]] == ["models/gemini-2.5-flash", "models/gemini-2.5-pro"]
    one = sdk_model(models_at("/v1beta/models/gemini-2.5-pro", ["gemini-2.5-flash", "gemini-2.5-pro"], started))
    assert one.name == "models/gemini-2.5-pro"


ANTHROPIC_ANSWER = {
    "id": "msg_9", "type": "message", "role": "assistant", "model": "claude-x",
    "content": [{"type": "text", "text": "Hello"}, {"type": "tool_use", "id": "toolu_1", "name": "read", "input": {"path": "a"}}],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 0},
}
CHAT_ANSWER = {
    "id": "chatcmpl-9", "object": "chat.completion", "created": 1, "model": "gpt-x",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": "Hello",
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "read", "arguments": "{\"path\":\"a\"}"}}]}}],
    "usage": {"prompt_tokens": 15, "completion_tokens": 20, "total_tokens": 35, "prompt_tokens_details": {"cached_tokens": 5}},
}
RESPONSES_ANSWER = {
    "id": "resp_9", "object": "response", "created_at": 1, "model": "gpt-x", "status": "completed",
    "output": [
        {"type": "message", "id": "m1", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "Hello", "annotations": []}]},
        {"type": "function_call", "id": "fc1", "call_id": "call_1", "name": "read", "arguments": "{\"path\":\"a\"}", "status": "completed"},
    ],
    "usage": {"input_tokens": 15, "output_tokens": 20, "total_tokens": 35, "input_tokens_details": {"cached_tokens": 5}},
}


@pytest.mark.parametrize(("upstream", "body"), [("anthropic", ANTHROPIC_ANSWER), ("openai", CHAT_ANSWER), ("responses", RESPONSES_ANSWER)])
def test_upstream_answers_translated_for_a_gemini_client_are_sdk_responses(upstream, body):
    from anyrouter_core.translation import Direction

    direction = Direction("gemini", upstream)
    translated = direction.translate_answer(body, Exchange(model="gemini-2.5-flash"))
    parsed = sdk_answer(translated)
    assert parsed.text == "Hello"
    assert [(call.name, call.args) for call in parsed.function_calls] == [("read", {"path": "a"})]
    assert parsed.candidates[0].finish_reason == types.FinishReason.STOP
    usage = parsed.usage_metadata
    assert (usage.prompt_token_count, usage.cached_content_token_count, usage.total_token_count) == (15, 5, 35)
    assert parsed.model_version == "gemini-2.5-flash"


def test_count_tokens_answer_is_the_sdks_count_tokens_response():
    from anyrouter_core.codecs.gemini.token_estimate import estimate_input_tokens
    from anyrouter_core.protocols import protocol_named
    from unit.gemini_sdk_checks import sdk_round_trip

    request = {"contents": [{"role": "user", "parts": [{"text": "Hello there, how are you?"}]}]}
    count = estimate_input_tokens(request)
    body = {protocol_named("gemini").count_field: count}
    parsed = sdk_round_trip(types.CountTokensResponse, body)
    assert parsed.total_tokens == count > 0


def test_a_stream_error_event_is_one_data_event_the_sdk_raises_as_its_error_class():
    import json

    from anyrouter_core.codecs.gemini.errors import error_event

    raw = error_event(ProxyError(429, "slow down"))
    assert raw.startswith(b"data: ") and raw.endswith(b"\r\n\r\n") and raw.count(b"data: ") == 1
    body = json.loads(raw[len(b"data: "):])
    assert body == {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}
    with pytest.raises(sdk_errors.ClientError) as raised:
        sdk_errors.APIError.raise_error(body["error"]["code"], body, None)
    assert (raised.value.code, raised.value.status) == (429, "RESOURCE_EXHAUSTED")


def thinking_answer() -> Answer:
    return answer("end_turn", [Thinking("Weighing ", signature=None), Thinking("it up", signature="c2ln"), Text("Hello")])


def thought_parts(parsed: list[types.GenerateContentResponse]) -> list[types.Part]:
    return [part for chunk in parsed for part in chunk.candidates[0].content.parts if part.thought]


def test_thinking_is_thought_parts_with_their_signature_apart_from_the_text():
    parsed = sdk_answer(encode_answer(thinking_answer(), Exchange(model="gemini-2.5-flash")))
    assert parsed.text == "Hello"  # the SDK leaves thought parts out of the answer's text
    assert [(part.text, part.thought_signature) for part in thought_parts([parsed])] == [
        ("Weighing ", None), ("it up", b"sig")]


@pytest.mark.parametrize("array", [False, True])
def test_streamed_thinking_is_thought_chunks_before_the_text_and_the_last_one_signed(array):
    import json

    from anyrouter_core.codecs.gemini.stream_encoder import GeminiStreamEncoder
    from anyrouter_core.stream_translation import stream_from_answer

    raw = stream_from_answer(thinking_answer(), GeminiStreamEncoder(Exchange(model="gemini-2.5-flash", array_stream=array)))
    parsed = [sdk_answer(chunk) for chunk in (json.loads(raw) if array else sse_chunks(raw))]
    thoughts = thought_parts(parsed)
    assert "".join(part.text for part in thoughts) == "Weighing it up"
    assert [part.thought_signature for part in thoughts][-1] == b"sig"
    assert all(part.thought_signature is None for part in thoughts[:-1])
    kinds = [bool(part.thought) for chunk in parsed for part in chunk.candidates[0].content.parts if part.text]
    assert kinds == sorted(kinds, reverse=True) and kinds[-1] is False
    assert "".join(part.text for chunk in parsed for part in chunk.candidates[0].content.parts
                   if part.text and not part.thought) == "Hello"
