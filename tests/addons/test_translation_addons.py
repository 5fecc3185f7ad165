"""Translation glue in mitmproxy's test context: paths, headers, bodies, errors, streams."""

from __future__ import annotations

import json

import pytest
from addon_flows import request_flow, send_request
from addons.test_credential_vault import wire_head
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers.http import (
    HttpResponseHeadersHook,
    HttpResponseHook,
)
from mitmproxy.test import tutils

OPENAI_BODY = {"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "hi"}]}


def openai_flow(body: dict | bytes = OPENAI_BODY, headers: dict | None = None) -> http.HTTPFlow:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return request_flow("POST", "/v1/chat/completions", {"content-type": "application/json", **(headers or {})}, content)


send = send_request


def answer(chain, flow, status: int, content: bytes, content_type: str, extra: dict | None = None) -> None:
    headers = [(b"content-type", content_type.encode())] + [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    flow.response = tutils.tresp(status_code=status, headers=http.Headers(headers), content=content)
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)


def test_openai_request_goes_to_the_anthropic_messages_endpoint(chain):
    flow = openai_flow(headers={"authorization": "Bearer sk-client-key-123456", "openai-organization": "org-1"})
    send(chain, flow)
    assert flow.response is None
    assert flow.request.path == "/v1/messages"
    headers = flow.request.headers
    assert headers["x-api-key"] == "sk-…3456"
    assert b"\r\nx-api-key: sk-client-key-123456\r\n" in bytes(headers)
    assert "authorization" not in headers and "openai-organization" not in headers
    assert headers["anthropic-version"] == "2023-06-01"
    body = json.loads(flow.request.content)
    assert body["max_tokens"] == 8192
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert flow.metadata["anyrouter"]["translation"] == "openai→anthropic"
    assert flow.metadata["anyrouter"]["key"] == "sk-…3456"


def test_request_the_upstream_cannot_carry_is_answered_locally_with_400(chain):
    flow = openai_flow({**OPENAI_BODY, "n": 3})
    send(chain, flow)
    assert flow.response.status_code == 400
    error = json.loads(flow.response.content)["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", "n")
    assert flow.metadata["anyrouter"]["local"] is True


def test_body_that_is_not_json_is_a_400_in_openai_shape(chain):
    flow = openai_flow(b"model=claude")
    send(chain, flow)
    assert flow.response.status_code == 400
    assert json.loads(flow.response.content)["error"]["message"].startswith("the request body must be a JSON object")


def test_html_gateway_error_becomes_openai_json(chain):
    flow = openai_flow()
    send(chain, flow)
    answer(chain, flow, 502, b"<html><title>502 Bad Gateway</title><body>cloudflare</body></html>", "text/html")
    assert flow.response.status_code == 502
    assert flow.response.headers["content-type"] == "application/json"
    assert json.loads(flow.response.content) == {
        "error": {
            "message": "upstream answered HTTP 502 with an HTML page: 502 Bad Gateway",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }


def test_empty_error_body_becomes_openai_json(chain):
    flow = openai_flow()
    send(chain, flow)
    answer(chain, flow, 500, b"", "text/plain")
    assert json.loads(flow.response.content)["error"]["message"] == "upstream answered HTTP 500 with an empty body"


def test_overloaded_529_becomes_503_and_retry_after_is_kept(chain):
    flow = openai_flow()
    send(chain, flow)
    body = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    answer(chain, flow, 529, body, "application/json", {"retry-after": "12"})
    assert flow.response.status_code == 503
    assert flow.response.headers["retry-after"] == "12"
    assert json.loads(flow.response.content)["error"]["type"] == "service_unavailable_error"


def test_success_body_that_is_not_json_becomes_a_502(chain):
    flow = openai_flow()
    send(chain, flow)
    answer(chain, flow, 200, b"<html>login page</html>", "text/html")
    assert flow.response.status_code == 502
    assert json.loads(flow.response.content)["error"]["message"] == (
        "the upstream answered with a body that is not a JSON object"
    )


def test_anthropic_message_becomes_a_chat_completion(chain):
    flow = openai_flow()
    send(chain, flow)
    message = {
        "id": "msg_01XYZ", "type": "message", "role": "assistant", "model": "claude-opus-4-6-upstream",
        "content": [{"type": "text", "text": "Hello!"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": 3},
    }
    answer(chain, flow, 200, json.dumps(message).encode(), "application/json")
    completion = json.loads(flow.response.content)
    assert completion["id"] == "chatcmpl-01XYZ"
    assert completion["model"] == "claude-opus-4-6"
    assert completion["choices"][0]["message"]["content"] == "Hello!"
    assert completion["usage"]["prompt_tokens"] == 8
    assert completion["usage"]["prompt_tokens_details"]["cached_tokens"] == 3


def test_event_stream_gets_a_translating_stream_and_errors_do_not(chain):
    flow = openai_flow({**OPENAI_BODY, "stream": True})
    send(chain, flow)
    flow.response = tutils.tresp(
        headers=http.Headers([(b"content-type", b"text/event-stream"), (b"content-length", b"999")]), content=None
    )
    chain.run(HttpResponseHeadersHook, flow)
    assert callable(flow.response.stream)
    assert "content-length" not in flow.response.headers
    assert flow.response.headers["transfer-encoding"] == "chunked"
    assert flow.response.stream(b'event: message_start\ndata: {"type":"message_start","message"') == []

    failing = openai_flow({**OPENAI_BODY, "stream": True})
    send(chain, failing)
    failing.response = tutils.tresp(status_code=429, headers=http.Headers([(b"content-type", b"text/event-stream")]))
    chain.run(HttpResponseHeadersHook, failing)
    assert not failing.response.stream


def test_max_event_size_defaults_to_16m_and_refuses_what_is_not_a_size(chain):
    assert chain.tctx.options.max_event_size == "16m"
    with pytest.raises(exceptions.OptionsError, match=r"max_event_size must be a number of bytes.*not 'huge'"):
        chain.configure(max_event_size="huge")


def test_a_stream_past_max_event_size_ends_in_an_error_and_the_flow_says_why(chain):
    chain.configure(max_event_size="1k")
    flow = openai_flow({**OPENAI_BODY, "stream": True})
    send(chain, flow)
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"text/event-stream")]), content=None)
    chain.run(HttpResponseHeadersHook, flow)
    message = "the upstream sent an event bigger than the 1024 bytes (1 KiB) allowed (max_event_size)"
    assert flow.response.stream(b"data: " + b"x" * 1000) == []  # within the bound: held
    assert message.encode() in flow.response.stream(b"x" * 100)
    assert flow.response.stream(b"x" * 100_000) == []  # the rest is dropped, not held
    assert flow.response.stream(b"") == b""
    chain.run(HttpResponseHook, flow)
    assert flow.metadata["anyrouter"]["upstream_error"] == message
    assert f"upstream error: {message}" in flow.comment
    assert flow.marked == ":warning:"


def test_force_non_stream_asks_without_stream_and_answers_with_one(chain):
    chain.configure(force_non_stream=True)
    flow = openai_flow({**OPENAI_BODY, "stream": True, "stream_options": {"include_usage": True}})
    send(chain, flow)
    assert "stream" not in json.loads(flow.request.content)
    message = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    answer(chain, flow, 200, json.dumps(message).encode(), "application/json")
    assert flow.response.headers["content-type"] == "text/event-stream"
    events = flow.response.content.decode().split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert json.loads(events[0].removeprefix("data: "))["choices"][0]["delta"]["role"] == "assistant"


def test_same_protocol_is_not_translated(chain):
    flow = openai_flow()
    chain.configure(upstream_protocol="openai")
    raw = flow.request.content
    send(chain, flow)
    assert flow.request.path == "/v1/chat/completions"
    assert flow.request.content == raw
    assert "translation" not in flow.metadata["anyrouter"]


def test_a_lone_surrogate_in_the_body_is_written_escaped_and_the_key_still_sealed(chain):
    """Clients cut text inside an emoji ("\\ud83d" with no pair): the translated body is still
    written (with ASCII escapes) and the upstream still gets the real key, on the wire only."""
    chain.configure(upstream_protocol="openai", upstream_keys="sk-upstream-key-000000000042")
    body = b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"cut \\ud83d here"}]}'
    flow = request_flow("POST", "/v1/messages", {"content-type": "application/json", "x-api-key": "sk-any"}, body)
    send_request(chain, flow)
    sent = json.loads(flow.request.content)
    assert flow.request.path == "/v1/chat/completions"
    assert sent["messages"] == [{"role": "user", "content": "cut \ud83d here"}]
    assert b"authorization: Bearer sk-upstream-key-000000000042" in wire_head(flow)
