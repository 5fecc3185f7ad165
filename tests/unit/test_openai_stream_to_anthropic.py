import json

import anthropic
import httpx2
import pytest

from anthropic_stream_checks import check_anthropic_stream
from unit.pairs import OpenAIToAnthropicStream


def chunk(delta=None, finish_reason=None, usage=None, choices=True, **choice_fields):
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "qwen"}
    body["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason, **choice_fields}] if choices else []
    if usage is not None:
        body["usage"] = usage
    return body


def usage_chunk(prompt=20, completion=7, cached=0):
    return chunk(choices=False, usage={"prompt_tokens": prompt, "completion_tokens": completion,
                                       "prompt_tokens_details": {"cached_tokens": cached}})


def sse(*chunks, done=True) -> bytes:
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


def translator(**kwargs):
    kwargs.setdefault("client_model", "claude-sonnet-4-5")
    kwargs.setdefault("message_id", "msg_test")
    return OpenAIToAnthropicStream(**kwargs)


def run(body: bytes, **kwargs) -> bytes:
    stream = translator(**kwargs)
    return stream.feed(body) + stream.end()


def run_bytewise(body: bytes, **kwargs) -> bytes:
    stream = translator(**kwargs)
    return b"".join(stream.feed(body[i:i + 1]) for i in range(len(body))) + stream.end()


def call(index, id=None, name=None, arguments=None):
    function = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    delta = {"function": function, "type": "function"} if id else {"function": function}
    if index is not None:
        delta["index"] = index
    if id is not None:
        delta["id"] = id
    return delta


def kinds(events):
    return [event["type"] for event in events]


TEXT_STREAM = sse(
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk(finish_reason="stop"),
    usage_chunk(),
)


def test_text_stream_events_exactly():
    checked = check_anthropic_stream(run(TEXT_STREAM, estimated_input_tokens=42))
    assert checked.events == [
        {"type": "message_start", "message": {
            "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 42, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        }},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"input_tokens": 20, "output_tokens": 7, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}},
        {"type": "message_stop"},
    ]
    assert checked.message.content[0].text == "Hello"
    assert checked.message.usage.input_tokens == 20
    assert checked.message.usage.output_tokens == 7


def test_wire_format_is_named_events():
    out = run(TEXT_STREAM)
    assert out.startswith(b'event: message_start\ndata: {"type":"message_start",')
    assert out.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert b"[DONE]" not in out


def test_message_start_is_sent_with_the_first_chunk():
    stream = translator()
    out = stream.feed(sse(chunk({"role": "assistant", "content": ""}), done=False))
    assert [event["type"] for event in _events(out)] == ["message_start"]


def test_each_event_leaves_as_soon_as_complete():
    stream = translator()
    stream.feed(sse(chunk({"role": "assistant"}), done=False))
    out = stream.feed(b'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n')
    assert out == b""
    out = stream.feed(b"\n")
    assert [event["type"] for event in _events(out)] == ["content_block_start", "content_block_delta"]


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_becomes_thinking_block_before_text(key):
    body = sse(
        chunk({"role": "assistant", key: "Let me "}),
        chunk({key: "think."}),
        chunk({"content": "42"}),
        chunk(finish_reason="stop"),
        usage_chunk(),
    )
    checked = check_anthropic_stream(run(body))
    assert kinds(checked.events) == [
        "message_start",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
    ]
    assert checked.events[1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert [block.type for block in checked.message.content] == ["thinking", "text"]
    assert checked.message.content[0].thinking == "Let me think."
    assert checked.message.content[0].signature == ""
    assert checked.message.content[1].text == "42"


def test_thinking_text_and_tool_in_one_chunk_come_in_that_order():
    delta = {"content": "T", "reasoning_content": "R", "tool_calls": [call(0, "call_1", "f", '{"a":1}')]}
    checked = check_anthropic_stream(run(sse(chunk(delta), chunk(finish_reason="tool_calls"), usage_chunk())))
    assert [block.type for block in checked.message.content] == ["thinking", "text", "tool_use"]


ONE_TOOL = sse(
    chunk({"role": "assistant", "content": None, "tool_calls": [call(0, "call_1", "get_weather", "")]}),
    chunk({"tool_calls": [call(0, arguments='{"city":')]}),
    chunk({"tool_calls": [call(0, arguments=' "Paris"}')]}),
    chunk(finish_reason="tool_calls"),
    usage_chunk(),
)


def test_one_tool_call():
    checked = check_anthropic_stream(run(ONE_TOOL))
    assert checked.events[1] == {"type": "content_block_start", "index": 0, "content_block": {
        "type": "tool_use", "id": "call_1", "name": "get_weather", "input": {}}}
    assert checked.events[2:4] == [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"city":'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": ' "Paris"}'}},
    ]
    assert checked.events[4] == {"type": "content_block_stop", "index": 0}
    tool = checked.message.content[0]
    assert (tool.id, tool.name, tool.input) == ("call_1", "get_weather", {"city": "Paris"})
    assert checked.message.stop_reason == "tool_use"


def test_two_parallel_tool_calls_after_text():
    body = sse(
        chunk({"role": "assistant", "content": "Checking both."}),
        chunk({"tool_calls": [call(0, "call_a", "get_weather", '{"city": "Paris"}')]}),
        chunk({"tool_calls": [call(1, "call_b", "get_weather", "")]}),
        chunk({"tool_calls": [call(1, arguments='{"city": "Rome"}')]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    checked = check_anthropic_stream(run(body))
    content = checked.message.content
    assert [block.type for block in content] == ["text", "tool_use", "tool_use"]
    assert [(b.id, b.input) for b in content[1:]] == [("call_a", {"city": "Paris"}), ("call_b", {"city": "Rome"})]
    starts = [event["index"] for event in checked.events if event["type"] == "content_block_start"]
    assert starts == [0, 1, 2]


def test_two_tool_calls_in_one_chunk():
    body = sse(
        chunk({"tool_calls": [call(0, "call_a", "f", '{"x": 1}'), call(1, "call_b", "g", '{"y": 2}')]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    content = check_anthropic_stream(run(body)).message.content
    assert [(b.name, b.input) for b in content] == [("f", {"x": 1}), ("g", {"y": 2})]


def test_late_id_and_name_hold_only_that_call():
    body = sse(
        chunk({"tool_calls": [call(0, arguments='{"q"')]}),
        chunk({"tool_calls": [call(0, name="search")]}),
        chunk({"tool_calls": [call(0, arguments=': "x"}')]}),
        chunk({"tool_calls": [call(0, id="call_late")]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    out = run(body)
    checked = check_anthropic_stream(out)
    assert checked.events[1]["content_block"] == {"type": "tool_use", "id": "call_late", "name": "search", "input": {}}
    assert [e["delta"]["partial_json"] for e in checked.events if e["type"] == "content_block_delta"] == ['{"q"', ': "x"}']
    assert checked.message.content[0].input == {"q": "x"}


def test_late_start_is_sent_as_soon_as_id_and_name_are_known():
    stream = translator()
    stream.feed(sse(chunk({"tool_calls": [call(0, arguments='{"a"')]}), done=False))
    out = stream.feed(sse(chunk({"tool_calls": [call(0, name="f")]}), done=False))
    assert out == b""
    out = stream.feed(sse(chunk({"tool_calls": [call(0, id="call_1")]}), done=False))
    assert [(e["type"], e.get("delta", {}).get("partial_json")) for e in _events(out)] == [
        ("content_block_start", None), ("content_block_delta", '{"a"')
    ]


def test_id_that_never_comes_is_made_up():
    body = sse(chunk({"tool_calls": [call(0, name="f", arguments="{}")]}), chunk(finish_reason="tool_calls"), usage_chunk())
    tool = check_anthropic_stream(run(body)).message.content[0]
    assert tool.id.startswith("toolu_") and tool.name == "f"


def test_missing_id_is_made_up_when_the_next_call_starts():
    body = sse(
        chunk({"tool_calls": [call(0, name="f", arguments='{"a": 1}')]}),
        chunk({"tool_calls": [call(1, "call_2", "g", "{}")]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    content = check_anthropic_stream(run(body)).message.content
    assert [(b.name, b.input) for b in content] == [("f", {"a": 1}), ("g", {})]
    assert content[0].id.startswith("toolu_")


def test_missing_index_continuing_a_closed_call_is_an_error():
    body = sse(
        chunk({"tool_calls": [call(None, "call_a", "f", '{"x":'), call(None, "call_b", "g", '{"y": 2}')]}),
        chunk({"tool_calls": [call(None, arguments=" 1}")]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    # Position 0 means call 0 again, whose block closed when call 1 opened.
    checked = check_anthropic_stream(run(body))
    assert "interleaved" in checked.error["error"]["message"]
    assert [e["content_block"]["id"] for e in checked.events if e["type"] == "content_block_start"] == ["call_a", "call_b"]


def test_missing_index_one_call_per_chunk_with_new_ids():
    body = sse(
        chunk({"tool_calls": [call(None, "call_a", "f", '{"x":')]}),
        chunk({"tool_calls": [call(None, arguments=" 1}")]}),
        chunk({"tool_calls": [call(None, "call_b", "g", '{"y":')]}),
        chunk({"tool_calls": [call(None, arguments=" 2}")]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    content = check_anthropic_stream(run(body)).message.content
    assert [(b.id, b.name, b.input) for b in content] == [("call_a", "f", {"x": 1}), ("call_b", "g", {"y": 2})]


def test_missing_index_complete_calls_in_one_chunk():
    body = sse(
        chunk({"tool_calls": [call(None, "call_a", "f", '{"x": 1}'), call(None, "call_b", "g", '{"y": 2}')]}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    content = check_anthropic_stream(run(body)).message.content
    assert [(b.id, b.input) for b in content] == [("call_a", {"x": 1}), ("call_b", {"y": 2})]


@pytest.mark.parametrize("arguments", [None, "", "   "])
def test_empty_arguments_end_as_empty_input(arguments):
    body = sse(chunk({"tool_calls": [call(0, "call_1", "now", arguments)]}), chunk(finish_reason="tool_calls"), usage_chunk())
    checked = check_anthropic_stream(run(body))
    json_deltas = [e["delta"]["partial_json"] for e in checked.events if e["type"] == "content_block_delta"]
    assert "".join(json_deltas).strip() == "{}"
    assert checked.message.content[0].input == {}


def test_usage_after_finish_reason_is_awaited():
    stream = translator(estimated_input_tokens=5)
    out = stream.feed(sse(chunk({"content": "Hi"}), chunk(finish_reason="stop"), done=False))
    assert kinds(_events(out))[-1] == "content_block_stop"
    out = stream.feed(sse(usage_chunk(prompt=100, completion=9, cached=60), done=False))
    assert _events(out) == [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"input_tokens": 40, "output_tokens": 9, "cache_read_input_tokens": 60, "cache_creation_input_tokens": 0}},
        {"type": "message_stop"},
    ]
    assert stream.feed(b"data: [DONE]\n\n") == b""
    assert stream.end() == b""


def test_usage_on_the_finish_chunk_itself():
    body = sse(chunk({"content": "Hi"}), chunk(finish_reason="length", usage={"prompt_tokens": 3, "completion_tokens": 4}))
    checked = check_anthropic_stream(run(body))
    assert checked.message.stop_reason == "max_tokens"
    assert checked.message.usage.output_tokens == 4


def test_null_usage_on_ordinary_chunks_is_not_final():
    body = sse(chunk({"content": "Hi"}, usage=None), chunk(finish_reason="stop"), usage_chunk(completion=2))
    checked = check_anthropic_stream(run(body))
    assert checked.message.usage.output_tokens == 2


def test_done_without_usage_finishes_with_estimate():
    body = sse(chunk({"content": "Hi"}), chunk(finish_reason="stop"))
    checked = check_anthropic_stream(run(body, estimated_input_tokens=77))
    assert checked.events[-2]["usage"] == {
        "input_tokens": 77, "output_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0
    }


def test_end_without_done_after_finish_still_succeeds():
    checked = check_anthropic_stream(run(sse(chunk({"content": "Hi"}), chunk(finish_reason="stop"), done=False)))
    assert checked.error is None and checked.message.content[0].text == "Hi"


def test_stop_sequence_named_by_server():
    body = sse(chunk({"content": "one"}), chunk(finish_reason="stop", stop_reason="END"), usage_chunk())
    checked = check_anthropic_stream(run(body, stop_sequences=["END"]))
    assert (checked.message.stop_reason, checked.message.stop_sequence) == ("stop_sequence", "END")


def test_stop_sequence_left_at_end_of_text_across_chunks():
    body = sse(chunk({"content": "one E"}), chunk({"content": "ND"}), chunk(finish_reason="stop"), usage_chunk())
    checked = check_anthropic_stream(run(body, stop_sequences=["END", "X"]))
    assert (checked.message.stop_reason, checked.message.stop_sequence) == ("stop_sequence", "END")


def test_plain_stop_is_end_turn_even_with_stop_sequences():
    body = sse(chunk({"content": "one"}), chunk(finish_reason="stop"), usage_chunk())
    assert check_anthropic_stream(run(body, stop_sequences=["END"])).message.stop_reason == "end_turn"


def test_refusal_delta():
    body = sse(chunk({"refusal": "No."}), chunk(finish_reason="stop"), usage_chunk())
    checked = check_anthropic_stream(run(body))
    assert checked.message.content[0].text == "No."
    assert checked.message.stop_reason == "refusal"


def test_error_chunk_becomes_error_event_and_ends_stream():
    stream = translator()
    out = stream.feed(sse(chunk({"content": "Hi"}), {"error": {"message": "overloaded", "type": "server_error", "code": 503}}))
    checked = check_anthropic_stream(out)
    assert checked.error == {"type": "error", "error": {"type": "overloaded_error", "message": "overloaded"}}
    assert kinds(checked.events) == ["message_start", "content_block_start", "content_block_delta"]
    assert out.endswith(b'\n\n') and b"event: error\n" in out
    assert stream.feed(sse(chunk({"content": "more"}))) == b""
    assert stream.end() == b""


def test_error_chunk_before_anything_else():
    checked = check_anthropic_stream(run(b'data: {"error": {"message": "bad key"}}\n\n'))
    assert checked.events == []
    assert checked.error == {"type": "error", "error": {"type": "api_error", "message": "bad key"}}


def test_rate_limit_error_chunk_keeps_its_type():
    checked = check_anthropic_stream(run(b'data: {"error": {"message": "slow down", "code": 429}}\n\n'))
    assert checked.error["error"] == {"type": "rate_limit_error", "message": "slow down"}


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'"text"'])
def test_broken_data_becomes_error(data):
    checked = check_anthropic_stream(run(sse(chunk({"content": "Hi"}), done=False) + b"data: " + data + b"\n\n"))
    assert checked.error["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        sse(chunk({"content": "Hi"}), done=False),
        sse(chunk({"content": "Hi"})),
        sse(chunk({"tool_calls": [call(0, "c", "f", '{"a"')]}), done=False),
    ],
)
def test_truncated_stream_ends_with_error(body):
    checked = check_anthropic_stream(run(body))
    assert checked.error["type"] == "error"
    assert "finish_reason" in checked.error["error"]["message"]
    assert not any(event["type"] == "message_stop" for event in checked.events)


def test_nameless_tool_call_is_an_error():
    body = sse(chunk({"tool_calls": [call(0, "c", None, "{}")]}), chunk(finish_reason="tool_calls"), usage_chunk())
    checked = check_anthropic_stream(run(body))
    assert "without a function name" in checked.error["error"]["message"]


def test_interleaved_arguments_are_an_error():
    body = sse(
        chunk({"tool_calls": [call(0, "a", "f", '{"x":')]}),
        chunk({"tool_calls": [call(1, "b", "g", "{}")]}),
        chunk({"tool_calls": [call(0, arguments=" 1}")]}),
        chunk(finish_reason="tool_calls"),
    )
    assert "interleaved" in check_anthropic_stream(run(body)).error["error"]["message"]


def test_text_after_tool_call_opens_a_new_block():
    body = sse(
        chunk({"tool_calls": [call(0, "a", "f", "{}")]}),
        chunk({"content": "and then"}),
        chunk(finish_reason="tool_calls"),
        usage_chunk(),
    )
    content = check_anthropic_stream(run(body)).message.content
    assert [block.type for block in content] == ["tool_use", "text"]


def test_comments_blank_data_and_other_choices_are_ignored():
    body = (b": keep-alive\n\n" + b"data: \n\n"
            + sse(chunk({"content": "A"}), {"choices": [{"index": 1, "delta": {"content": "B"}}]}, chunk(finish_reason="stop"), usage_chunk()))
    assert check_anthropic_stream(run(body)).message.content[0].text == "A"


def test_crlf_line_endings():
    body = TEXT_STREAM.replace(b"\n", b"\r\n")
    assert check_anthropic_stream(run(body)).message.content[0].text == "Hello"


def test_non_ascii_text_split_inside_a_character():
    body = sse(chunk({"content": "héllo 世界"}), chunk(finish_reason="stop"), usage_chunk())
    assert check_anthropic_stream(run_bytewise(body)).message.content[0].text == "héllo 世界"


def test_lone_surrogate_from_json_escape_does_not_break_output():
    body = b'data: {"choices":[{"index":0,"delta":{"content":"a\\ud800b"}}]}\n\n' + sse(chunk(finish_reason="stop"), usage_chunk())
    checked = check_anthropic_stream(run(body))
    assert checked.message.content[0].text == "a\ud800b"


@pytest.mark.parametrize(
    "body",
    [
        TEXT_STREAM,
        ONE_TOOL,
        sse(chunk({"reasoning_content": "r"}), chunk({"content": "t"}),
            chunk({"tool_calls": [call(0, arguments="{}")]}), chunk({"tool_calls": [call(0, "c", "f")]}),
            chunk(finish_reason="tool_calls"), usage_chunk()),
        sse(chunk({"content": "Hi"}), {"error": {"message": "boom"}}),
        sse(chunk({"content": "Hi"}), done=False),
    ],
)
def test_byte_at_a_time_gives_identical_output(body):
    whole = run(body, message_id="msg_same")
    assert run_bytewise(body, message_id="msg_same") == whole
    check_anthropic_stream(whole)


def _events(out: bytes) -> list[dict]:
    return [json.loads(line[6:]) for line in out.decode().split("\n") if line.startswith("data: ")]


def test_empty_string_finish_reason_is_not_a_finish():
    body = sse(chunk({"content": "a"}, finish_reason="", usage={"prompt_tokens": 1, "completion_tokens": 1}),
               chunk({"content": "b"}, finish_reason=""), chunk(finish_reason="stop"), usage_chunk(completion=2))
    checked = check_anthropic_stream(run(body))
    assert checked.message.content[0].text == "ab"
    assert checked.message.usage.output_tokens == 2


def _sdk_stream(body: bytes):
    """Runs the anthropic SDK's own streaming client over `body` as the HTTP response."""
    transport = httpx2.MockTransport(
        lambda request: httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    )
    client = anthropic.Anthropic(api_key="k", base_url="http://upstream.test", http_client=httpx2.Client(transport=transport))
    return client.messages.stream(model="local-model", max_tokens=10, messages=[{"role": "user", "content": "q"}])


def test_sdk_streaming_client_reads_the_output():
    body = run(sse(chunk({"reasoning_content": "hm"}), chunk({"content": "Hi"}),
                   chunk({"tool_calls": [call(0, "call_1", "f", '{"a": [1]}')]}), chunk(finish_reason="tool_calls"), usage_chunk()))
    with _sdk_stream(body) as stream:
        assert "".join(stream.text_stream) == "Hi"
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["thinking", "text", "tool_use"]
    assert final.content[2].input == {"a": [1]}
    assert (final.stop_reason, final.usage.output_tokens) == ("tool_use", 7)


def test_sdk_streaming_client_raises_on_error_event():
    body = run(sse(chunk({"content": "Hi"}), {"error": {"message": "boom", "code": 503}}))
    with pytest.raises(anthropic.APIStatusError, match="overloaded_error"), _sdk_stream(body) as stream:
        stream.until_done()


def test_an_event_past_max_event_size_ends_with_an_error_event_naming_the_limit():
    stream = translator(max_event_size=1024)
    # The events completed in the same piece as the overflow still reach the client, first.
    out = stream.feed(sse(chunk({"content": "Hi"}), done=False) + b"data: " + b"x" * 2048)
    checked = check_anthropic_stream(out)
    assert kinds(checked.events) == ["message_start", "content_block_start", "content_block_delta"]
    message = "the upstream sent an event bigger than the 1024 bytes (1 KiB) allowed (max_event_size)"
    assert checked.error == {"type": "error", "error": {"type": "api_error", "message": message}}
    assert stream.error is not None and stream.error.message == message
    assert stream.feed(b"x" * 4096 + b"\n\n" + sse(chunk({"content": "more"}))) == b""
    assert stream.end() == b""


def test_a_stream_that_finished_before_the_overflow_stays_finished():
    stream = translator(max_event_size=1024)
    out = stream.feed(sse(chunk({"content": "Hi"}, finish_reason="stop")) + b"data: " + b"x" * 2048)
    assert kinds(check_anthropic_stream(out).events)[-1] == "message_stop"
    assert stream.error is None
