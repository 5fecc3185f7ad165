"""Responses answers and streams: what Anthropic and Chat upstreams answer, as a Responses
client (Codex, the openai SDK) gets it, validated strictly by the SDK's types and
accumulated by its stream state; Responses upstreams' answers and streams read back for the
other clients; errors in Codex's vocabulary; and any input ending cleanly."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from anthropic_stream_checks import check_anthropic_stream
from anyrouter_core.codecs.base import Exchange
from anyrouter_core.codecs.responses import answer as responses_answer
from anyrouter_core.codecs.responses.request_decode import decode_request
from anyrouter_core.codecs.responses.stream_decoder import ResponsesStreamDecoder
from anyrouter_core.codecs.responses.stream_encoder import ResponsesStreamEncoder
from anyrouter_core.errors import ProxyError, RequestRejected
from anyrouter_core.neutral import MessageStart, StreamError
from anyrouter_core.protocols import PROTOCOLS
from anyrouter_core.sse import encode_event
from anyrouter_core.stream_translation import StreamTranslator
from anyrouter_core.translation import Direction
from responses_checks import accumulate, stream_events, validated_response
from unit.test_fuzz_translators import json_values, streams

EXCHANGE = Exchange(model="gpt-5-codex", stream=True, created=1_700_000_000, custom_tools=frozenset({"apply_patch"}))


def anthropic_event(kind: str, **fields) -> bytes:
    return encode_event(json.dumps({"type": kind, **fields}), kind)


def anthropic_stream(stop_reason: str = "tool_use", *, end: bool = True) -> bytes:
    start = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude", "content": [],
             "stop_reason": None, "stop_sequence": None,
             "usage": {"input_tokens": 10, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5, "output_tokens": 1}}
    body = [
        anthropic_event("message_start", message=start),
        anthropic_event("content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""}),
        anthropic_event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Look first."}),
        anthropic_event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "SIG"}),
        anthropic_event("content_block_stop", index=0),
        anthropic_event("content_block_start", index=1, content_block={"type": "text", "text": ""}),
        anthropic_event("content_block_delta", index=1, delta={"type": "text_delta", "text": "Running."}),
        anthropic_event("content_block_stop", index=1),
        anthropic_event("content_block_start", index=2, content_block={"type": "tool_use", "id": "toolu_1", "name": "shell", "input": {}}),
        anthropic_event("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": "{\"command\":"}),
        anthropic_event("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": "[\"ls\"]}"}),
        anthropic_event("content_block_stop", index=2),
        anthropic_event("content_block_start", index=3, content_block={"type": "tool_use", "id": "toolu_2", "name": "apply_patch", "input": {}}),
        anthropic_event("content_block_delta", index=3, delta={"type": "input_json_delta", "partial_json": "{\"input\":\"*** Begin"}),
        anthropic_event("content_block_delta", index=3, delta={"type": "input_json_delta", "partial_json": " Patch\\n\"}"}),
        anthropic_event("content_block_stop", index=3),
        anthropic_event("message_delta", delta={"stop_reason": stop_reason, "stop_sequence": None}, usage={"output_tokens": 20}),
    ]
    return b"".join(body + ([anthropic_event("message_stop")] if end else []))


def translated(direction: Direction, body: bytes, exchange: Exchange = EXCHANGE) -> bytes:
    translator = direction.stream_translator(exchange)
    return b"".join(translator.feed(body[i:i + 7]) for i in range(0, len(body), 7)) + translator.end()


# ---------------------------------------------------------------- streams for Responses clients


def test_an_anthropic_stream_as_codex_reads_it():
    events = stream_events(translated(Direction("responses", "anthropic"), anthropic_stream()))
    kinds = [event["type"] for event in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert kinds.count("response.output_item.added") == kinds.count("response.output_item.done") == 4
    done = [event["item"] for event in events if event["type"] == "response.output_item.done"]
    assert done[0] == {"id": "rs_01_0", "type": "reasoning", "summary": [{"type": "summary_text", "text": "Look first."}], "encrypted_content": "SIG"}
    assert done[2] == {"id": "fc_01_2", "type": "function_call", "call_id": "toolu_1", "name": "shell",
                       "arguments": "{\"command\":[\"ls\"]}", "status": "completed"}
    assert done[3] == {"id": "fc_01_3", "type": "custom_tool_call", "call_id": "toolu_2", "name": "apply_patch", "input": "*** Begin Patch\n"}
    completed = events[-1]["response"]
    assert (events[-1]["type"], completed["status"], completed["model"]) == ("response.completed", "completed", "gpt-5-codex")
    assert completed["usage"] == {"input_tokens": 115, "input_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 5},
                                  "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 135}
    assert completed["output"] == done


def test_the_sdk_stream_state_accumulates_the_same_response():
    events = stream_events(translated(Direction("responses", "anthropic"), anthropic_stream()))
    response = accumulate(events)
    assert [item.type for item in response.output] == ["reasoning", "message", "function_call", "custom_tool_call"]
    assert response.output[1].content[0].text == "Running."
    assert response.output[2].arguments == "{\"command\":[\"ls\"]}"
    assert response.usage.input_tokens_details.cached_tokens == 100


def test_max_tokens_ends_with_response_incomplete():
    events = stream_events(translated(Direction("responses", "anthropic"), anthropic_stream("max_tokens")))
    assert events[-1]["type"] == "response.incomplete"
    assert (events[-1]["response"]["status"], events[-1]["response"]["incomplete_details"]) == ("incomplete", {"reason": "max_output_tokens"})


def test_a_cut_stream_ends_with_response_failed():
    events = stream_events(translated(Direction("responses", "anthropic"), anthropic_stream(end=False)))
    failed = events[-1]
    assert failed["type"] == "response.failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "the upstream answered with an invalid Anthropic message: the stream ended before message_stop"}
    assert len(failed["response"]["output"]) == 4


def test_errors_mid_stream_carry_codex_codes():
    cases = [
        (ProxyError(429, "Rate limited. Please try again in 3s", "rate_limit_error"), "rate_limit_exceeded"),
        (ProxyError(400, "prompt is too long: 210000 tokens > 200000 maximum", "invalid_request_error"), "context_length_exceeded"),
        (ProxyError(402, "Your credit balance is too low", "billing_error"), "insufficient_quota"),
        (ProxyError(529, "Overloaded", "overloaded_error"), "server_error"),
    ]
    for error, code in cases:
        encoder = ResponsesStreamEncoder(EXCHANGE)
        events = stream_events(encoder.encode([MessageStart("msg_1", "m"), StreamError(error)]))
        assert events[-1]["response"]["error"] == {"code": code, "message": error.message}


def test_a_chat_stream_with_plain_reasoning_and_a_refusal():
    def chunk(delta: dict, finish: str | None = None) -> bytes:
        return encode_event(json.dumps({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "m",
                                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))
    body = chunk({"role": "assistant", "reasoning_content": "think"}) + chunk({"refusal": "No."}) + chunk({}, "stop") + encode_event("[DONE]")
    events = stream_events(translated(Direction("responses", "openai"), body))
    done = [event["item"] for event in events if event["type"] == "response.output_item.done"]
    assert done[0]["summary"] == [{"type": "summary_text", "text": "think"}]
    assert done[1]["content"] == [{"type": "refusal", "refusal": "No."}]


# ---------------------------------------------------------------- answers for Responses clients


def test_an_anthropic_answer_as_a_response_object():
    message = {"id": "msg_7", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "tool_use", "stop_sequence": None,
               "content": [{"type": "thinking", "thinking": "t", "signature": "SIG"}, {"type": "redacted_thinking", "data": "R"},
                           {"type": "text", "text": "ok"}, {"type": "tool_use", "id": "toolu_9", "name": "apply_patch", "input": {"input": "diff"}}],
               "usage": {"input_tokens": 3, "cache_read_input_tokens": 4, "cache_creation_input_tokens": 0, "output_tokens": 5}}
    body = Direction("responses", "anthropic").translate_answer(message, EXCHANGE)
    response = validated_response(body)
    assert (body["id"], body["status"], body["model"], body["incomplete_details"]) == ("resp_7", "completed", "gpt-5-codex", None)
    assert body["output"] == [
        {"id": "rs_7_0", "type": "reasoning", "summary": [{"type": "summary_text", "text": "t"}], "encrypted_content": "SIG"},
        {"id": "rs_7_1", "type": "reasoning", "summary": [], "encrypted_content": "anyrouter-redacted-thinking:R"},
        {"id": "msg_7_2", "type": "message", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": "ok", "annotations": [], "logprobs": []}]},
        {"id": "fc_7_3", "type": "custom_tool_call", "call_id": "toolu_9", "name": "apply_patch", "input": "diff"},
    ]
    assert response.usage.input_tokens == 7 and response.usage.total_tokens == 12


def test_signed_reasoning_comes_back_to_anthropic_untouched():
    message = {"id": "msg_7", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "end_turn",
               "content": [{"type": "thinking", "thinking": "t", "signature": "SIG"}, {"type": "redacted_thinking", "data": "R"}],
               "usage": {"input_tokens": 1, "output_tokens": 1}}
    output = Direction("responses", "anthropic").translate_answer(message, EXCHANGE)["output"]
    history = [{"role": "user", "content": "q"}, *({k: v for k, v in item.items() if k != "id"} for item in output), {"role": "user", "content": "next"}]
    blocks = decode_request({"model": "m", "input": history}).turns[1].blocks
    assert [(type(block).__name__, getattr(block, "signature", None)) for block in blocks] == [("Thinking", "SIG"), ("RedactedThinking", None)]
    assert (blocks[0].text, blocks[1].data) == ("t", "R")


def test_a_max_tokens_answer_is_incomplete():
    completion = {"id": "chatcmpl-1", "object": "chat.completion", "created": 5, "model": "m",
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "par"}, "finish_reason": "length"}],
                  "usage": {"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4},
                            "completion_tokens_details": {"reasoning_tokens": 1}}}
    body = Direction("responses", "openai").translate_answer(completion, EXCHANGE)
    validated_response(body)
    assert (body["status"], body["incomplete_details"], body["created_at"]) == ("incomplete", {"reason": "max_output_tokens"}, 5)
    assert body["usage"]["output_tokens_details"] == {"reasoning_tokens": 1}


# ---------------------------------------------------------------- Responses upstreams


def responses_upstream_stream() -> bytes:
    return translated(Direction("responses", "anthropic"), anthropic_stream())


def test_a_responses_stream_for_an_anthropic_client():
    checked = check_anthropic_stream(translated(Direction("anthropic", "responses"), responses_upstream_stream()))
    message = checked.message
    assert [block.type for block in message.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert (message.content[0].thinking, message.content[0].signature) == ("Look first.", "SIG")
    assert message.content[2].input == {"command": ["ls"]}
    assert message.content[3].input == {"input": "*** Begin Patch\n"}
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (10, 100)


def test_a_responses_stream_round_trips_through_its_own_codec():
    original = stream_events(responses_upstream_stream())
    translator = StreamTranslator(ResponsesStreamDecoder(EXCHANGE), ResponsesStreamEncoder(EXCHANGE))
    again = stream_events(translator.feed(responses_upstream_stream()) + translator.end())
    assert [event["type"] for event in again] == [event["type"] for event in original]
    assert again[-1]["response"]["output"] == original[-1]["response"]["output"]
    assert again[-1]["response"]["usage"] == original[-1]["response"]["usage"]


def test_a_responses_answer_round_trips_and_reaches_an_anthropic_client():
    message = {"id": "msg_7", "type": "message", "role": "assistant", "model": "claude", "stop_reason": "tool_use",
               "content": [{"type": "thinking", "thinking": "t", "signature": "SIG"}, {"type": "text", "text": "ok"},
                           {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {"a": 1}}],
               "usage": {"input_tokens": 3, "cache_read_input_tokens": 4, "output_tokens": 5}}
    response = Direction("responses", "anthropic").translate_answer(message, EXCHANGE)
    assert responses_answer.encode_answer(responses_answer.decode_answer(response, EXCHANGE), EXCHANGE) == response
    anthropic = Direction("anthropic", "responses").translate_answer(response, Exchange(model="claude-x"))
    assert anthropic["content"] == [{"type": "thinking", "thinking": "t", "signature": "SIG"}, {"type": "text", "text": "ok"},
                                    {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {"a": 1}}]
    assert (anthropic["stop_reason"], anthropic["usage"]["input_tokens"], anthropic["usage"]["cache_read_input_tokens"]) == ("tool_use", 3, 4)


def test_a_failed_response_is_the_upstreams_error():
    failed = {"id": "resp_1", "object": "response", "status": "failed", "output": [],
              "error": {"code": "rate_limit_exceeded", "message": "slow down"}}
    try:
        responses_answer.decode_answer(failed, EXCHANGE)
    except RequestRejected as rejected:
        assert (rejected.error.status, rejected.error.message, rejected.error.code) == (429, "slow down", "rate_limit_exceeded")
    else:
        raise AssertionError("a failed response must raise")


# ---------------------------------------------------------------- properties

DECODERS = [protocol.codec.stream_decoder for protocol in PROTOCOLS.values()]
ENCODERS = [protocol.codec.stream_encoder for protocol in PROTOCOLS.values()]


@given(json_values)
def test_any_json_body_is_decoded_or_rejected(body):
    try:
        decode_request(body)
    except RequestRejected as rejected:
        assert rejected.error.status == 400


@given(streams | st.binary(max_size=300) | st.just(responses_upstream_stream()), st.sampled_from(ENCODERS), st.data())
def test_any_bytes_into_the_responses_decoder_end_cleanly_through_every_encoder(body, encoder, data):
    translator = StreamTranslator(ResponsesStreamDecoder(EXCHANGE), encoder(EXCHANGE))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=4)))
    bounds = [0, *cuts, len(body)]
    output = b"".join(translator.feed(body[a:b]) for a, b in zip(bounds, bounds[1:])) + translator.end()
    assert output, "a stream always ends with its protocol's end or an error"
    assert translator.feed(b"data: {}\n\n") == b"" and translator.end() == b""


@given(streams | st.binary(max_size=300), st.sampled_from(DECODERS), st.data())
def test_any_stream_into_the_responses_encoder_ends_as_codex_needs(body, decoder, data):
    translator = StreamTranslator(decoder(EXCHANGE), ResponsesStreamEncoder(EXCHANGE))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=4)))
    bounds = [0, *cuts, len(body)]
    output = b"".join(translator.feed(body[a:b]) for a, b in zip(bounds, bounds[1:])) + translator.end()
    events = [json.loads(line[6:]) for line in output.split(b"\n") if line.startswith(b"data: ")]
    assert events[-1]["type"] in ("response.completed", "response.incomplete", "response.failed")
    numbers = [event["sequence_number"] for event in events]
    assert numbers == sorted(set(numbers))
