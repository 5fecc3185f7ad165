import json

import pytest

from unit.pairs import AnthropicToOpenAIStream
from unit.checks_openai_to_anthropic import accumulate, anthropic_stream, read_openai_stream, sse_payloads

CREATED = 1700000000


def message_start(usage: dict | None = None) -> dict:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01Xyz",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage or {"input_tokens": 12, "output_tokens": 1},
        },
    }


def block_start(index: int, block: dict) -> dict:
    return {"type": "content_block_start", "index": index, "content_block": block}


def text_block(index: int) -> dict:
    return block_start(index, {"type": "text", "text": ""})


def tool_block(index: int, tool_id: str, name: str, start_input: dict | None = None) -> dict:
    return block_start(index, {"type": "tool_use", "id": tool_id, "name": name, "input": start_input or {}})


def delta(index: int, kind: str, **fields) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}


def block_stop(index: int) -> dict:
    return {"type": "content_block_stop", "index": index}


def message_delta(stop_reason: str = "end_turn", usage: dict | None = None) -> dict:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": usage or {"output_tokens": 7},
    }


MESSAGE_STOP = {"type": "message_stop"}
PING = {"type": "ping"}


def text_events(*pieces: str, stop_reason: str = "end_turn") -> list[dict]:
    return [
        message_start(),
        text_block(0),
        *[delta(0, "text_delta", text=piece) for piece in pieces],
        block_stop(0),
        message_delta(stop_reason),
        MESSAGE_STOP,
    ]


def translator(include_usage: bool = False, completion_id: str | None = None) -> AnthropicToOpenAIStream:
    return AnthropicToOpenAIStream(
        client_model="gpt-4o", include_usage=include_usage, created=CREATED, completion_id=completion_id
    )


def run(body: bytes, include_usage: bool = False) -> bytes:
    stream = translator(include_usage)
    return stream.feed(body) + stream.end()


def chunk(delta_: dict, finish_reason: str | None = None, **extra) -> dict:
    return {
        "id": "chatcmpl-01Xyz",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta_, "logprobs": None, "finish_reason": finish_reason}],
        **extra,
    }


def test_text_stream_gives_exact_chunks_in_order():
    chunks, ending = read_openai_stream(run(anthropic_stream(text_events("Hel", "lo"))))
    assert ending == "[DONE]"
    assert chunks == [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, "stop"),
    ]
    assert accumulate(chunks).choices[0].message.content == "Hello"


def test_output_is_sse_with_done_last():
    body = run(anthropic_stream(text_events("x")))
    assert body.endswith(b"data: [DONE]\n\n")
    assert body.startswith(b'data: {"id":"chatcmpl-01Xyz","object":"chat.completion.chunk"')


def test_ping_events_produce_nothing():
    stream = translator()
    stream.feed(anthropic_stream([message_start()]))
    assert stream.feed(anthropic_stream([PING, PING])) == b""


def test_events_without_data_are_ignored():
    stream = translator()
    stream.feed(anthropic_stream([message_start()]))
    assert stream.feed(b"event: ping\n\n: keep-alive\n\n") == b""


def test_each_event_leaves_as_soon_as_it_is_complete():
    stream = translator()
    stream.feed(anthropic_stream([message_start(), text_block(0)]))
    out = stream.feed(anthropic_stream([delta(0, "text_delta", text="now")]))
    assert [json.loads(data)["choices"][0]["delta"] for data in sse_payloads(out)] == [{"content": "now"}]


def test_thinking_becomes_reasoning_content_and_signatures_are_dropped():
    events = [
        message_start(),
        block_start(0, {"type": "thinking", "thinking": ""}),
        delta(0, "thinking_delta", thinking="Let me "),
        delta(0, "thinking_delta", thinking="think."),
        delta(0, "signature_delta", signature="EqQBCkgIARABGAIiQ"),
        block_stop(0),
        text_block(1),
        delta(1, "text_delta", text="42"),
        block_stop(1),
        message_delta(),
        MESSAGE_STOP,
    ]
    chunks, ending = read_openai_stream(run(anthropic_stream(events)))
    assert ending == "[DONE]"
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"reasoning_content": "Let me "},
        {"reasoning_content": "think."},
        {"content": "42"},
        {},
    ]
    final = accumulate(chunks).choices[0].message
    assert final.content == "42"
    assert final.model_extra["reasoning_content"] == "Let me think."


def test_one_tool_call_streams_id_and_name_first_then_arguments():
    events = [
        message_start(),
        tool_block(0, "toolu_01", "get_weather"),
        delta(0, "input_json_delta", partial_json=""),
        delta(0, "input_json_delta", partial_json='{"city": '),
        delta(0, "input_json_delta", partial_json='"Paris"}'),
        block_stop(0),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    chunks, ending = read_openai_stream(run(anthropic_stream(events)))
    assert ending == "[DONE]"
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {
            "tool_calls": [
                {"index": 0, "id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    final = accumulate(chunks).choices[0]
    assert final.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in final.message.tool_calls] == [
        ("toolu_01", "get_weather", '{"city": "Paris"}')
    ]


def test_two_parallel_tool_calls_after_text_are_numbered_from_zero():
    events = [
        message_start(),
        text_block(0),
        delta(0, "text_delta", text="Checking both."),
        block_stop(0),
        tool_block(1, "toolu_a", "get_weather"),
        delta(1, "input_json_delta", partial_json='{"city": "Paris"}'),
        block_stop(1),
        tool_block(2, "toolu_b", "get_weather"),
        delta(2, "input_json_delta", partial_json='{"city": "Rome"}'),
        block_stop(2),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    chunks, _ = read_openai_stream(run(anthropic_stream(events)))
    indexes = [
        c["choices"][0]["delta"]["tool_calls"][0]["index"] for c in chunks if "tool_calls" in c["choices"][0]["delta"]
    ]
    assert indexes == [0, 0, 1, 1]
    assert all(c["choices"][0]["index"] == 0 for c in chunks)
    final = accumulate(chunks).choices[0].message
    assert final.content == "Checking both."
    assert [(c.id, c.function.arguments) for c in final.tool_calls] == [
        ("toolu_a", '{"city": "Paris"}'),
        ("toolu_b", '{"city": "Rome"}'),
    ]


def test_tool_call_without_streamed_input_gets_its_start_input_or_empty_object():
    events = [
        message_start(),
        tool_block(0, "toolu_1", "now"),
        block_stop(0),
        tool_block(1, "toolu_2", "echo", {"text": "hi"}),
        block_stop(1),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    chunks, _ = read_openai_stream(run(anthropic_stream(events)))
    final = accumulate(chunks).choices[0].message
    assert [c.function.arguments for c in final.tool_calls] == ["{}", '{"text":"hi"}']


def test_server_tool_blocks_are_not_client_tool_calls():
    events = [
        message_start(),
        block_start(0, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
        delta(0, "input_json_delta", partial_json='{"query": "x"}'),
        block_stop(0),
        block_start(1, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
        block_stop(1),
        tool_block(2, "toolu_1", "f"),
        delta(2, "input_json_delta", partial_json="{}"),
        block_stop(2),
        message_delta("tool_use"),
        MESSAGE_STOP,
    ]
    chunks, _ = read_openai_stream(run(anthropic_stream(events)))
    final = accumulate(chunks).choices[0].message
    assert [(c.id, c.function.name, c.function.arguments) for c in final.tool_calls] == [("toolu_1", "f", "{}")]


def test_usage_chunk_comes_before_done_when_asked_for():
    start_usage = {
        "input_tokens": 12,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 0,
        "output_tokens": 1,
    }
    events = [*text_events("Hi")[:-2], message_delta("end_turn", {"output_tokens": 9}), MESSAGE_STOP]
    events[0] = message_start(start_usage)
    chunks, ending = read_openai_stream(run(anthropic_stream(events), include_usage=True))
    assert ending == "[DONE]"
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1] == {
        "id": "chatcmpl-01Xyz",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "gpt-4o",
        "choices": [],
        "usage": {
            "prompt_tokens": 112,
            "completion_tokens": 9,
            "total_tokens": 121,
            "prompt_tokens_details": {"cached_tokens": 100},
        },
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert accumulate(chunks).usage.completion_tokens == 9


def test_final_input_tokens_from_message_delta_win():
    events = [
        *text_events("Hi")[:-2],
        message_delta("end_turn", {"input_tokens": 30, "output_tokens": 2}),
        MESSAGE_STOP,
    ]
    chunks, _ = read_openai_stream(run(anthropic_stream(events), include_usage=True))
    assert chunks[-1]["usage"]["prompt_tokens"] == 30


def test_no_usage_chunk_and_no_usage_field_without_include_usage():
    chunks, _ = read_openai_stream(run(anthropic_stream(text_events("Hi"))))
    assert all("usage" not in c for c in chunks)
    assert all(c["choices"] for c in chunks)


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("refusal", "content_filter")],
)
def test_finish_reason_follows_stop_reason(stop_reason, finish_reason):
    chunks, _ = read_openai_stream(run(anthropic_stream(text_events("x", stop_reason=stop_reason))))
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}


def test_message_stop_without_stop_reason_still_finishes():
    events = [message_start(), text_block(0), delta(0, "text_delta", text="x"), block_stop(0), MESSAGE_STOP]
    chunks, ending = read_openai_stream(run(anthropic_stream(events)))
    assert ending == "[DONE]"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_error_event_mid_stream_ends_with_an_error_chunk_and_no_done():
    error_event = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    events = text_events("Hel", "lo")[:3] + [error_event]
    stream = translator()
    body = stream.feed(anthropic_stream(events))
    payloads = sse_payloads(body)
    assert json.loads(payloads[-1]) == {
        "error": {"message": "Overloaded", "type": "service_unavailable_error", "param": None, "code": None}
    }
    assert "[DONE]" not in payloads
    assert [json.loads(p)["choices"][0]["delta"] for p in payloads[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
    ]
    assert stream.feed(anthropic_stream(text_events("more"))) == b""
    assert stream.end() == b""


def test_error_event_before_anything_else_is_passed_on():
    error_event = {"type": "error", "error": {"type": "rate_limit_error", "message": "Slow down"}}
    chunks, ending = read_openai_stream(run(anthropic_stream([error_event])))
    assert ending == "error"
    assert chunks == [{"error": {"message": "Slow down", "type": "rate_limit_error", "param": None, "code": None}}]


def test_truncated_stream_ends_with_an_error_chunk():
    stream = translator()
    body = stream.feed(anthropic_stream(text_events("Hel", "lo")[:3]))
    tail = stream.end()
    assert [json.loads(p) for p in sse_payloads(tail)] == [
        {
            "error": {
                "message": "the upstream answered with an invalid Anthropic message: the stream ended before message_stop",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
    ]
    assert b"[DONE]" not in body + tail
    assert stream.feed(b"data: {}\n\n") == b""
    assert stream.end() == b""


def test_empty_body_is_a_truncated_stream():
    chunks, ending = read_openai_stream(run(b""))
    assert ending == "error"
    assert "ended before message_stop" in chunks[0]["error"]["message"]


def test_last_event_without_its_blank_line_still_counts_at_end():
    body = anthropic_stream(text_events("x")).removesuffix(b"\n")
    _, ending = read_openai_stream(run(body))
    assert ending == "[DONE]"


def test_broken_json_ends_with_an_error_chunk():
    body = anthropic_stream(text_events("x")[:2]) + b"event: content_block_delta\ndata: {not json\n\n"
    body += anthropic_stream(text_events("x")[2:])
    chunks, ending = read_openai_stream(run(body))
    assert ending == "error"
    assert chunks[-1]["error"]["message"] == (
        "the upstream answered with an invalid Anthropic message: a content_block_delta event is not valid JSON"
    )
    assert chunks[-1]["error"]["type"] == "server_error"


@pytest.mark.parametrize(
    "bad_event",
    [
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}},
        {"type": "content_block_start", "index": 1, "content_block": "text"},
        {"type": "message_delta", "delta": {"stop_reason": 3}},
        {"type": "message_delta", "delta": {}, "usage": 4},
        message_start(),
    ],
)
def test_events_of_the_wrong_shape_end_with_an_error_chunk(bad_event):
    events = [message_start(), text_block(0), bad_event]
    chunks, ending = read_openai_stream(run(anthropic_stream(events)))
    assert ending == "error"
    assert chunks[-1]["error"]["message"].startswith("the upstream answered with an invalid Anthropic message: ")


def test_content_before_message_start_is_an_error():
    chunks, ending = read_openai_stream(run(anthropic_stream([text_block(0)])))
    assert ending == "error"
    assert chunks[0]["error"]["message"].endswith("content_block_start came before message_start")


def test_unknown_event_types_are_ignored():
    events = text_events("x")
    events.insert(2, {"type": "content_block_delta", "index": 0, "delta": {"type": "citations_delta", "citation": {}}})
    events.insert(2, {"type": "future_event", "data": 1})
    chunks, ending = read_openai_stream(run(anthropic_stream(events)))
    assert ending == "[DONE]"
    assert accumulate(chunks).choices[0].message.content == "x"


def test_given_completion_id_is_used_on_every_chunk():
    stream = translator(completion_id="chatcmpl-fixed")
    chunks, _ = read_openai_stream(stream.feed(anthropic_stream(text_events("x"))) + stream.end())
    assert {c["id"] for c in chunks} == {"chatcmpl-fixed"}
    assert {(c["created"], c["model"], c["object"]) for c in chunks} == {(CREATED, "gpt-4o", "chat.completion.chunk")}


def test_crlf_line_endings_are_understood():
    body = anthropic_stream(text_events("x")).replace(b"\n", b"\r\n")
    _, ending = read_openai_stream(run(body))
    assert ending == "[DONE]"


RICH_EVENTS = [
    message_start(),
    block_start(0, {"type": "thinking", "thinking": ""}),
    delta(0, "thinking_delta", thinking="Hmm… ünïcödé 🤔"),
    block_stop(0),
    text_block(1),
    delta(1, "text_delta", text="Calling ✓"),
    block_stop(1),
    tool_block(2, "toolu_1", "f"),
    delta(2, "input_json_delta", partial_json='{"a": "é'),
    delta(2, "input_json_delta", partial_json='"}'),
    block_stop(2),
    message_delta("tool_use"),
    MESSAGE_STOP,
]


def test_byte_at_a_time_feeding_gives_the_same_output_as_one_piece():
    body = anthropic_stream(RICH_EVENTS)
    whole = run(body, include_usage=True)
    stream = translator(include_usage=True)
    pieces = [stream.feed(body[i : i + 1]) for i in range(len(body))]
    assert b"".join(pieces) + stream.end() == whole
    assert read_openai_stream(whole)[1] == "[DONE]"


def test_event_spanning_many_pieces_comes_out_once_complete():
    long_text = "word " * 2000
    stream = translator()
    stream.feed(anthropic_stream([message_start(), text_block(0)]))
    body = anthropic_stream([delta(0, "text_delta", text=long_text)])
    outputs = [stream.feed(body[i : i + 7]) for i in range(0, len(body), 7)]
    assert all(out == b"" for out in outputs[:-1])
    assert [json.loads(p)["choices"][0]["delta"] for p in sse_payloads(outputs[-1])] == [{"content": long_text}]


def test_an_event_past_max_event_size_ends_with_an_error_chunk_naming_the_limit():
    stream = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=False, created=CREATED, max_event_size=1024)
    head = anthropic_stream(text_events("Hel")[:3])
    # The events completed in the same piece as the overflow still reach the client, first.
    body = stream.feed(head + b"event: content_block_delta\ndata: " + b"x" * 2048)
    payloads = sse_payloads(body)
    assert [json.loads(p)["choices"][0]["delta"] for p in payloads[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
    ]
    message = "the upstream sent an event bigger than the 1024 bytes (1 KiB) allowed (max_event_size)"
    assert json.loads(payloads[-1]) == {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
    assert stream.error is not None and stream.error.message == message
    assert stream.feed(b"x" * 4096 + b"\n\n" + anthropic_stream(text_events("more"))) == b""
    assert stream.end() == b""


def test_a_stream_that_finished_before_the_overflow_stays_finished():
    stream = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=False, created=CREATED, max_event_size=1024)
    body = stream.feed(anthropic_stream(text_events("Hi")) + b"data: " + b"x" * 2048)
    assert read_openai_stream(body)[1] == "[DONE]"
    assert stream.error is None
