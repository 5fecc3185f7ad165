import anthropic.types
import pytest

from anyrouter_core.errors import RequestRejected
from unit.pairs import anthropic_message_from_openai


def completion(message=None, finish_reason="stop", usage=None, **choice_fields):
    choice = {"index": 0, "message": {"role": "assistant", "content": "Hello!", **(message or {})}, "finish_reason": finish_reason}
    choice.update(choice_fields)
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "qwen", "choices": [choice]}
    if usage is not None:
        body["usage"] = usage
    return body


def convert(body, **kwargs):
    message = anthropic_message_from_openai(body, client_model="claude-sonnet-4-5", message_id="msg_test", **kwargs)
    anthropic.types.Message.model_validate(message)
    return message


def test_text_answer():
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    assert convert(completion(usage=usage)) == {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
    }


def test_generated_message_id():
    message = anthropic_message_from_openai(completion(), client_model="m")
    assert message["id"].startswith("msg_") and len(message["id"]) > 10
    assert message["id"] != anthropic_message_from_openai(completion(), client_model="m")["id"]


def test_client_model_replaces_upstream_model():
    assert convert(completion())["model"] == "claude-sonnet-4-5"


def test_cached_tokens_are_split_out():
    usage = {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 80}}
    assert convert(completion(usage=usage))["usage"] == {
        "input_tokens": 20, "output_tokens": 5, "cache_read_input_tokens": 80, "cache_creation_input_tokens": 0
    }


def test_missing_usage_is_zero():
    assert convert(completion())["usage"]["output_tokens"] == 0


@pytest.mark.parametrize("key", ["reasoning_content", "reasoning"])
def test_reasoning_becomes_thinking_block_first(key):
    message = convert(completion({key: "Let me think.", "content": "42"}))
    assert message["content"] == [
        {"type": "thinking", "thinking": "Let me think.", "signature": ""},
        {"type": "text", "text": "42"},
    ]


def test_tool_calls_become_tool_use_blocks_after_text():
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "now", "arguments": ""}},
    ]
    message = convert(completion({"content": "Checking.", "tool_calls": calls}, finish_reason="tool_calls"))
    assert message["content"] == [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "now", "input": {}},
    ]
    assert message["stop_reason"] == "tool_use"


def test_tool_call_with_null_content_and_missing_id():
    calls = [{"type": "function", "function": {"name": "now", "arguments": "{}"}}]
    message = convert(completion({"content": None, "tool_calls": calls}, finish_reason="tool_calls"))
    assert len(message["content"]) == 1
    assert message["content"][0]["id"].startswith("toolu_")
    assert message["content"][0]["input"] == {}


@pytest.mark.parametrize("arguments", ['{"city": "Par', "[1, 2]", '"text"'])
def test_arguments_that_are_not_a_json_object_are_kept_raw(arguments):
    calls = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": arguments}}]
    message = convert(completion({"content": None, "tool_calls": calls}, finish_reason="tool_calls"))
    assert message["content"][0]["input"] == {"_raw_arguments": arguments}


def test_stop_finish_with_tool_calls_is_tool_use():
    calls = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert convert(completion({"content": None, "tool_calls": calls}, finish_reason="stop"))["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [("stop", "end_turn"), ("length", "max_tokens"), ("content_filter", "refusal"), (None, "end_turn"), ("weird", "end_turn")],
)
def test_finish_reasons(finish_reason, stop_reason):
    assert convert(completion(finish_reason=finish_reason))["stop_reason"] == stop_reason


def test_stop_sequence_named_by_the_server():
    message = convert(completion(stop_reason="END"), stop_sequences=["END", "STOP"])
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "END")


def test_stop_sequence_named_by_sglang_matched_stop():
    message = convert(completion(matched_stop="STOP"), stop_sequences=["END", "STOP"])
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "STOP")


def test_stop_sequence_left_at_end_of_text():
    message = convert(completion({"content": "one two END"}), stop_sequences=["END"])
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "END")


def test_unknown_stop_is_end_turn():
    message = convert(completion({"content": "one two"}), stop_sequences=["END"])
    assert (message["stop_reason"], message["stop_sequence"]) == ("end_turn", None)


def test_stop_sequence_not_reported_for_length():
    message = convert(completion({"content": "x END"}, finish_reason="length"), stop_sequences=["END"])
    assert (message["stop_reason"], message["stop_sequence"]) == ("max_tokens", None)


def test_server_stop_reason_that_is_a_token_id_is_ignored():
    message = convert(completion(stop_reason=128001), stop_sequences=["END"])
    assert message["stop_reason"] == "end_turn"


def test_refusal_becomes_text_and_stop_reason():
    message = convert(completion({"content": None, "refusal": "I can't help with that."}))
    assert message["content"] == [{"type": "text", "text": "I can't help with that."}]
    assert message["stop_reason"] == "refusal"


def test_content_parts_are_joined():
    message = convert(completion({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}))
    assert message["content"] == [{"type": "text", "text": "ab"}]


def test_empty_answer_has_no_blocks():
    assert convert(completion({"content": ""}))["content"] == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        "text",
        [],
        {},
        {"choices": []},
        {"choices": "x"},
        {"choices": [None]},
        {"choices": [{"index": 0}]},
        {"choices": [{"message": "hi"}]},
        {"choices": [{"message": {"tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}}]},
        {"choices": [{"message": {"tool_calls": ["x"]}}]},
    ],
)
def test_upstream_garbage_is_a_502_api_error(body):
    with pytest.raises(RequestRejected) as caught:
        anthropic_message_from_openai(body, client_model="m")
    assert caught.value.error.status == 502
    assert caught.value.error.type == "api_error"


def test_error_body_with_status_200_keeps_upstream_message():
    body = {"error": {"message": "model is loading", "type": "server_error", "code": 503}}
    with pytest.raises(RequestRejected) as caught:
        anthropic_message_from_openai(body, client_model="m")
    assert caught.value.error.status == 502
    assert caught.value.error.message == "model is loading"
