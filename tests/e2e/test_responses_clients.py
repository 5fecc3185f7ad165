"""The openai SDK's Responses client through the proxy, in front of an Anthropic and an
OpenAI Chat upstream (aimock behind the recording relay): text and a tool call, streamed and
not; in front of a Responses upstream, the request and the answer pass through byte for byte. What the client gets is validated with the SDK's own types, strictly, and its own stream
accumulator; what the upstream got is asserted from the relay."""

from __future__ import annotations

import http.client
import json

import openai
import pytest

from harness import LOOPBACK
from unit.responses_checks import accumulate, stream_events, validated_response

UPSTREAM_PATHS = {"anthropic": "/v1/messages", "openai": "/v1/chat/completions"}
WEATHER_TOOL = {
    "type": "function", "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(params=sorted(UPSTREAM_PATHS))
def upstream(request, start_proxy, relay):
    return request.param, start_proxy(relay.url, upstream_protocol=request.param)


def client_for(proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-responses-client-key-0011", max_retries=0)


def raw_post(proxy, body: dict):
    return client_for(proxy).responses.with_raw_response.create(**body)


def test_a_text_answer_validates_as_a_response(upstream, relay):
    protocol, proxy = upstream
    raw = raw_post(proxy, {"model": "claude-sonnet-4-6", "input": "resp plain hello", "instructions": "Be brief."})
    response = validated_response(json.loads(raw.http_response.content))
    assert response.status == "completed"
    assert response.output_text == "Hello, Responses client, from another protocol."
    assert response.model == "claude-sonnet-4-6"
    [turn] = relay.find("resp plain hello")[-1:]
    assert turn.path == UPSTREAM_PATHS[protocol]
    system = turn.body["system"] if protocol == "anthropic" else turn.body["messages"][0]["content"]
    assert "Be brief." in json.dumps(system)


def test_a_streamed_text_answer_follows_the_event_order_and_accumulates(upstream, relay):
    protocol, proxy = upstream
    with client_for(proxy).responses.with_streaming_response.create(
        model="claude-sonnet-4-6", input="resp plain hello", stream=True
    ) as raw:
        body = raw.read()
    events = stream_events(body)
    final = accumulate(events)
    assert final.output_text == "Hello, Responses client, from another protocol."
    assert events[-1]["type"] == "response.completed"
    assert [event["type"] for event in events][:2] == ["response.created", "response.in_progress"]
    [turn] = relay.find("resp plain hello")[-1:]
    assert (turn.path, turn.body["stream"]) == (UPSTREAM_PATHS[protocol], True)


def test_the_sdk_stream_helper_gets_the_final_response(upstream):
    _, proxy = upstream
    with client_for(proxy).responses.stream(model="claude-sonnet-4-6", input="resp plain hello") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == "Hello, Responses client, from another protocol."


@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_call_comes_back_as_a_function_call_item(upstream, relay, stream):
    protocol, proxy = upstream
    body = {"model": "claude-sonnet-4-6", "input": "resp one tool", "tools": [WEATHER_TOOL]}
    if stream:
        with client_for(proxy).responses.with_streaming_response.create(**body, stream=True) as raw:
            response = accumulate(stream_events(raw.read()))
    else:
        response = validated_response(json.loads(raw_post(proxy, body).http_response.content))
    [call] = [item for item in response.output if item.type == "function_call"]
    assert (call.name, call.call_id, json.loads(call.arguments)) == ("get_weather", "call_resp_weather", {"city": "Lima"})
    [turn] = relay.find("resp one tool")[-1:]
    assert turn.path == UPSTREAM_PATHS[protocol]
    names = [tool["function"]["name"] if protocol == "openai" else tool["name"] for tool in turn.body["tools"]]
    assert names == ["get_weather"]


def test_a_responses_upstream_gets_the_clients_bytes_and_the_client_the_upstreams(start_proxy, relay):
    proxy = start_proxy(relay.url, upstream_protocol="responses")
    body = b'{"model": "gpt-5",  "input": "resp plain hello", "store": false, "unknown_field": [1, 2]}'
    conn = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    try:
        conn.request("POST", "/v1/responses", body=body,
                     headers={"content-type": "application/json", "authorization": "Bearer sk-responses-client-key-0011"})
        response = conn.getresponse()
        answer = response.read()
    finally:
        conn.close()
    assert response.status == 200
    [turn] = [r for r in relay.requests if r.raw_body == body]
    assert turn.path == "/v1/responses"
    assert turn.headers["authorization"] == "Bearer sk-responses-client-key-0011"
    # aimock's own answer, not one the proxy wrote (its ids start "resp_", aimock's "resp-").
    reply = json.loads(answer)
    assert reply["id"].startswith("resp-")
    assert reply["output"][0]["content"][0]["text"] == "Hello, Responses client, from another protocol."


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_completions_client_in_front_of_a_responses_upstream(start_proxy, relay, stream):
    proxy = start_proxy(relay.url, upstream_protocol="responses")
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="sk-chat-client-key-0012", max_retries=0)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "resp one tool"}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_TOOL["parameters"]}}]
    if stream:
        with client.chat.completions.stream(model="gpt-5", messages=messages, tools=tools) as events:
            completion = events.get_final_completion()
    else:
        completion = client.chat.completions.create(model="gpt-5", messages=messages, tools=tools)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    [call] = choice.message.tool_calls
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("call_resp_weather", "get_weather", {"city": "Lima"})
    [turn] = relay.find("resp one tool")[-1:]
    assert turn.path == "/v1/responses"
    assert turn.body["input"][0] == {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]}
    assert turn.body["store"] is False
    assert [tool["name"] for tool in turn.body["tools"]] == ["get_weather"]
    assert turn.body.get("stream", False) is stream


def test_an_upstream_rate_limit_keeps_its_retry_after(upstream):
    _, proxy = upstream
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(proxy).responses.create(model="claude-sonnet-4-6", input="resp rate limited")
    error = caught.value
    assert (error.status_code, error.response.headers["retry-after"]) == (429, "7")
    assert error.body == {"message": "Number of requests has exceeded your rate limit", "type": "rate_limit_error",
                          "param": None, "code": None}
