"""Anthropic clients → the proxy → an OpenAI-compatible upstream (aimock's /v1/chat/completions
behind a recording relay, and llama.cpp behind another), validated with the anthropic SDK's
own types, its stream helper and accumulator, and strict validation of every raw event."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import anthropic
import pytest
from anthropic.types import Message

from anthropic_stream_checks import _check_order, check_anthropic_stream
from harness import LOOPBACK, free_port
from recording_relay import Recorded, RecordingRelay

MODEL = "claude-sonnet-4-6"
CLIENT_KEY = "sk-ant-a2o-client-key-0042"
OPENAI_PATH = "/v1/chat/completions"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["city"],
    },
}
TIME_TOOL = {
    "name": "get_time",
    "description": "Current time in a zone",
    "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}},
}
TOOLS = [WEATHER_TOOL, TIME_TOOL]
# The OpenAI form the upstream must receive for TOOLS.
OPENAI_TOOLS = [
    {"type": "function", "function": {"name": t["name"], "description": t["description"], "parameters": t["input_schema"]}}
    for t in TOOLS
]
# The events of the wire protocol; the SDK's stream helper adds its own derived ones
# ("text", "thinking", "input_json", …) between them.
RAW_EVENT_TYPES = {
    "message_start", "content_block_start", "content_block_delta",
    "content_block_stop", "message_delta", "message_stop",
}


def client_for(proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=CLIENT_KEY, max_retries=0)


def stream_message(client: anthropic.Anthropic, **params) -> tuple[list[dict], Message]:
    """The raw events (each validated strictly, order rules checked) and the SDK's final message."""
    events: list[dict] = []
    with client.messages.stream(**params) as stream:
        for event in stream:
            if event.type not in RAW_EVENT_TYPES:
                continue
            # The helper re-builds the two stop events with a snapshot attached; on the wire
            # they carry only these fields.
            if event.type == "content_block_stop":
                events.append({"type": "content_block_stop", "index": event.index})
            elif event.type == "message_stop":
                events.append({"type": "message_stop"})
            else:
                events.append(event.to_dict())
        final = stream.get_final_message()
    _check_order(events, finished=True)
    Message.model_validate(final.to_dict())
    return events, final


def create_message(client: anthropic.Anthropic, **params) -> Message:
    message = client.messages.create(**params)
    Message.model_validate(message.to_dict())
    return message


def upstream(relay: RecordingRelay, marker: str) -> Recorded:
    """The one upstream request for `marker`; it must have gone to the OpenAI endpoint."""
    sent = relay.only(marker)
    assert (sent.method, sent.path) == ("POST", OPENAI_PATH)
    return sent


def types_of(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


def blocks(message: Message) -> list[dict]:
    return [block.to_dict() for block in message.content]


# ---------------------------------------------------------------- text


def test_text_non_stream(anthropic_to_openai_proxy, relay):
    message = create_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=200,
        messages=[{"role": "user", "content": "a2o plain hello, not streamed"}],
    )
    assert blocks(message) == [{"type": "text", "text": "Hello, Anthropic client, from an OpenAI upstream."}]
    assert (message.type, message.role) == ("message", "assistant")
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    assert message.model == MODEL
    assert message.id.startswith("msg_") and len(message.id) > len("msg_")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (17, 11)

    sent = upstream(relay, "a2o plain hello, not streamed").body
    assert sent == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "a2o plain hello, not streamed"}],
        "max_tokens": 200,
    }


def test_text_stream(anthropic_to_openai_proxy, relay):
    events, message = stream_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=200,
        messages=[{"role": "user", "content": "a2o plain hello, streamed"}],
    )
    text = "Hello, Anthropic client, from an OpenAI upstream."
    assert blocks(message) == [{"type": "text", "text": text}]
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    assert message.model == MODEL
    assert message.id.startswith("msg_")
    assert (message.usage.input_tokens, message.usage.output_tokens) == (17, 11)

    # aimock streams the text in three pieces; each leaves the proxy as its own delta.
    assert types_of(events) == [
        "message_start", "content_block_start",
        "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_stop", "message_delta", "message_stop",
    ]
    start = events[0]["message"]
    assert (start["id"], start["model"], start["content"]) == (message.id, MODEL, [])
    assert start["usage"]["input_tokens"] > 0  # an estimate until the upstream's usage arrives
    assert events[1]["content_block"] == {"type": "text", "text": ""}
    assert "".join(e["delta"]["text"] for e in events[2:5]) == text
    assert all(len(e["delta"]["text"]) < len(text) for e in events[2:5])
    assert events[6]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert (events[6]["usage"]["input_tokens"], events[6]["usage"]["output_tokens"]) == (17, 11)

    sent = upstream(relay, "a2o plain hello, streamed").body
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}


def test_raw_stream_is_anthropic_sse(anthropic_to_openai_proxy, relay):
    """What goes over the wire: named events, no `[DONE]`, the SSE content type."""
    conn = http.client.HTTPConnection(LOOPBACK, anthropic_to_openai_proxy.port, timeout=20)
    conn.request(
        "POST",
        "/v1/messages",
        body=json.dumps({
            "model": MODEL, "max_tokens": 100, "stream": True,
            "messages": [{"role": "user", "content": "a2o plain hello, raw"}],
        }),
        headers={"content-type": "application/json", "x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"},
    )
    response = conn.getresponse()
    body = response.read()
    conn.close()
    assert response.status == 200
    assert response.getheader("content-type").startswith("text/event-stream")
    assert response.getheader("content-length") is None
    checked = check_anthropic_stream(body)
    assert checked.error is None
    assert checked.message.content[0].text == "Hello, Anthropic client, from an OpenAI upstream."
    assert b"[DONE]" not in body and b"chat.completion" not in body
    upstream(relay, "a2o plain hello, raw")


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_length_finish_becomes_max_tokens(anthropic_to_openai_proxy, relay, stream):
    marker = f"a2o hits the limit ({'stream' if stream else 'plain'})"
    params = {"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": marker}]}
    client = client_for(anthropic_to_openai_proxy)
    message = stream_message(client, **params)[1] if stream else create_message(client, **params)
    assert blocks(message) == [{"type": "text", "text": "This answer stops at the token lim"}]
    assert (message.stop_reason, message.stop_sequence) == ("max_tokens", None)
    assert upstream(relay, marker).body["max_tokens"] == 8


# ---------------------------------------------------------------- tools


def test_tool_call_non_stream(anthropic_to_openai_proxy, relay):
    message = create_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=200,
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "a2o one tool, not streamed"}],
    )
    assert blocks(message) == [
        {"type": "tool_use", "id": "call_a2o_weather", "name": "get_weather",
         "input": {"city": "Lisbon", "unit": "celsius"}}
    ]
    assert message.stop_reason == "tool_use"
    sent = upstream(relay, "a2o one tool, not streamed").body
    assert sent["tools"] == OPENAI_TOOLS
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert "parallel_tool_calls" not in sent


def test_tool_call_stream(anthropic_to_openai_proxy, relay):
    events, message = stream_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=200,
        tools=TOOLS,
        messages=[{"role": "user", "content": "a2o one tool, streamed"}],
    )
    assert blocks(message) == [
        {"type": "tool_use", "id": "call_a2o_weather", "name": "get_weather",
         "input": {"city": "Lisbon", "unit": "celsius"}}
    ]
    assert message.stop_reason == "tool_use"
    assert types_of(events)[:2] == ["message_start", "content_block_start"]
    assert events[1]["content_block"] == {
        "type": "tool_use", "id": "call_a2o_weather", "name": "get_weather", "input": {}
    }
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]
    assert {d["type"] for d in deltas} == {"input_json_delta"}
    assert json.loads("".join(d["partial_json"] for d in deltas)) == {"city": "Lisbon", "unit": "celsius"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    assert "tool_choice" not in upstream(relay, "a2o one tool, streamed").body


def test_two_parallel_tool_calls_stream(anthropic_to_openai_proxy, relay):
    events, message = stream_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=200,
        tools=TOOLS,
        messages=[{"role": "user", "content": "a2o two tools, streamed"}],
    )
    assert blocks(message) == [
        {"type": "tool_use", "id": "call_a2o_a", "name": "get_weather", "input": {"city": "Oslo"}},
        {"type": "tool_use", "id": "call_a2o_b", "name": "get_time", "input": {"zone": "Europe/Oslo"}},
    ]
    assert message.stop_reason == "tool_use"
    # One block open at a time: the first call is closed before the second starts.
    shape = [(e["type"], e.get("index")) for e in events if e["type"].startswith("content_block_")]
    assert shape[0] == ("content_block_start", 0)
    assert shape.index(("content_block_stop", 0)) < shape.index(("content_block_start", 1))
    assert shape[-1] == ("content_block_stop", 1)
    # The second call's arguments arrive in two upstream pieces and leave as two deltas.
    second = [e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta" and e["index"] == 1]
    assert second == ['{"zone":"Europe/Oslo', '"}']
    upstream(relay, "a2o two tools, streamed")


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_full_tool_round_trip(anthropic_to_openai_proxy, relay, stream):
    client = client_for(anthropic_to_openai_proxy)
    question = f"a2o round trip ({'stream' if stream else 'plain'})"

    def ask(messages: list[dict]) -> Message:
        params = {"model": MODEL, "max_tokens": 300, "tools": [WEATHER_TOOL], "messages": messages}
        return stream_message(client, **params)[1] if stream else create_message(client, **params)

    first = ask([{"role": "user", "content": question}])
    assert first.stop_reason == "tool_use"
    [call] = first.content
    assert (call.type, call.id, call.name, call.input) == ("tool_use", "call_a2o_round", "get_weather", {"city": "Kyoto"})

    second = ask([
        {"role": "user", "content": question},
        {"role": "assistant", "content": blocks(first)},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "18C, cloudy"}]},
    ])
    assert blocks(second) == [{"type": "text", "text": "Kyoto is 18 degrees and cloudy."}]
    assert second.stop_reason == "end_turn"

    turns = relay.find(question)
    assert [(t.method, t.path) for t in turns] == [("POST", OPENAI_PATH)] * 2
    messages = turns[1].body["messages"]
    assert messages[0] == {"role": "user", "content": question}
    [assistant, tool] = messages[1:]
    assert assistant["role"] == "assistant" and not assistant.get("content")
    [tool_call] = assistant["tool_calls"]
    assert (tool_call["id"], tool_call["type"], tool_call["function"]["name"]) == ("call_a2o_round", "function", "get_weather")
    assert json.loads(tool_call["function"]["arguments"]) == {"city": "Kyoto"}
    assert tool == {"role": "tool", "tool_call_id": "call_a2o_round", "content": "18C, cloudy"}


# ---------------------------------------------------------------- thinking


THINKING = "The user wants a number. Six times seven is 42."


def test_thinking_from_reasoning_content_non_stream(anthropic_to_openai_proxy, relay):
    message = create_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "a2o thinking, not streamed"}],
    )
    assert blocks(message) == [
        {"type": "thinking", "thinking": THINKING, "signature": ""},
        {"type": "text", "text": "The answer is 42."},
    ]
    assert message.stop_reason == "end_turn"
    sent = upstream(relay, "a2o thinking, not streamed").body
    assert sent["reasoning_effort"] == "low"
    assert "thinking" not in sent


def test_thinking_from_reasoning_content_stream(anthropic_to_openai_proxy, relay):
    events, message = stream_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=32000,
        thinking={"type": "enabled", "budget_tokens": 20000},
        messages=[{"role": "user", "content": "a2o thinking, streamed"}],
    )
    assert blocks(message) == [
        {"type": "thinking", "thinking": THINKING, "signature": ""},
        {"type": "text", "text": "The answer is 42."},
    ]
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "text"]
    thinking_deltas = [e["delta"]["thinking"] for e in events if e["type"] == "content_block_delta" and e["index"] == 0]
    assert len(thinking_deltas) == 3 and "".join(thinking_deltas) == THINKING
    assert message.stop_reason == "end_turn"
    assert upstream(relay, "a2o thinking, streamed").body["reasoning_effort"] == "high"


# ---------------------------------------------------------------- upstream errors


def test_upstream_rate_limit_becomes_an_anthropic_error_with_retry_after(anthropic_to_openai_proxy, relay):
    with pytest.raises(anthropic.RateLimitError) as caught:
        client_for(anthropic_to_openai_proxy).messages.create(
            model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "a2o rate limited"}]
        )
    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "7"
    assert error.response.headers["content-type"] == "application/json"
    assert error.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Rate limit reached for requests"},
    }
    upstream(relay, "a2o rate limited")


def test_upstream_500_becomes_an_anthropic_api_error(anthropic_to_openai_proxy, relay):
    with pytest.raises(anthropic.InternalServerError) as caught:
        client_for(anthropic_to_openai_proxy).messages.create(
            model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "a2o server error"}]
        )
    assert caught.value.status_code == 500
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "api_error", "message": "The server had an error while processing your request"},
    }
    upstream(relay, "a2o server error")


def test_upstream_503_on_a_stream_becomes_anthropic_overloaded(anthropic_to_openai_proxy, relay):
    with pytest.raises(anthropic.OverloadedError) as caught:
        stream_message(
            client_for(anthropic_to_openai_proxy),
            model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "a2o unavailable"}],
        )
    assert caught.value.status_code == 529
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "overloaded_error",
            "message": "The engine is currently overloaded, please try again later",
        },
    }
    assert upstream(relay, "a2o unavailable").body["stream"] is True


def test_unreachable_upstream_gives_an_anthropic_error(start_proxy):
    proxy = start_proxy(f"http://{LOOPBACK}:{free_port()}", upstream_protocol="openai")
    with pytest.raises(anthropic.APIStatusError) as caught:
        stream_message(
            client_for(proxy), model=MODEL, max_tokens=50,
            messages=[{"role": "user", "content": "a2o nobody answers"}],
        )
    assert caught.value.status_code == 502
    assert caught.value.response.headers["content-type"] == "application/json", caught.value.response.text
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error", body
    assert body["error"]["type"] == "api_error" and body["error"]["message"]


# ---------------------------------------------------------------- request translation


def test_request_translation_seen_upstream(anthropic_to_openai_proxy, relay):
    marker = "a2o translation, every field"
    client = client_for(anthropic_to_openai_proxy)
    events, message = stream_message(
        client,
        model=MODEL,
        max_tokens=321,
        system="You are terse.",
        stop_sequences=["END", "\n\nHuman:"],
        tools=TOOLS,
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        metadata={"user_id": "user-a2o-0001"},
        messages=[{"role": "user", "content": marker}],
        extra_query={"beta": "true"},
        cache_control={"type": "ephemeral"},
        extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"},
        # Sampling knobs this SDK no longer offers as parameters; Claude Code and older
        # clients still send them. `top_k` and `context_management` have no OpenAI form.
        extra_body={
            "temperature": 0.25, "top_p": 0.9, "top_k": 40,
            "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        },
    )
    assert blocks(message) == [{"type": "text", "text": "Translated."}]
    assert message.stop_reason == "end_turn"

    sent = upstream(relay, marker)  # `?beta=true` is gone: the OpenAI path is exact
    assert sent.body == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": marker},
        ],
        "max_tokens": 321,
        "temperature": 0.25,
        "top_p": 0.9,
        "stop": ["END", "\n\nHuman:"],
        "tools": OPENAI_TOOLS,
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "user": "user-a2o-0001",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert "left out parameters with no upstream equivalent: top_k, context_management" in (
        anthropic_to_openai_proxy.log_text()
    )
    headers = sent.headers
    assert headers["authorization"] == f"Bearer {CLIENT_KEY}"
    assert "x-api-key" not in headers
    assert "anthropic-version" not in headers and "anthropic-beta" not in headers
    assert headers["content-type"] == "application/json"
    assert headers["accept-encoding"] == "identity"
    assert headers["host"] == f"{LOOPBACK}:{relay.port}"


def test_system_blocks_and_system_messages_keep_their_places(anthropic_to_openai_proxy, relay):
    """Claude Code's shape: `system` as blocks with cache_control, and a system message later on."""
    marker = "a2o translation, system places"
    create_message(
        client_for(anthropic_to_openai_proxy),
        model=MODEL,
        max_tokens=100,
        system=[
            {"type": "text", "text": "First system block."},
            {"type": "text", "text": "Second system block.", "cache_control": {"type": "ephemeral"}},
        ],
        messages=[
            {"role": "user", "content": "Earlier question."},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                                              {"type": "text", "text": "Earlier answer."}]},
            {"role": "system", "content": "A reminder in the middle."},
            {"role": "user", "content": [{"type": "text", "text": marker, "cache_control": {"type": "ephemeral"}}]},
        ],
    )
    assert upstream(relay, marker).body["messages"] == [
        {"role": "system", "content": "First system block.\n\nSecond system block."},
        {"role": "user", "content": "Earlier question."},
        {"role": "assistant", "content": "Earlier answer."},
        {"role": "system", "content": "A reminder in the middle."},
        {"role": "user", "content": marker},
    ]


# ---------------------------------------------------------------- a real model


@pytest.fixture(scope="module")
def llama_relay(llama) -> Iterator[RecordingRelay]:
    """llama.cpp answers both protocols too: record which endpoint it was asked on."""
    recorder = RecordingRelay(llama.port)
    yield recorder
    recorder.stop()


@pytest.mark.parametrize("stream", [False, True], ids=["non-stream", "stream"])
def test_real_model_through_llama_cpp_chat_completions(start_proxy, llama_relay, stream):
    proxy = start_proxy(llama_relay.url, upstream_protocol="openai")
    prompt = f"Name a colour. ({'stream' if stream else 'plain'})"
    params = {"model": "smollm2", "max_tokens": 16, "messages": [{"role": "user", "content": prompt}]}
    client = client_for(proxy)
    message = stream_message(client, **params)[1] if stream else create_message(client, **params)
    [block] = message.content
    assert block.type == "text" and block.text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.model == "smollm2"
    assert message.id.startswith("msg_")
    assert message.usage.output_tokens > 0
    sent = llama_relay.only(prompt)
    assert (sent.method, sent.path) == ("POST", OPENAI_PATH)
    assert sent.body["max_tokens"] == 16
