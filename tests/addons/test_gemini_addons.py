"""The Gemini glue in mitmproxy's test context: the model and method in the path, lifted for
the proxy's steps and lowered into an upstream's path; Gemini's key carriers; the model list
and token counts answered locally; a stream without `alt=sse` as one JSON array of type
application/json, metered from the upstream's event stream; routes matching the model of
the path; fields with no form elsewhere (safetySettings) left out and logged; and the
signatures of Gemini's calls kept for a Chat Completions client, which has no field for them."""

from __future__ import annotations

import json
import logging

import pytest

from addon_flows import request_flow, send_request
from anyrouter_addons.flow_state import state_of
from addons.test_translation_addons import answer
from addons.test_usage_meter_addons import ANTHROPIC_USAGE, event_stream_headers, pieces_of, stream_pieces
from mitmproxy import http
from mitmproxy.flow import Error
from mitmproxy.proxy.layers.http import HttpErrorHook, HttpResponseHeadersHook, HttpResponseHook
from mitmproxy.test import tutils
from unit.test_usage_meter import ANTHROPIC_MESSAGE, anthropic_stream

GEMINI_BODY = {
    "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
    "generationConfig": {"temperature": 0.5},
}
ANTHROPIC_BODY = {"model": "gemini-2.5-pro", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def gemini_flow(path: str, body: dict | bytes = GEMINI_BODY, headers: dict | None = None) -> http.HTTPFlow:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": "application/json", "x-goog-api-key": "AIza-client-key-123456", **(headers or {})}
    return request_flow("POST", path, headers, content)


def test_gemini_stream_to_an_anthropic_upstream_is_translated_with_the_model_of_the_path(chain):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
    send_request(chain, flow)
    assert flow.response is None
    assert flow.request.path == "/v1/messages"
    assert flow.request.headers["x-api-key"] == "…3456"
    assert "x-goog-api-key" not in flow.request.headers
    body = json.loads(flow.request.content)
    assert (body["model"], body["stream"]) == ("gemini-2.5-pro", True)
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    shown = flow.metadata["anyrouter"]
    assert (shown["route"], shown["model"], shown["stream"], shown["translation"]) == (
        "gemini-generate", "gemini-2.5-pro", True, "gemini→anthropic")


def test_a_seed_an_anthropic_upstream_cannot_take_is_named_in_the_log(chain, caplog):
    caplog.set_level(logging.INFO, logger="anyrouter")
    body = {**GEMINI_BODY, "generationConfig": {"temperature": 0.5, "seed": 42}}
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent", body)
    send_request(chain, flow)
    assert "seed" not in json.loads(flow.request.content)
    assert "gemini→anthropic: left out parameters with no upstream equivalent: generationConfig.seed" in caplog.messages


def test_gemini_request_to_a_gemini_upstream_keeps_its_path_and_bytes(chain):
    chain.configure(upstream_protocol="gemini")
    content = b'{"contents":  [{"role":"user","parts":[{"text":"hi"}]}]}'
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", content)
    send_request(chain, flow)
    assert flow.response is None
    assert flow.request.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert flow.request.content == content
    assert flow.request.headers["x-goog-api-key"] == "…3456"


def test_the_model_map_renames_the_model_in_a_gemini_upstreams_path(chain):
    chain.configure(upstream_protocol="gemini", model_map="gemini-2.5-pro=gemini-3-pro-preview")
    flow = gemini_flow("/v1/models/gemini-2.5-pro:generateContent?key=AIza-query-key-654321", headers={"x-goog-api-key": ""})
    send_request(chain, flow)
    assert flow.request.path == "/v1/models/gemini-3-pro-preview:generateContent"
    assert flow.request.headers["x-goog-api-key"] == "…4321"
    body = json.loads(flow.request.content)
    assert "model" not in body and "stream" not in body
    assert body["contents"] == GEMINI_BODY["contents"]


GEMINI_ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
                 "modelVersion": "gemini-3-pro-preview", "responseId": "r1"}


def test_a_passed_through_gemini_answer_names_the_clients_model_again(chain):
    chain.configure(upstream_protocol="gemini", model_map="gemini-2.5-pro=gemini-3-pro-preview")
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent")
    send_request(chain, flow)
    answer(chain, flow, 200, json.dumps(GEMINI_ANSWER).encode(), "application/json")
    assert json.loads(flow.response.content) == {**GEMINI_ANSWER, "modelVersion": "gemini-2.5-pro"}


def test_a_passed_through_gemini_stream_names_the_clients_model_again(chain):
    chain.configure(upstream_protocol="gemini", model_map="gemini-2.5-pro=gemini-3-pro-preview")
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse")
    send_request(chain, flow)
    assert flow.request.path == "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse"
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"text/event-stream")]), content=b"")
    chain.run(HttpResponseHeadersHook, flow)
    chunk = b"data: " + json.dumps(GEMINI_ANSWER).encode() + b"\r\n\r\n"
    assert flow.response.stream(chunk[:20]) == []
    out = flow.response.stream(chunk[20:])
    assert json.loads(out.removeprefix(b"data: ")) == {**GEMINI_ANSWER, "modelVersion": "gemini-2.5-pro"}


GEMINI_USAGE = {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}
METERED = {"input": 4, "cache_read": 0, "cache_write": None, "output": 2, "reasoning": None}


def gemini_events(*answers: dict) -> bytes:
    return b"".join(b"data: " + json.dumps(answer).encode() + b"\r\n\r\n" for answer in answers)


def array_stream_to_a_gemini_upstream(chain) -> http.HTTPFlow:
    """A Gemini client's array stream passed through with its model mapped: the upstream is
    asked for SSE, the client's other query fields kept."""
    chain.configure(upstream_protocol="gemini", model_map="gemini-2.5-pro=gemini-3-pro-preview")
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=json&prettyPrint=false")
    send_request(chain, flow)
    assert flow.request.path == "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?prettyPrint=false&alt=sse"
    return flow


def test_a_passed_through_gemini_array_stream_is_framed_live_from_the_upstreams_events(chain):
    flow = array_stream_to_a_gemini_upstream(chain)
    event_stream_headers(chain, flow)
    assert flow.response.headers["content-type"] == "application/json"
    first, last = gemini_events(GEMINI_ANSWER), gemini_events({**GEMINI_ANSWER, "usageMetadata": GEMINI_USAGE})
    stream = flow.response.stream
    assert stream(first[:-3]) == []  # the event is not complete yet
    renamed = {**GEMINI_ANSWER, "modelVersion": "gemini-2.5-pro"}
    assert json.loads(stream(first[-3:]).removeprefix(b"[")) == renamed  # the element leaves at once
    rest = stream(last) + stream(b"")
    assert rest.startswith(b",\r\n") and rest.endswith(b"]")
    assert json.loads(rest.removeprefix(b",\r\n").removesuffix(b"]")) == {**renamed, "usageMetadata": GEMINI_USAGE}
    flow.response.content = b""  # as mitmproxy leaves a streamed body
    chain.run(HttpResponseHook, flow)
    assert flow.metadata["anyrouter"]["usage"] == METERED


def test_a_passed_through_gemini_array_stream_cut_by_the_upstream_ends_as_a_json_array(chain):
    flow = array_stream_to_a_gemini_upstream(chain)
    event_stream_headers(chain, flow)
    sent = flow.response.stream(gemini_events(GEMINI_ANSWER) + b"data: {\"candi")
    flow.error = Error("connection closed")
    chain.run(HttpErrorHook, flow)
    elements = json.loads(sent + state_of(flow).ending.last_events)
    assert elements == [{**GEMINI_ANSWER, "modelVersion": "gemini-2.5-pro"}, {"error": {
        "code": 502, "message": "anyrouter: the upstream failed: connection closed", "status": "UNAVAILABLE"}}]


def test_a_passed_through_gemini_array_stream_not_streamed_live_is_framed_whole(chain):
    flow = array_stream_to_a_gemini_upstream(chain)
    events = gemini_events(GEMINI_ANSWER, {**GEMINI_ANSWER, "usageMetadata": GEMINI_USAGE})
    # Only the response hook, as for a retry's answer, which was read whole.
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"text/event-stream")]), content=events)
    chain.run(HttpResponseHook, flow)
    assert flow.response.headers["content-type"] == "application/json"
    renamed = {**GEMINI_ANSWER, "modelVersion": "gemini-2.5-pro"}
    assert json.loads(flow.response.content) == [renamed, {**renamed, "usageMetadata": GEMINI_USAGE}]
    assert flow.metadata["anyrouter"]["usage"] == METERED


def test_an_anthropic_request_to_a_gemini_upstream_goes_to_the_models_stream_path(chain):
    chain.configure(upstream_protocol="gemini")
    flow = request_flow("POST", "/v1/messages", {"content-type": "application/json", "x-api-key": "sk-ant-client-key-1234"},
                        json.dumps({**ANTHROPIC_BODY, "stream": True}).encode())
    send_request(chain, flow)
    assert flow.response is None
    assert flow.request.path == "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    assert flow.request.headers["x-goog-api-key"] == "sk-…1234"
    assert "x-api-key" not in flow.request.headers and "anthropic-version" not in flow.request.headers
    body = json.loads(flow.request.content)
    assert "model" not in body and "stream" not in body
    assert body["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]


def test_an_unstreamed_openai_request_to_a_gemini_upstream_calls_generate_content(chain):
    chain.configure(upstream_protocol="gemini")
    flow = request_flow("POST", "/v1/chat/completions", {"content-type": "application/json", "authorization": "Bearer sk-client-1234567890"},
                        json.dumps({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}).encode())
    send_request(chain, flow)
    assert flow.request.path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_an_anthropic_answer_reaches_a_gemini_client_in_gemini_shape(chain):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent")
    send_request(chain, flow)
    message = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
        "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 10},
    }
    answer(chain, flow, 200, json.dumps(message).encode(), "application/json")
    body = json.loads(flow.response.content)
    candidate = body["candidates"][0]
    assert candidate["content"] == {"role": "model", "parts": [{"text": "hello"}]}
    assert candidate["finishReason"] == "STOP"
    assert body["usageMetadata"]["promptTokenCount"] == 15
    assert body["usageMetadata"]["cachedContentTokenCount"] == 10
    assert body["usageMetadata"]["candidatesTokenCount"] == 2
    assert body["modelVersion"] == "gemini-2.5-pro"


def test_an_upstream_error_reaches_a_gemini_client_in_gemini_shape(chain):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent")
    send_request(chain, flow)
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    answer(chain, flow, 429, json.dumps(error).encode(), "application/json")
    assert flow.response.status_code == 429
    assert json.loads(flow.response.content) == {
        "error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}


def test_a_bad_gemini_body_is_a_400_in_gemini_shape(chain):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent", b"contents=hi")
    send_request(chain, flow)
    assert flow.response.status_code == 400
    error = json.loads(flow.response.content)["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("the request body must be a JSON object (a generateContent request)")


def test_gemini_model_list_and_one_model_are_answered_locally(chain):
    chain.configure(models="gemini-2.5-pro,claude-sonnet-4-6")
    listed = request_flow("GET", "/v1beta/models", {"x-goog-api-key": "AIza-client-key-123456"})
    send_request(chain, listed)
    names = [model["name"] for model in json.loads(listed.response.content)["models"]]
    assert names == ["models/gemini-2.5-pro", "models/claude-sonnet-4-6"]
    one = request_flow("GET", "/v1beta/models/gemini-2.5-flash", {"x-goog-api-key": "AIza-client-key-123456"})
    send_request(chain, one)
    entry = json.loads(one.response.content)
    assert entry["name"] == "models/gemini-2.5-flash"
    assert "generateContent" in entry["supportedGenerationMethods"]
    assert one.metadata["anyrouter"]["local"] is True


def test_openai_model_retrieval_under_v1_is_not_taken_for_gemini(chain):
    flow = request_flow("GET", "/v1/models/gpt-5", {"authorization": "Bearer sk-client-1234567890"})
    send_request(chain, flow)
    assert flow.response is None
    assert flow.metadata["anyrouter"]["route"] == "passthrough"


def test_gemini_count_tokens_before_another_protocol_is_estimated_locally(chain):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:countTokens", {"contents": GEMINI_BODY["contents"]})
    send_request(chain, flow)
    assert flow.response.status_code == 200
    assert flow.response.headers["anyrouter-token-count"] == "estimate"
    count = json.loads(flow.response.content)
    assert list(count) == ["totalTokens"] and count["totalTokens"] >= 1


def test_gemini_count_tokens_before_a_gemini_upstream_goes_to_it(chain):
    chain.configure(upstream_protocol="gemini")
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:countTokens", {"contents": GEMINI_BODY["contents"]})
    send_request(chain, flow)
    assert flow.response is None
    assert flow.request.path == "/v1beta/models/gemini-2.5-pro:countTokens"


GEMINI_ROUTES = """\
upstreams:
  claude: {url: "https://claude.test", protocol: anthropic}
  vertex: {url: "https://vertex.test/gemini", protocol: gemini}
routes:
  - name: pro
    match: {model: "gemini-2.5-pro"}
    to: claude
    model: claude-sonnet-4-6
  - name: flash
    match: {model: "gemini-2.5-flash"}
    to: vertex
    model: gemini-3-flash-preview
"""


@pytest.fixture
def gemini_routed(chain, tmp_path):
    routes = tmp_path / "routes.yaml"
    routes.write_text(GEMINI_ROUTES)
    chain.configure(routes=str(routes))
    return chain


def test_a_route_matches_the_model_named_only_in_a_gemini_path_and_renames_it_upstream(gemini_routed):
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent")
    send_request(gemini_routed, flow)
    assert flow.response is None
    assert (flow.request.host, flow.request.path) == ("claude.test", "/v1/messages")
    body = json.loads(flow.request.content)
    assert (body["model"], body["stream"]) == ("claude-sonnet-4-6", False)
    shown = flow.metadata["anyrouter"]
    assert (shown["rule"], shown["upstream"], shown["model"], shown["upstream_model"]) == (
        "pro", "claude", "gemini-2.5-pro", "claude-sonnet-4-6")


def test_a_routes_model_goes_into_a_gemini_upstreams_path(gemini_routed):
    flow = gemini_flow("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    send_request(gemini_routed, flow)
    assert (flow.request.host, flow.request.path) == (
        "vertex.test", "/gemini/v1beta/models/gemini-3-flash-preview:streamGenerateContent?alt=sse")
    assert json.loads(flow.request.content) == GEMINI_BODY
    assert flow.metadata["anyrouter"]["rule"] == "flash"


def test_safety_settings_are_left_out_for_another_protocol_and_named_in_the_log(chain, caplog):
    caplog.set_level(logging.INFO, logger="anyrouter")
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    flow = gemini_flow("/v1beta/models/gemini-2.5-pro:generateContent", {**GEMINI_BODY, "safetySettings": safety})
    send_request(chain, flow)
    assert flow.response is None and flow.request.path == "/v1/messages"
    body = json.loads(flow.request.content)
    assert "safetySettings" not in body and "safety" not in json.dumps(body).lower()
    assert body["temperature"] == 0.5
    [line] = [r.getMessage() for r in caplog.records if r.name == "anyrouter" and "left out" in r.getMessage()]
    assert line == "gemini→anthropic: left out parameters with no upstream equivalent: safetySettings"


SIGNED_CALL = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "SIG-c4ll-0001"}
SIGNED_ANSWER = {"candidates": [{"content": {"role": "model", "parts": [SIGNED_CALL]}, "finishReason": "STOP"}],
                 "modelVersion": "gemini-2.5-pro", "responseId": "r-signed"}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
OPENAI_HEADERS = {"content-type": "application/json", "authorization": "Bearer sk-client-1234567890"}


def openai_to_gemini_flow(messages: list[dict], stream: bool) -> http.HTTPFlow:
    body = {"model": "gemini-2.5-pro", "messages": messages, "tools": [WEATHER_TOOL], "stream": stream}
    return request_flow("POST", "/v1/chat/completions", OPENAI_HEADERS, json.dumps(body).encode())


def client_tool_call(chain, flow: http.HTTPFlow, stream: bool) -> dict:
    """The Chat Completions tool call the client got for SIGNED_ANSWER, answered whole or streamed."""
    if not stream:
        answer(chain, flow, 200, json.dumps(SIGNED_ANSWER).encode(), "application/json")
        [call] = json.loads(flow.response.content)["choices"][0]["message"]["tool_calls"]
        return call
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"text/event-stream")]), content=b"")
    chain.run(HttpResponseHeadersHook, flow)
    out = flow.response.stream(b"data: " + json.dumps(SIGNED_ANSWER).encode() + b"\r\n\r\n") + flow.response.stream(b"")
    events = [json.loads(line.removeprefix(b"data: ")) for line in out.splitlines()
              if line.startswith(b"data: {")]
    opening, *more = [call for event in events for choice in event["choices"] for call in choice["delta"].get("tool_calls", [])]
    # The first delta opens the call (id, name); the arguments may follow in later ones.
    arguments = "".join(delta["function"].get("arguments", "") for delta in [opening, *more])
    assert {delta["index"] for delta in more} <= {opening["index"]}
    return {**opening, "function": {"name": opening["function"]["name"], "arguments": arguments}}


@pytest.mark.parametrize("stream", [False, True], ids=["answer", "stream"])
def test_a_chat_completions_clients_replayed_call_gets_its_gemini_signature_back(chain, stream):
    chain.configure(upstream_protocol="gemini")
    ask = [{"role": "user", "content": "weather in Paris"}]
    first = openai_to_gemini_flow(ask, stream)
    send_request(chain, first)
    call = client_tool_call(chain, first, stream)
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == ("get_weather", {"city": "Paris"})
    assert "SIG-c4ll-0001" not in json.dumps(call)  # Chat Completions has no field for it

    replay = [*ask,
              {"role": "assistant", "content": None, "tool_calls": [
                  {"id": call["id"], "type": "function", "function": call["function"]}]},
              {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]
    second = openai_to_gemini_flow(replay, stream)
    send_request(chain, second)
    contents = json.loads(second.request.content)["contents"]
    assert [content["role"] for content in contents] == ["user", "model", "user"]
    [part] = contents[1]["parts"]
    assert part["thoughtSignature"] == "SIG-c4ll-0001"
    assert (part["functionCall"]["name"], part["functionCall"]["args"]) == ("get_weather", {"city": "Paris"})
    [response] = contents[2]["parts"]
    assert response["functionResponse"]["name"] == "get_weather"


ARRAY_STREAM_PATH = "/v1beta/models/gemini-2.5-pro:streamGenerateContent"  # no alt=sse


def test_a_gemini_array_stream_is_application_json_and_metered_from_the_upstreams_event_stream(chain):
    flow = gemini_flow(ARRAY_STREAM_PATH)
    send_request(chain, flow)
    assert flow.request.path == "/v1/messages"
    assert json.loads(flow.request.content)["stream"] is True  # the upstream is asked for SSE
    event_stream_headers(chain, flow)
    assert flow.response.headers["content-type"] == "application/json"
    received = stream_pieces(chain, flow, pieces_of(anthropic_stream()))
    elements = json.loads(received)
    assert "".join(part["text"] for element in elements for part in element["candidates"][0]["content"]["parts"]) == (
        'Hellothe "usage": {} fieldusage')
    assert [element["candidates"][0].get("finishReason") for element in elements][-1] == "STOP"
    assert elements[-1]["usageMetadata"]["candidatesTokenCount"] == 5
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE


def test_an_array_stream_made_from_a_finished_answer_is_application_json(chain):
    chain.configure(force_non_stream=True)
    flow = gemini_flow(ARRAY_STREAM_PATH)
    send_request(chain, flow)
    assert "stream" not in json.loads(flow.request.content)
    answer(chain, flow, 200, json.dumps(ANTHROPIC_MESSAGE).encode(), "application/json")
    assert flow.response.headers["content-type"] == "application/json"
    candidates = [element["candidates"][0] for element in json.loads(flow.response.content)]
    assert "".join(part["text"] for candidate in candidates for part in candidate["content"]["parts"]) == "Hi"
    assert [candidate.get("finishReason") for candidate in candidates][-1] == "STOP"
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE
