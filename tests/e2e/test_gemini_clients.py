"""The google-genai SDK (3.6.1, from PyPI) as a Gemini client through a real mitmdump in front
of aimock's Anthropic endpoint and its OpenAI Chat endpoint (behind the recording relay).

The answers are read by the SDK itself: it parses every body into its pydantic types
(`GenerateContentResponse`, `CountTokensResponse`, `Model`), and the tests check the typed
parts, finish reasons and aimock's exact token counts, as well as what the upstream got.
A stream without `alt=sse`, which the SDK never asks for, is read as raw HTTP: one JSON array,
application/json as Gemini sends it, each element read with the SDK's types (also in front of
aimock's Gemini endpoint, the upstream asked for SSE). A routes file
routes by the model the SDK names in the path, and safetySettings stay behind, logged.
"""

from __future__ import annotations

import http.client
import json

import pytest

from harness import LOOPBACK

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402

from unit.gemini_sdk_checks import sdk_answer  # noqa: E402

MODEL = "gemini-2.5-flash"
KEY = "AIza-gsdk-client-0001"
HELLO = "gsdk say hello"
WEATHER = "gsdk weather in Paris"
UPSTREAMS = {
    "anthropic": {"path": "/v1/messages", "key": ("x-api-key", KEY)},
    "openai": {"path": "/v1/chat/completions", "key": ("authorization", f"Bearer {KEY}")},
}
WEATHER_TOOL = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather", description="Weather of a city",
    parameters_json_schema={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)])
TOOL_CONFIG = types.GenerateContentConfig(
    tools=[WEATHER_TOOL], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
)


@pytest.fixture(params=sorted(UPSTREAMS))
def upstream(request, start_proxy, relay):
    proxy = start_proxy(relay.url, upstream_protocol=request.param)
    client = genai.Client(
        api_key=KEY, http_options=types.HttpOptions(base_url=proxy.url, api_version="v1beta")
    )
    return request.param, client


def _upstream_turns(relay, before):
    return relay.requests[before:]


def _check_headers(protocol, turn):
    name, value = UPSTREAMS[protocol]["key"]
    assert turn.headers[name] == value
    assert "x-goog-api-key" not in turn.headers and "key=" not in turn.path
    other = {"anthropic": "authorization", "openai": "x-api-key"}[protocol]
    assert other not in turn.headers


def test_generate_content(upstream, relay):
    protocol, client = upstream
    before = len(relay.requests)
    response = client.models.generate_content(model=MODEL, contents=HELLO)
    assert isinstance(response, types.GenerateContentResponse)
    [candidate] = response.candidates
    assert candidate.content.role == "model"
    assert [p.text for p in candidate.content.parts] == ["Hello from the upstream."]
    assert candidate.finish_reason == types.FinishReason.STOP and candidate.index == 0
    assert response.text == "Hello from the upstream."
    usage = response.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (11, 5, 16)
    assert response.model_version == MODEL and response.response_id

    [turn] = _upstream_turns(relay, before)
    assert (turn.method, turn.path) == ("POST", UPSTREAMS[protocol]["path"])
    _check_headers(protocol, turn)
    if protocol == "anthropic":
        assert turn.headers["anthropic-version"] == "2023-06-01"
        assert turn.body == {
            "model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": HELLO}]}],
            "max_tokens": 8192, "stream": False,
        }
    else:
        assert turn.body == {"model": MODEL, "messages": [{"role": "user", "content": HELLO}]}


def test_generate_content_stream(upstream, relay):
    protocol, client = upstream
    before = len(relay.requests)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents=HELLO))
    assert all(isinstance(c, types.GenerateContentResponse) for c in chunks)
    assert "".join(p.text for c in chunks for p in c.candidates[0].content.parts) == "Hello from the upstream."
    assert [c.candidates[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + [types.FinishReason.STOP]
    assert all(c.usage_metadata is None for c in chunks[:-1])
    usage = chunks[-1].usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (11, 5, 16)
    assert {c.response_id for c in chunks} == {chunks[0].response_id}
    assert {c.model_version for c in chunks} == {MODEL}

    [turn] = _upstream_turns(relay, before)
    assert (turn.method, turn.path) == ("POST", UPSTREAMS[protocol]["path"])
    _check_headers(protocol, turn)
    assert turn.body["stream"] is True
    if protocol == "openai":
        assert turn.body["stream_options"] == {"include_usage": True}


def test_count_tokens_and_models_are_answered_by_the_proxy(upstream, relay):
    protocol, client = upstream
    before = len(relay.requests)
    counted = client.models.count_tokens(model=MODEL, contents=HELLO)
    assert isinstance(counted, types.CountTokensResponse)
    assert isinstance(counted.total_tokens, int) and counted.total_tokens > 0
    assert counted.sdk_http_response.headers["anyrouter-token-count"] == "estimate"

    model = client.models.get(model=MODEL)
    assert isinstance(model, types.Model)
    assert model.name == f"models/{MODEL}"
    assert {"generateContent", "streamGenerateContent", "countTokens"} <= set(model.supported_actions)
    assert model.input_token_limit > 0 and model.output_token_limit > 0

    listed = list(client.models.list())
    assert listed and all(isinstance(m, types.Model) and m.name.startswith("models/") for m in listed)
    assert len({m.name for m in listed}) == len(listed)
    # Neither an estimate nor the local model list asks the upstream anything.
    assert _upstream_turns(relay, before) == []


def test_function_call_round_trip(upstream, relay):
    protocol, client = upstream
    before = len(relay.requests)
    first = client.models.generate_content(model=MODEL, contents=WEATHER, config=TOOL_CONFIG)
    [part] = first.candidates[0].content.parts
    call = part.function_call
    assert isinstance(call, types.FunctionCall)
    assert (call.id, call.name, call.args) == ("call_gsdk_weather", "get_weather", {"city": "Paris"})
    assert first.function_calls == [call]
    assert first.candidates[0].finish_reason == types.FinishReason.STOP  # as Gemini ends a call
    usage = first.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (23, 7, 30)

    history = [
        types.Content(role="user", parts=[types.Part(text=WEATHER)]),
        first.candidates[0].content,
        types.Content(role="user", parts=[types.Part(function_response=types.FunctionResponse(
            id=call.id, name=call.name, response={"output": "sunny, 21 C"},
        ))]),
    ]
    second = client.models.generate_content(model=MODEL, contents=history, config=TOOL_CONFIG)
    assert second.text == "It is sunny in Paris."
    assert second.candidates[0].finish_reason == types.FinishReason.STOP
    usage = second.usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (31, 6, 37)

    turns = _upstream_turns(relay, before)
    assert [(t.method, t.path) for t in turns] == [("POST", UPSTREAMS[protocol]["path"])] * 2
    for turn in turns:
        _check_headers(protocol, turn)
    asked, answered = (t.body for t in turns)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    if protocol == "anthropic":
        assert asked["tools"] == [{"name": "get_weather", "description": "Weather of a city", "input_schema": schema}]
        assert answered["messages"][1:] == [
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_gsdk_weather", "name": "get_weather", "input": {"city": "Paris"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_gsdk_weather",
                 "content": [{"type": "text", "text": "sunny, 21 C"}]}
            ]},
        ]
    else:
        assert asked["tools"] == [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather of a city", "parameters": schema}}]
        assert answered["messages"][1:] == [
            {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_gsdk_weather", "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "tool_call_id": "call_gsdk_weather", "content": "sunny, 21 C"},
        ]
    assert answered["tools"] == asked["tools"]


def _post(proxy, path: str, body: dict) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(LOOPBACK, proxy.port, timeout=30)
    connection.request("POST", path, body=json.dumps(body), headers={
        "content-type": "application/json", "x-goog-api-key": KEY})
    return connection.getresponse()


@pytest.mark.parametrize("protocol", sorted(UPSTREAMS))
def test_a_stream_without_alt_sse_is_one_json_array_as_gemini_sends_it(protocol, start_proxy, relay):
    proxy = start_proxy(relay.url, upstream_protocol=protocol)
    before = len(relay.requests)
    response = _post(proxy, f"/v1beta/models/{MODEL}:streamGenerateContent",
                     {"contents": [{"role": "user", "parts": [{"text": HELLO}]}]})
    assert response.status == 200
    assert response.getheader("content-type") == "application/json"
    body = b""
    while piece := response.read1(65536):
        body += piece
    assert body.startswith(b"[{") and body.endswith(b"}]")
    chunks = [sdk_answer(element) for element in json.loads(body)]
    assert len(chunks) >= 2  # the text in pieces, then the finish
    assert "".join(p.text for c in chunks for p in c.candidates[0].content.parts) == "Hello from the upstream."
    assert [c.candidates[0].finish_reason for c in chunks] == [None] * (len(chunks) - 1) + [types.FinishReason.STOP]
    usage = chunks[-1].usage_metadata
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (11, 5, 16)
    assert {c.model_version for c in chunks} == {MODEL}

    # The proxy asked its upstream for an event stream, which it turned into the array.
    [turn] = _upstream_turns(relay, before)
    assert (turn.method, turn.path) == ("POST", UPSTREAMS[protocol]["path"])
    _check_headers(protocol, turn)
    assert turn.body["stream"] is True and turn.body["model"] == MODEL
    assert turn.headers["accept-encoding"] == "identity"
    if protocol == "openai":
        assert turn.body["stream_options"] == {"include_usage": True}


def test_a_stream_without_alt_sse_to_a_gemini_upstream_is_framed_live_from_its_events(start_proxy, relay):
    mapped = "gemini-3-flash-preview"
    proxy = start_proxy(relay.url, upstream_protocol="gemini", model_map=f"{MODEL}={mapped}")
    before = len(relay.requests)
    body = {"contents": [{"role": "user", "parts": [{"text": HELLO}]}]}
    response = _post(proxy, f"/v1beta/models/{MODEL}:streamGenerateContent?prettyPrint=false", body)
    assert response.status == 200
    assert response.getheader("content-type") == "application/json"
    content = response.read()
    assert content.startswith(b"[{") and content.endswith(b"}]")
    chunks = [sdk_answer(element) for element in json.loads(content)]
    assert "".join(p.text for c in chunks for p in c.candidates[0].content.parts) == "Hello from the upstream."
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP

    # Passed through, but asked as an event stream (which streams, is metered and renamed
    # event by event): the client's other query fields and its body as they were.
    [turn] = _upstream_turns(relay, before)
    assert (turn.method, turn.path) == ("POST", f"/v1beta/models/{mapped}:streamGenerateContent?prettyPrint=false&alt=sse")
    assert turn.headers["x-goog-api-key"] == KEY
    assert turn.body == body


ROUTED_MODEL = "gemini-2.5-pro"  # routed by name to the OpenAI upstream as UPSTREAM_MODEL
UPSTREAM_MODEL = "gpt-4o-mini"


@pytest.fixture(scope="module")
def routed_client(start_proxy, relay, tmp_path_factory):
    routes = tmp_path_factory.mktemp("gemini-routes") / "routes.yaml"
    routes.write_text(f"""\
upstreams:
  chat: {{url: "{relay.url}", protocol: openai}}
routes:
  - name: pro
    match: {{model: "{ROUTED_MODEL}"}}
    to: chat
    model: {UPSTREAM_MODEL}
""")
    proxy = start_proxy(relay.url, routes=str(routes))
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=proxy.url, api_version="v1beta"))
    return proxy, client


def test_a_route_matches_the_model_named_in_the_path_and_the_upstream_gets_the_routes_model(routed_client, relay):
    proxy, client = routed_client
    before = len(relay.requests)
    response = client.models.generate_content(model=ROUTED_MODEL, contents=HELLO)
    assert response.text == "Hello from the upstream."
    assert response.model_version == ROUTED_MODEL  # the client's name comes back
    [turn] = _upstream_turns(relay, before)
    assert (turn.method, turn.path) == ("POST", "/v1/chat/completions")
    assert turn.body == {"model": UPSTREAM_MODEL, "messages": [{"role": "user", "content": HELLO}]}
    # The access line of this request, the last one routed (the log is the proxy's, shared).
    line = [line for line in proxy.log_text().splitlines() if "route=pro" in line][-1]
    assert f"gemini→openai POST /v1/chat/completions route=pro upstream=chat model={ROUTED_MODEL}→{UPSTREAM_MODEL} " in line
    assert "status=200 tokens=11/0/0/5 " in line


def test_safety_settings_are_left_out_upstream_and_named_in_the_log(routed_client, relay):
    proxy, client = routed_client
    before = len(relay.requests)
    safety = [types.SafetySetting(category=types.HarmCategory.HARM_CATEGORY_HARASSMENT,
                                  threshold=types.HarmBlockThreshold.BLOCK_NONE)]
    response = client.models.generate_content(
        model=ROUTED_MODEL, contents=HELLO, config=types.GenerateContentConfig(safety_settings=safety))
    assert response.text == "Hello from the upstream."
    [turn] = _upstream_turns(relay, before)
    assert turn.body == {"model": UPSTREAM_MODEL, "messages": [{"role": "user", "content": HELLO}]}
    assert b"safety" not in turn.raw_body.lower() and b"HARASSMENT" not in turn.raw_body
    assert proxy.log_text().count("gemini→openai: left out parameters with no upstream equivalent: safetySettings") == 1
