"""The Gemini glue in mitmproxy's test context: the model and method in the path, lifted for
the proxy's steps and lowered into an upstream's path; Gemini's key carriers; the model list
and token counts answered locally."""

from __future__ import annotations

import json
import logging

from addon_flows import request_flow, send_request
from addons.test_translation_addons import answer
from mitmproxy import http
from mitmproxy.proxy.layers.http import HttpResponseHeadersHook
from mitmproxy.test import tutils

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
