import pytest
from openai.types.chat import ChatCompletion

from unit.pairs import completion_id_for, openai_completion_from_anthropic
from anyrouter_core.errors import RequestRejected
from anyrouter_core.protocols import OPENAI, protocol_named

USAGE = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}


def message(content: list, stop_reason: str | None = "end_turn", usage: dict | None = USAGE, **extra) -> dict:
    return {
        "id": "msg_01AbC",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
        **extra,
    }


def convert(anthropic: dict) -> dict:
    completion = openai_completion_from_anthropic(anthropic, client_model="gpt-4o", created=1700000000)
    ChatCompletion.model_validate(completion)
    return completion


def test_text_message_becomes_exact_chat_completion():
    assert convert(message([{"type": "text", "text": "Hello!"}])) == {
        "id": "chatcmpl-01AbC",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello!", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }


def test_completion_id_is_derived_from_the_anthropic_id():
    assert completion_id_for("msg_01XYZ") == "chatcmpl-01XYZ"
    assert completion_id_for("other-id") == "chatcmpl-other-id"


def test_text_blocks_are_joined():
    completion = convert(message([{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world"}]))
    assert completion["choices"][0]["message"]["content"] == "Hello, world"


def test_thinking_becomes_reasoning_content():
    completion = convert(
        message(
            [
                {"type": "thinking", "thinking": "Let me think.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "42"},
            ]
        )
    )
    assert completion["choices"][0]["message"] == {
        "role": "assistant",
        "content": "42",
        "refusal": None,
        "reasoning_content": "Let me think.",
    }


def test_only_tool_calls_give_null_content_and_tool_calls_finish():
    completion = convert(
        message(
            [
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
            ],
            stop_reason="tool_use",
        )
    )
    choice = completion["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "toolu_2", "type": "function", "function": {"name": "now", "arguments": "{}"}},
        ],
    }


def test_text_with_tool_call_keeps_both():
    completion = convert(
        message(
            [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"ü": "é"}},
            ],
            stop_reason="tool_use",
        )
    )
    reply = completion["choices"][0]["message"]
    assert reply["content"] == "Checking."
    assert reply["tool_calls"][0]["function"]["arguments"] == '{"ü":"é"}'


def test_empty_content_gives_empty_string():
    assert convert(message([], stop_reason="max_tokens"))["choices"][0]["message"]["content"] == ""


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        (None, "stop"),
    ],
)
def test_finish_reason_follows_stop_reason(stop_reason, finish_reason):
    assert (
        convert(message([{"type": "text", "text": "x"}], stop_reason=stop_reason))["choices"][0]["finish_reason"]
        == finish_reason
    )


def test_usage_counts_cache_reads_and_writes_into_prompt_tokens():
    usage = {"input_tokens": 3, "output_tokens": 7, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 20}
    assert convert(message([{"type": "text", "text": "x"}], usage=usage))["usage"] == {
        "prompt_tokens": 123,
        "completion_tokens": 7,
        "total_tokens": 130,
        "prompt_tokens_details": {"cached_tokens": 100, "cache_creation_tokens": 20},
    }


def test_server_tool_blocks_are_left_out():
    completion = convert(
        message(
            [
                {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}},
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "text", "text": "Found it."},
            ]
        )
    )
    assert completion["choices"][0]["message"] == {"role": "assistant", "content": "Found it.", "refusal": None}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("oops", "the body is not a JSON object"),
        ({"content": []}, "no id"),
        ({"id": "msg_1"}, "content is not a list"),
        ({"id": "msg_1", "content": ["hi"]}, "content[0] is not an object"),
        ({"id": "msg_1", "content": [{"type": "text"}]}, "content[0].text is not a string"),
        ({"id": "msg_1", "content": [{"type": "thinking", "thinking": 1}]}, "content[0].thinking is not a string"),
        ({"id": "msg_1", "content": [{"type": "tool_use", "name": "f", "input": {}}]}, "content[0].id is not a string"),
        (
            {"id": "msg_1", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": "x"}]},
            "content[0].input is not an object",
        ),
        ({"id": "msg_1", "content": [], "usage": 5}, "usage is not an object"),
        ({"id": "msg_1", "content": [], "stop_reason": 5}, "stop_reason is not a string"),
    ],
)
def test_upstream_garbage_raises_a_502_rejection(body, problem):
    with pytest.raises(RequestRejected) as caught:
        openai_completion_from_anthropic(body, client_model="gpt-4o", created=1)
    error = caught.value.error
    assert (error.status, error.type) == (502, "api_error")
    assert error.message == f"the upstream answered with an invalid Anthropic message: {problem}"
    status, rendered = protocol_named(OPENAI).codec.render_error(error)
    assert status == 502
    assert rendered["error"]["type"] == "server_error"


def test_error_object_sent_as_a_message_keeps_its_message_and_type():
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(RequestRejected) as caught:
        openai_completion_from_anthropic(body, client_model="gpt-4o", created=1)
    error = caught.value.error
    assert (error.status, error.type, error.message) == (529, "overloaded_error", "Overloaded")
    status, rendered = protocol_named(OPENAI).codec.render_error(error)
    assert status == 503
    assert rendered["error"] == {
        "message": "Overloaded",
        "type": "service_unavailable_error",
        "param": None,
        "code": None,
    }
