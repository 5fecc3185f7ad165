"""Request checks (max_body_size, 405 on translated paths), errors on passed-through paths and
the translation glue's answers to bodies it cannot read, in mitmproxy's test context."""

from __future__ import annotations

import json

import pytest
from addon_flows import request_flow, send_request
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers import http as http_layer
from mitmproxy.proxy.layers.http import (
    HttpResponseHeadersHook,
    HttpResponseHook,
)
from mitmproxy.test import taddons, tutils

from anyrouter_addons import mitmproxy_compat
from anyrouter_addons.request_checks import RequestChecks, parse_size
from anyrouter_addons.responses import answer_locally
from anyrouter_addons.translation import Translation
from anyrouter_core.sizes import describe_size


def make_flow(method: str, path: str, content: bytes = b"", headers: dict | None = None) -> http.HTTPFlow:
    return request_flow(method, path, headers, content)


send = send_request


def answer(chain, flow, status: int, content: bytes, content_type: str) -> None:
    flow.response = tutils.tresp(
        status_code=status, headers=http.Headers([(b"content-type", content_type.encode())]), content=content
    )
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)


# ---------------------------------------------------------------- the max_body_size option


def test_max_body_size_defaults_to_32_mib(chain):
    assert chain.tctx.options.max_body_size == "32m"
    assert chain.addon(RequestChecks).max_body_size == 32 * 1024 * 1024


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("1m", 1 << 20), ("512k", 512 << 10), ("2g", 2 << 30), ("1048576", 1 << 20),
        ("32MiB", 32 << 20), (" 8M ", 8 << 20), ("0", 0),
    ],
)
def test_max_body_size_accepts_bytes_and_k_m_g_suffixes(chain, value, size):
    chain.tctx.configure(chain.addon(RequestChecks), max_body_size=value)
    assert chain.addon(RequestChecks).max_body_size == size


@pytest.mark.parametrize("value", ["", "lots", "-1", "1.5m", "32mb", "m"])
def test_max_body_size_refuses_anything_else_and_says_what_is_allowed(chain, value):
    with pytest.raises(exceptions.OptionsError) as caught:
        chain.tctx.configure(chain.addon(RequestChecks), max_body_size=value)
    assert str(caught.value) == (
        "max_body_size must be a number of bytes, or one with a k, m or g suffix (e.g. 32m), "
        f"or 0 for no limit; not {value!r}"
    )
    assert chain.addon(RequestChecks).max_body_size == 32 << 20  # unchanged


def test_parse_and_describe_sizes():
    assert parse_size("32m") == 33554432
    assert describe_size(33554432) == "33554432 bytes (32 MiB)"
    assert describe_size(1536) == "1536 bytes"
    assert describe_size(2048) == "2048 bytes (2 KiB)"


def test_the_body_size_check_is_in_place_from_load_to_done():
    checks = RequestChecks()
    with taddons.context(checks):
        assert http_layer.HttpStream.check_body_size is mitmproxy_compat._check_body_size
        assert mitmproxy_compat._body_check == (checks.too_large, answer_locally)
        checks.done()
        assert http_layer.HttpStream.check_body_size is mitmproxy_compat._ORIGINAL_CHECK_BODY_SIZE
        assert mitmproxy_compat._body_check is None


# ---------------------------------------------------------------- which bodies are too big


@pytest.mark.parametrize(
    ("path", "kind", "shape"),
    [
        ("/v1/chat/completions", "invalid_request_error", "openai"),
        ("/chat/completions", "invalid_request_error", "openai"),
        ("/v1/messages?beta=true", "request_too_large", "anthropic"),
        ("/v1/messages/count_tokens", "request_too_large", "anthropic"),
    ],
)
def test_a_declared_length_above_the_limit_is_a_413_in_the_paths_protocol(chain, path, kind, shape):
    chain.tctx.configure(chain.addon(RequestChecks), max_body_size="1k")
    flow = make_flow("POST", path, headers={"content-length": "1025"})
    response = chain.addon(RequestChecks).too_large(flow, 0)
    assert response.status_code == 413
    body = json.loads(response.content)
    message = (
        "request body too large: content-length is 1025 bytes, more than the 1024 bytes (1 KiB) allowed (max_body_size)"
    )
    if shape == "openai":
        assert body == {"error": {"message": message, "type": kind, "param": None, "code": None}}
    else:
        assert body == {"type": "error", "error": {"type": kind, "message": message}}


def test_a_body_growing_past_the_limit_is_a_413(chain):
    chain.tctx.configure(chain.addon(RequestChecks), max_body_size="1k")
    flow = make_flow("POST", "/v1/messages", headers={"transfer-encoding": "chunked"})
    checks = chain.addon(RequestChecks)
    assert checks.too_large(flow, 0) is None  # nothing declared, nothing arrived yet
    assert checks.too_large(flow, 1024) is None
    body = json.loads(checks.too_large(flow, 1025).content)
    assert body["error"]["message"] == (
        "request body too large: it is bigger than the 1024 bytes (1 KiB) allowed (max_body_size)"
    )


@pytest.mark.parametrize(
    ("path", "limit", "length"),
    [
        ("/v1/messages", "1k", "1024"),  # exactly the limit
        ("/v1/files", "1k", "99999"),  # passed-through paths: mitmproxy's own body_size_limit applies
        ("/v1/messages", "0", "999999999"),  # no limit
        ("/v1/messages", "1k", "not-a-number"),  # mitmproxy itself refuses a malformed length
    ],
)
def test_bodies_that_are_not_too_big(chain, path, limit, length):
    chain.tctx.configure(chain.addon(RequestChecks), max_body_size=limit)
    assert chain.addon(RequestChecks).too_large(make_flow("POST", path, headers={"content-length": length}), 0) is None


# ---------------------------------------------------------------- wrong methods


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_on_a_translated_openai_path_is_a_405(chain, method):
    flow = make_flow(method, "/v1/chat/completions?x=1")
    send(chain, flow)
    assert flow.response.status_code == 405
    assert flow.response.headers["allow"] == "POST"
    assert json.loads(flow.response.content) == {
        "error": {
            "message": f"{method} is not allowed on /v1/chat/completions: use POST",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert flow.metadata["anyrouter"]["local"] is True


def test_wrong_method_on_a_translated_anthropic_path_is_a_405(chain):
    chain.configure(upstream_protocol="openai")
    flow = make_flow("GET", "/v1/messages/count_tokens")
    send(chain, flow)
    assert flow.response.status_code == 405
    assert json.loads(flow.response.content) == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "GET is not allowed on /v1/messages/count_tokens: use POST",
        },
    }


def test_head_gets_a_405_without_a_body(chain):
    flow = make_flow("HEAD", "/v1/chat/completions")
    send(chain, flow)
    assert (flow.response.status_code, flow.response.content) == (405, b"")
    assert flow.response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("upstream", "method", "path"),
    [
        ("anthropic", "OPTIONS", "/v1/chat/completions"),  # CORS preflight
        ("anthropic", "GET", "/v1/messages"),  # the upstream's own path
        ("openai", "GET", "/v1/chat/completions"),  # OpenAI lists stored completions here
        ("anthropic", "GET", "/v1/models/claude-opus-4-6"),  # not an LLM path
    ],
)
def test_other_methods_pass_through(chain, upstream, method, path):
    chain.configure(upstream_protocol=upstream)
    flow = make_flow(method, path, headers={"authorization": "Bearer sk-client-key-123456"})
    send(chain, flow)
    assert flow.response is None


# ---------------------------------------------------------------- errors on passed-through paths

HTML_404 = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>nginx</body></html>"


def test_html_error_on_an_unknown_path_becomes_json_for_an_openai_client(chain):
    flow = make_flow("POST", "/v1/embeddings", b"{}", {"authorization": "Bearer sk-client-key-123456"})
    send(chain, flow)
    assert flow.response is None  # passed through unchanged
    assert flow.request.path == "/v1/embeddings"
    answer(chain, flow, 404, HTML_404, "text/html")
    assert flow.response.status_code == 404
    assert flow.response.headers["content-type"] == "application/json"
    assert json.loads(flow.response.content) == {
        "error": {
            "message": "upstream answered HTTP 404 with an HTML page: 404 Not Found",
            "type": "not_found_error",
            "param": None,
            "code": None,
        }
    }


def test_openai_shaped_error_on_an_unknown_path_becomes_anthropic_for_an_anthropic_client(chain):
    chain.configure(upstream_protocol="openai")
    headers = {"x-api-key": "sk-ant-client-1234", "anthropic-version": "2023-06-01"}
    flow = make_flow("GET", "/v1/messages/batches", headers=headers)
    send(chain, flow)
    openai_error = b'{"error": {"message": "Invalid URL (GET /v1/messages/batches)", "type": "invalid_request_error"}}'
    answer(chain, flow, 404, openai_error, "application/json")
    assert json.loads(flow.response.content) == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Invalid URL (GET /v1/messages/batches)"},
    }


def test_an_error_already_in_the_clients_shape_is_left_alone(chain):
    flow = make_flow("GET", "/v1/files", headers={"authorization": "Bearer sk-client-key-123456"})
    send(chain, flow)
    original = b'{"error": {"message": "No such file", "type": "invalid_request_error", "param": "id", "code": "x"}}'
    answer(chain, flow, 404, original, "application/json")
    assert flow.response.content == original


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("GET", {}, 404),  # a browser: no key, no anthropic-version
        ("HEAD", {"authorization": "Bearer sk-client-key-123456"}, 404),  # no body to rewrite
        ("GET", {"authorization": "Bearer sk-client-key-123456"}, 200),  # not an error
    ],
)
def test_other_answers_on_passed_through_paths_are_left_alone(chain, method, headers, status):
    flow = make_flow(method, "/docs", headers=headers)
    send(chain, flow)
    answer(chain, flow, status, HTML_404, "text/html")
    assert flow.response.content == HTML_404
    assert flow.response.headers["content-type"] == "text/html"


# ---------------------------------------------------------------- bodies the translation cannot read


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"[1, 2]", "is an array"),
        (b'"hi"', "is a string"),
        (b"true", "is a boolean"),
        (b"null", "is null"),
        (b'{"model": NaN}', "is not valid JSON (NaN is not a JSON value)"),
        (b'{"model": ', "is not valid JSON (Expecting value: line 1 column 11 (char 10))"),
        (b"[" * 100_000, "is not valid JSON (it is nested too deeply)"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_named_for_what_it_is(chain, content, problem):
    flow = make_flow("POST", "/v1/chat/completions", content, {"content-type": "application/json"})
    send(chain, flow)
    assert flow.response.status_code == 400
    message = json.loads(flow.response.content)["error"]["message"]
    assert message == f"the request body must be a JSON object (a Chat Completions request), but it {problem}"


def test_a_translator_bug_is_a_500_and_nothing_is_forwarded(chain, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(Translation, "upstream_body", broken)
    body = {"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "hi"}]}
    flow = make_flow("POST", "/v1/chat/completions", json.dumps(body).encode(), {"content-type": "application/json"})
    send(chain, flow)
    assert flow.response.status_code == 500
    assert json.loads(flow.response.content)["error"] == {
        "message": "anyrouter could not translate the request: KeyError('boom')",
        "type": "server_error",
        "param": None,
        "code": None,
    }
    assert flow.metadata["anyrouter"]["local"] is True


# ---------------------------------------------------------------- stored answers


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/responses/resp_123"),
    ("DELETE", "/v1/responses/resp_123"),
    ("GET", "/v1/responses/resp_123/input_items?limit=5"),
    ("POST", "/v1/responses/compact"),
])
def test_a_stored_response_asked_of_an_upstream_of_another_protocol_is_a_clear_404(chain, method, path):
    flow = make_flow(method, path, headers={"authorization": "Bearer sk-client-key-0000000001"})
    send(chain, flow)
    assert flow.response.status_code == 404
    error = json.loads(flow.response.content)["error"]
    bare = path.split("?")[0]
    assert error["type"] == "not_found_error"
    assert error["message"].startswith(f"{method} {bare}: anyrouter stores no answers (`store` is ignored)")
    assert "send the whole conversation in `input`" in error["message"]
    assert flow.metadata["anyrouter"]["local"] is True


def test_a_stored_response_passes_through_to_a_responses_upstream(chain):
    chain.configure(upstream_protocol="responses")
    flow = make_flow("GET", "/v1/responses/resp_123", headers={"authorization": "Bearer sk-client-key-0000000001"})
    send(chain, flow)
    assert flow.response is None
    assert flow.metadata["anyrouter"]["route"] == "openai-responses-stored"
