"""OpenAI clients → the proxy → an Anthropic upstream (aimock behind a recording relay, and
llama.cpp's /v1/messages), validated with the openai SDK's own types and stream handling."""

from __future__ import annotations

import http.client
import json

import openai
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from harness import LOOPBACK
from recordings.scenarios import OPENAI_TOOLS

MODEL = "claude-sonnet-4-6"
TOOLS = OPENAI_TOOLS


def client_for(proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-openai-client-key-0042", max_retries=0)


def stream_chunks(client: openai.OpenAI, **params) -> tuple[list[ChatCompletionChunk], ChatCompletion]:
    """The raw chunks (each validated strictly) and the SDK's own accumulation of them."""
    state = ChatCompletionStreamState()
    chunks = []
    for chunk in client.chat.completions.create(stream=True, **params):
        chunks.append(ChatCompletionChunk.model_validate(chunk.to_dict()))
        state.handle_chunk(chunk)
    try:
        return chunks, state.get_final_completion()
    except openai.LengthFinishReasonError:  # the SDK refuses to "parse" a cut answer; keep it
        return chunks, state.current_completion_snapshot


def test_text_non_stream(openai_to_anthropic_proxy, relay):
    completion = client_for(openai_to_anthropic_proxy).chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "o2a plain hello"},
        ],
        max_tokens=300,
        stop=["\n\n", "END"],
        temperature=1.7,
        user="user-1234",
    )
    ChatCompletion.model_validate(completion.to_dict())
    assert completion.choices[0].message.content == "Hello, OpenAI client, from an Anthropic upstream."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.object == "chat.completion"

    sent = relay.only("o2a plain hello")
    assert (sent.method, sent.path) == ("POST", "/v1/messages")
    assert sent.headers["x-api-key"] == "sk-openai-client-key-0042"
    assert "authorization" not in sent.headers
    assert sent.headers["anthropic-version"] == "2023-06-01"
    body = sent.body
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "o2a plain hello"}]}]
    assert body["max_tokens"] == 300
    assert body["stop_sequences"] == ["END"]
    assert body["temperature"] == 1.0
    assert body["metadata"] == {"user_id": "user-1234"}


def test_text_stream_with_usage(openai_to_anthropic_proxy, relay):
    chunks, final = stream_chunks(
        client_for(openai_to_anthropic_proxy),
        model=MODEL,
        messages=[{"role": "user", "content": "o2a plain hello, streamed with usage"}],
        stream_options={"include_usage": True},
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.choices[0].index == 0 for c in chunks if c.choices)
    assert final.choices[0].message.content == "Hello, OpenAI client, from an Anthropic upstream."
    assert final.choices[0].finish_reason == "stop"
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.total_tokens == usage_chunk.usage.prompt_tokens + usage_chunk.usage.completion_tokens
    assert usage_chunk.usage.completion_tokens > 0
    assert [c for c in chunks[:-1] if c.usage is not None] == []
    sent = relay.only("o2a plain hello, streamed with usage")
    assert sent.path == "/v1/messages"
    assert sent.body["stream"] is True
    assert "stream_options" not in sent.body
    assert sent.body["max_tokens"] == 8192  # default_max_tokens


def test_stream_without_include_usage_has_no_usage_chunk(openai_to_anthropic_proxy):
    chunks, final = stream_chunks(
        client_for(openai_to_anthropic_proxy),
        model=MODEL,
        messages=[{"role": "user", "content": "o2a plain hello, no usage"}],
    )
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert final.choices[0].finish_reason == "stop"


def test_raw_stream_ends_with_done_and_events_are_complete(openai_to_anthropic_proxy):
    conn = http.client.HTTPConnection(LOOPBACK, openai_to_anthropic_proxy.port, timeout=20)
    conn.request(
        "POST",
        "/v1/chat/completions",
        body=json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "o2a plain hello raw"}]}),
        headers={"content-type": "application/json", "authorization": "Bearer sk-raw-client-0001"},
    )
    response = conn.getresponse()
    raw = response.read().decode()
    conn.close()
    assert response.status == 200
    assert response.getheader("content-type").startswith("text/event-stream")
    events = [e for e in raw.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)
    assert "event:" not in raw


def test_tool_call_non_stream(openai_to_anthropic_proxy, relay):
    completion = client_for(openai_to_anthropic_proxy).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "o2a one tool, not streamed"}],
        tools=TOOLS,
        tool_choice="required",
        parallel_tool_calls=False,
    )
    ChatCompletion.model_validate(completion.to_dict())
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert (call.id, call.type, call.function.name) == ("toolu_o2a_weather", "function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Lisbon", "unit": "celsius"}
    sent = relay.only("o2a one tool, not streamed").body
    assert sent["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert sent["tools"][0] == {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": TOOLS[0]["function"]["parameters"],
    }


def test_tool_call_stream(openai_to_anthropic_proxy):
    chunks, final = stream_chunks(
        client_for(openai_to_anthropic_proxy),
        model=MODEL,
        messages=[{"role": "user", "content": "o2a one tool, streamed"}],
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    [call] = final.choices[0].message.tool_calls
    assert call.id == "toolu_o2a_weather"
    assert json.loads(call.function.arguments) == {"city": "Lisbon", "unit": "celsius"}
    assert final.choices[0].finish_reason == "tool_calls"
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas[0].id == "toolu_o2a_weather" and deltas[0].function.name == "get_weather"
    assert all(d.index == 0 for d in deltas)
    assert all(d.id is None for d in deltas[1:])


def test_two_parallel_tool_calls_stream(openai_to_anthropic_proxy):
    chunks, final = stream_chunks(
        client_for(openai_to_anthropic_proxy),
        model=MODEL,
        messages=[{"role": "user", "content": "o2a two tools, streamed"}],
        tools=TOOLS,
    )
    calls = final.choices[0].message.tool_calls
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("toolu_o2a_a", "get_weather", {"city": "Oslo"}),
        ("toolu_o2a_b", "get_time", {"zone": "Europe/Oslo"}),
    ]
    indices = [tc.index for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert indices[0] == 0 and indices[-1] == 1 and sorted(set(indices)) == [0, 1]
    assert indices == sorted(indices)


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_full_tool_round_trip(openai_to_anthropic_proxy, relay, stream):
    client = client_for(openai_to_anthropic_proxy)
    question = {"role": "user", "content": f"o2a round trip ({'stream' if stream else 'plain'})"}

    def ask(messages):
        if stream:
            return stream_chunks(client, model=MODEL, messages=messages, tools=TOOLS)[1]
        return client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)

    first = ask([question])
    [call] = first.choices[0].message.tool_calls
    assert call.id == "toolu_o2a_round"
    second = ask(
        [
            question,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": "18C, cloudy"},
        ]
    )
    assert second.choices[0].message.content == "Kyoto is 18 degrees and cloudy."
    assert second.choices[0].finish_reason == "stop"
    follow_up = relay.find(question["content"])[-1].body
    assert follow_up["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_o2a_round", "name": "get_weather", "input": {"city": "Kyoto"}}],
    }
    assert follow_up["messages"][2]["role"] == "user"
    assert follow_up["messages"][2]["content"][0] == {
        "type": "tool_result",
        "tool_use_id": "toolu_o2a_round",
        "content": [{"type": "text", "text": "18C, cloudy"}],
    }


def test_upstream_rate_limit_becomes_an_openai_error_with_retry_after(openai_to_anthropic_proxy):
    client = client_for(openai_to_anthropic_proxy)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "o2a rate limited"}])
    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "7"
    assert error.body == {
        "message": "Number of requests has exceeded your rate limit",
        "type": "rate_limit_error",
        "param": None,
        "code": None,
    }


def test_upstream_overloaded_becomes_503_for_openai_clients(openai_to_anthropic_proxy):
    client = client_for(openai_to_anthropic_proxy)
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(
            model=MODEL, stream=True, messages=[{"role": "user", "content": "o2a overloaded"}]
        )
    assert caught.value.status_code == 503
    assert caught.value.body["type"] == "service_unavailable_error"
    assert caught.value.body["message"] == "Overloaded"


@pytest.mark.parametrize(
    ("params", "param"),
    [({"n": 2}, "n"), ({"logprobs": True}, "logprobs")],
)
def test_parameters_anthropic_cannot_carry_are_refused_with_400(openai_to_anthropic_proxy, relay, params, param):
    client = client_for(openai_to_anthropic_proxy)
    marker = f"o2a plain hello refused {param}"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": marker}], **params)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == param
    assert caught.value.body["type"] == "invalid_request_error"
    assert relay.find(marker) == []


def test_chat_completions_without_v1_prefix(openai_to_anthropic_proxy, relay):
    client = openai.OpenAI(base_url=openai_to_anthropic_proxy.url, api_key="sk-openai-client-key-0042", max_retries=0)
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "o2a plain hello without v1"}]
    )
    assert completion.choices[0].message.content == "Hello, OpenAI client, from an Anthropic upstream."
    assert relay.only("o2a plain hello without v1").path == "/v1/messages"


def test_force_non_stream_still_streams_to_the_client(start_proxy, relay):
    proxy = start_proxy(relay.url, upstream_protocol="anthropic", force_non_stream="true")
    chunks, final = stream_chunks(
        client_for(proxy),
        model=MODEL,
        messages=[{"role": "user", "content": "o2a two tools, forced non-stream"}],
        tools=TOOLS,
        stream_options={"include_usage": True},
    )
    assert "stream" not in relay.only("o2a two tools, forced non-stream").body
    assert [c.function.name for c in final.choices[0].message.tool_calls] == ["get_weather", "get_time"]
    assert final.choices[0].finish_reason == "tool_calls"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_real_model_through_llama_cpp_messages_endpoint(start_proxy, llama, stream):
    proxy = start_proxy(llama.url, upstream_protocol="anthropic")
    client = client_for(proxy)
    messages = [{"role": "user", "content": "Name a colour."}]
    if stream:
        _, completion = stream_chunks(client, model="smollm2", messages=messages, max_tokens=16)
    else:
        completion = client.chat.completions.create(model="smollm2", messages=messages, max_tokens=16)
        ChatCompletion.model_validate(completion.to_dict())
    assert completion.choices[0].message.content.strip()
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.model == "smollm2"
