import pytest

from unit.pairs import AnthropicToOpenAIStream
from unit.pairs import openai_completion_from_anthropic
from anyrouter_core.errors import RequestRejected
from unit.pairs import openai_stream_from_completion
from unit.checks_openai_to_anthropic import accumulate, anthropic_stream, read_openai_stream

USAGE = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14, "prompt_tokens_details": {"cached_tokens": 0}}


def completion(message: dict, finish_reason: str = "stop", usage: dict | None = USAGE) -> dict:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage,
    }


def envelope(choices: list, **extra) -> dict:
    return {
        "id": "chatcmpl-abc",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o",
        "choices": choices,
        **extra,
    }


def choice(delta: dict, finish_reason: str | None = None) -> list:
    return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]


def test_text_completion_gives_exact_chunks():
    body = openai_stream_from_completion(
        completion({"role": "assistant", "content": "Hello!", "refusal": None}), include_usage=False
    )
    chunks, ending = read_openai_stream(body)
    assert ending == "[DONE]"
    assert chunks == [
        envelope(choice({"role": "assistant", "content": ""})),
        envelope(choice({"content": "Hello!"})),
        envelope(choice({}, "stop")),
    ]


def test_usage_chunk_only_when_asked_for():
    message = {"role": "assistant", "content": "Hi"}
    with_usage, _ = read_openai_stream(openai_stream_from_completion(completion(message), include_usage=True))
    without_usage, _ = read_openai_stream(openai_stream_from_completion(completion(message), include_usage=False))
    assert with_usage[-1] == envelope([], usage=USAGE)
    assert all(c["usage"] is None for c in with_usage[:-1])
    assert all("usage" not in c for c in without_usage)
    assert len(with_usage) == len(without_usage) + 1


def test_missing_usage_gives_no_usage_chunk():
    chunks, ending = read_openai_stream(
        openai_stream_from_completion(
            completion({"role": "assistant", "content": "Hi"}, usage=None), include_usage=True
        )
    )
    assert ending == "[DONE]"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_tool_calls_come_one_chunk_each_with_index_id_name_and_arguments():
    calls = [
        {"id": "toolu_a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
        {"id": "toolu_b", "type": "function", "function": {"name": "now", "arguments": "{}"}},
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    chunks, _ = read_openai_stream(
        openai_stream_from_completion(completion(message, "tool_calls"), include_usage=False)
    )
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"tool_calls": [{"index": 0, **calls[0]}]},
        {"tool_calls": [{"index": 1, **calls[1]}]},
        {},
    ]
    final = accumulate(chunks).choices[0]
    assert final.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in final.message.tool_calls] == [
        ("toolu_a", "get_weather", '{"city":"Paris"}'),
        ("toolu_b", "now", "{}"),
    ]


def test_reasoning_content_comes_before_content():
    message = {"role": "assistant", "content": "42", "reasoning_content": "Adding."}
    chunks, _ = read_openai_stream(openai_stream_from_completion(completion(message), include_usage=False))
    assert [c["choices"][0]["delta"] for c in chunks[1:3]] == [{"reasoning_content": "Adding."}, {"content": "42"}]


def test_refusal_is_streamed():
    message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    chunks, _ = read_openai_stream(
        openai_stream_from_completion(completion(message, "content_filter"), include_usage=False)
    )
    assert accumulate(chunks).choices[0].message.refusal == "I can't help with that."


ANTHROPIC_CONTENT = [
    {"type": "thinking", "thinking": "Two cities.", "signature": "s"},
    {"type": "text", "text": "Checking."},
    {"type": "tool_use", "id": "toolu_a", "name": "get_weather", "input": {"city": "Paris"}},
    {"type": "tool_use", "id": "toolu_b", "name": "get_weather", "input": {"city": "Rome"}},
]


@pytest.mark.parametrize("include_usage", [True, False])
def test_same_answer_as_the_live_stream_translator(include_usage):
    """A non-streamed answer replayed as a stream reads the same as the upstream's own stream."""
    anthropic_usage = {"input_tokens": 20, "output_tokens": 30}
    message = {
        "id": "msg_01Same",
        "type": "message",
        "role": "assistant",
        "content": ANTHROPIC_CONTENT,
        "stop_reason": "tool_use",
        "usage": anthropic_usage,
    }
    replayed = openai_stream_from_completion(
        openai_completion_from_anthropic(message, client_model="gpt-4o", created=5), include_usage=include_usage
    )
    events = [
        {
            "type": "message_start",
            "message": {
                **message,
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 20, "output_tokens": 1},
            },
        }
    ]
    for index, block in enumerate(ANTHROPIC_CONTENT):
        if block["type"] == "tool_use":
            events.append({"type": "content_block_start", "index": index, "content_block": {**block, "input": {}}})
            partial = '{"city":"%s"}' % block["input"]["city"]
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": partial},
                }
            )
        else:
            kind = block["type"]
            events.append({"type": "content_block_start", "index": index, "content_block": {"type": kind, kind: ""}})
            events.append(
                {"type": "content_block_delta", "index": index, "delta": {"type": f"{kind}_delta", kind: block[kind]}}
            )
        events.append({"type": "content_block_stop", "index": index})
    events += [
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
        {"type": "message_stop"},
    ]
    live = AnthropicToOpenAIStream(client_model="gpt-4o", include_usage=include_usage, created=5)
    streamed = live.feed(anthropic_stream(events)) + live.end()

    replayed_chunks, replayed_end = read_openai_stream(replayed)
    streamed_chunks, streamed_end = read_openai_stream(streamed)
    assert replayed_end == streamed_end == "[DONE]"
    assert accumulate(replayed_chunks).model_dump() == accumulate(streamed_chunks).model_dump()
    assert replayed_chunks[0] == streamed_chunks[0]
    assert replayed_chunks[-1] == streamed_chunks[-1]


@pytest.mark.parametrize(
    "body",
    [
        "text",
        {"id": "x"},
        {"choices": []},
        {"choices": ["x"]},
        {"choices": [{"message": None}]},
        {"choices": [{"message": {"tool_calls": "f"}}]},
        {"choices": [{"message": {"tool_calls": ["f"]}}]},
    ],
)
def test_something_that_is_not_a_completion_is_a_502_rejection(body):
    with pytest.raises(RequestRejected) as caught:
        openai_stream_from_completion(body, include_usage=True)
    error = caught.value.error
    assert (error.status, error.message) == (502, "the upstream answered with something that is not a chat completion")
