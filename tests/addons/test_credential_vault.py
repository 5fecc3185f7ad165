"""Keys are in the request only between the last request hook and the next hook."""

from __future__ import annotations

from mitmproxy import http
from mitmproxy.proxy.layers.http import (
    HttpErrorHook,
    HttpRequestHeadersHook,
    HttpRequestHook,
    HttpResponseHeadersHook,
    HttpResponseHook,
)
from mitmproxy.test import tflow, tutils

CLIENT_KEYS = "sk-ant-client-one-0000001,sk-ant-client-two-0000002"


def flow_with(headers: dict) -> http.HTTPFlow:
    request = tutils.treq(
        method=b"POST", path=b"/v1/messages", host="upstream.test", port=443, scheme=b"https",
        headers=http.Headers([(k.encode(), v.encode()) for k, v in headers.items()]),
        content=b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}',
    )
    return tflow.tflow(req=request)


def test_client_keys_are_fingerprints_from_the_first_hook_on(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS, "authorization": "Bearer sk-ant-client-one-0000001"})
    chain.run(HttpRequestHeadersHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001,sk-…0002"
    assert flow.request.headers["authorization"] == "Bearer sk-…0001"


def test_real_key_only_after_the_request_hooks_and_hidden_again_at_the_next_hook(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS})
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-ant-client-one-0000001"  # what the upstream gets
    flow.response = tutils.tresp(status_code=200)
    chain.run(HttpResponseHeadersHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001"
    chain.run(HttpResponseHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001"


def test_error_hook_hides_the_key(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS})
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    flow.error = tflow.terr()
    chain.run(HttpErrorHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001"


def test_a_key_quoted_in_an_upstream_error_body_is_fingerprinted(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS})
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    body = b'{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key sk-ant-client-one-0000001"}}'
    flow.response = tutils.tresp(status_code=401, headers=http.Headers([(b"content-type", b"application/json")]), content=body)
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert b"sk-ant-client-one" not in flow.response.content
    assert b"invalid x-api-key sk-\xe2\x80\xa60001" in flow.response.content


def test_server_keys_and_access_tokens_never_show(chain):
    chain.configure(upstream_keys="sk-server-key-000000009", access_tokens="team-token-abcdef12")
    flow = flow_with({"authorization": "Bearer team-token-abcdef12"})
    chain.run(HttpRequestHeadersHook, flow)
    assert flow.request.headers["authorization"] == "Bearer …ef12"
    chain.run(HttpRequestHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-server-key-000000009"
    assert "authorization" not in flow.request.headers
    flow.response = tutils.tresp(status_code=200)
    chain.run(HttpResponseHeadersHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0009"
