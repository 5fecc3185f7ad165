"""Keys never show in a flow: fingerprints in its headers, the real key only on the wire."""

from __future__ import annotations

import io
import json

from mitmproxy import http
from mitmproxy.io import FlowWriter
from mitmproxy.net.http.http1.assemble import assemble_request_head
from mitmproxy.tools.web.app import flow_to_json
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


def wire_head(flow: http.HTTPFlow) -> bytes:
    """The request head exactly as mitmproxy's HTTP/1 client writes it to the upstream."""
    return assemble_request_head(flow.request)


def test_the_real_key_is_only_on_the_wire(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS})
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001"
    assert b"\r\nx-api-key: sk-ant-client-one-0000001\r\n" in wire_head(flow)
    assert b"sk-ant-client" not in json.dumps(flow_to_json(flow)).encode()
    with io.BytesIO() as saved:
        FlowWriter(saved).add(flow)
        assert b"sk-ant-client" not in saved.getvalue()
    flow.response = tutils.tresp(status_code=200)
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert flow.request.headers["x-api-key"] == "sk-…0001"


def test_headers_changed_after_the_key_keep_it_on_the_wire(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS})
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    flow.request.headers["x-added-later"] = "1"  # e.g. mitmproxy's own modify_headers
    assert b"x-api-key: sk-ant-client-one-0000001\r\n" in wire_head(flow)
    assert b"x-added-later: 1\r\n" in wire_head(flow)


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
    assert flow.request.headers["x-api-key"] == "sk-…0009"
    assert "authorization" not in flow.request.headers
    assert b"x-api-key: sk-server-key-000000009\r\n" in wire_head(flow)
    assert b"team-token" not in wire_head(flow)
