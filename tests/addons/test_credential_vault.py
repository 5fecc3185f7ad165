"""Keys never show in a flow: fingerprints in its headers, the real key only on the wire."""

from __future__ import annotations

import io
import json

import pytest

from mitmproxy import connection, http
from mitmproxy.io import FlowWriter
from mitmproxy.options import Options
from mitmproxy.proxy import commands
from mitmproxy.proxy.context import Context
from mitmproxy.tools.web.app import flow_to_json
from mitmproxy.proxy.layers.http import (
    Http1Client,
    HttpErrorHook,
    HttpRequestHeadersHook,
    HttpRequestHook,
    HttpResponseHeadersHook,
    HttpResponseHook,
    RequestHeaders,
)
from mitmproxy.test import tflow, tutils

from anyrouter_addons.attempts import Attempts
from anyrouter_addons.mitmproxy_compat import AnotherAttemptHook
from anyrouter_addons.credential_vault import CredentialVault

CLIENT_KEYS = "sk-ant-client-one-0000001,sk-ant-client-two-0000002"
# What a Gemini, an Azure OpenAI and a browser client would send; each a different secret.
GOOGLE_KEY = "AIzaSy-goog-header-key-0000003"
AZURE_KEY = "azure-openai-api-key-0000004"
QUERY_KEY = "AIzaSy-query-param-key-0000005"
SESSION = "browser-session-cookie-0000006"
PASSED_ON = {"api-key": AZURE_KEY, "cookie": f"theme=dark; session={SESSION}"}
# Another registered protocol's key header (Gemini's): the upstream gets the one key it is sent.
OTHER_KEY_HEADER = {"x-goog-api-key": GOOGLE_KEY}


def flow_with(headers: dict, path: str = "/v1/messages") -> http.HTTPFlow:
    request = tutils.treq(
        method=b"POST", path=path.encode(), host="upstream.test", port=443, scheme=b"https",
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
    """The request head exactly as mitmproxy's HTTP/1 client (as the proxy runs it) writes it."""
    client = connection.Client(peername=("127.0.0.1", 50000), sockname=("127.0.0.1", 8088), timestamp_start=0)
    context = Context(client, Options())
    context.server = connection.Server(address=("upstream.test", 443))
    sent = list(Http1Client(context).send(RequestHeaders(1, flow.request, end_stream=False)))
    return b"".join(command.data for command in sent if isinstance(command, commands.SendData))


def shown_anywhere(flow: http.HTTPFlow) -> bytes:
    """What mitmweb serves and `-w` saves of the flow."""
    with io.BytesIO() as saved:
        FlowWriter(saved).add(flow)
        return json.dumps(flow_to_json(flow), ensure_ascii=False).encode() + saved.getvalue()


def test_every_carrier_is_a_fingerprint_from_the_first_hook_on(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS, **OTHER_KEY_HEADER, **PASSED_ON}, path=f"/v1/messages?beta=true&key={QUERY_KEY}")
    chain.run(HttpRequestHeadersHook, flow)
    assert flow.request.headers["x-goog-api-key"] == "…0003"
    assert flow.request.headers["api-key"] == "…0004"
    assert flow.request.headers["cookie"] == "theme=…; session=…0006"
    assert flow.request.path == "/v1/messages?beta=true&key=%E2%80%A60005"
    assert flow.request.query["key"] == "…0005"
    for secret in (*CLIENT_KEYS.split(","), GOOGLE_KEY, AZURE_KEY, QUERY_KEY, SESSION):
        assert secret[:-4].encode() not in shown_anywhere(flow), secret


def test_a_passed_through_request_carries_every_carrier_to_the_upstream(chain):
    path = f"/v1/messages?beta=true&key={QUERY_KEY}"
    flow = flow_with({"x-api-key": CLIENT_KEYS, **OTHER_KEY_HEADER, **PASSED_ON}, path=path)
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    head = wire_head(flow)
    assert head.startswith(f"POST {path} HTTP/1.1\r\n".encode())
    assert b"\r\nx-api-key: sk-ant-client-one-0000001\r\n" in head
    assert b"x-goog-api-key" not in head
    assert f"\r\napi-key: {AZURE_KEY}\r\n".encode() in head
    assert f"\r\ncookie: theme=dark; session={SESSION}\r\n".encode() in head
    assert flow.request.path == "/v1/messages?beta=true&key=%E2%80%A60005"
    for secret in (*CLIENT_KEYS.split(","), GOOGLE_KEY, AZURE_KEY, QUERY_KEY, SESSION):
        assert secret[:-4].encode() not in shown_anywhere(flow), secret


@pytest.mark.parametrize("carrier", ["x-goog-api-key", "key"])
def test_a_key_pool_in_a_gemini_carrier_sends_one_key_in_the_upstreams_header(chain, carrier):
    headers, path = ({carrier: CLIENT_KEYS}, "/v1/messages") if carrier != "key" else ({}, f"/v1/messages?key={CLIENT_KEYS}")
    flow = flow_with(headers, path=path)
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    head = wire_head(flow)
    assert head.startswith(b"POST /v1/messages HTTP/1.1\r\n")
    assert b"\r\nx-api-key: sk-ant-client-one-0000001\r\n" in head
    assert b"x-goog-api-key" not in head and b"sk-ant-client-two" not in head


def test_an_access_token_in_a_query_parameter_never_reaches_the_upstream(chain):
    chain.configure(upstream_keys="sk-server-key-000000009", access_tokens="team-token-abcdef12")
    flow = flow_with({}, path="/v1/messages?key=team-token-abcdef12&beta=true")
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    assert flow.response is None
    head = wire_head(flow)
    assert head.startswith(b"POST /v1/messages?beta=true HTTP/1.1\r\n")
    assert b"x-api-key: sk-server-key-000000009\r\n" in head
    assert b"team-token" not in head


def test_a_path_changed_after_the_vault_goes_upstream_as_it_is(chain):
    flow = flow_with({}, path=f"/v1/messages?key={QUERY_KEY}")
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    flow.request.path = "/elsewhere"
    assert wire_head(flow).startswith(b"POST /elsewhere HTTP/1.1\r\n")


def test_the_http1_client_is_mitmproxys_own_again_once_the_vault_is_done():
    vault = CredentialVault()
    vault.load(None)
    assert Http1Client.send.__module__ == "anyrouter_addons.mitmproxy_compat"
    vault.done()
    assert Http1Client.send.__module__ == "mitmproxy.proxy.layers.http._http1"


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


def test_a_retry_with_the_next_key_sends_every_other_carrier_as_the_first_attempt(chain):
    flow = flow_with({"x-api-key": CLIENT_KEYS, **OTHER_KEY_HEADER, **PASSED_ON}, path=f"/v1/messages?key={QUERY_KEY}")
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    first_line = wire_head(flow).split(b"\r\n")[0]
    flow.response = tutils.tresp(status_code=529, content=b"overloaded")
    chain.run(HttpResponseHeadersHook, flow)
    assert chain.addon(Attempts).wants_another_attempt(flow)
    chain.run(AnotherAttemptHook, flow)
    assert flow.response is None
    head = wire_head(flow)
    assert head.split(b"\r\n")[0] == first_line
    assert f"?key={QUERY_KEY}".encode() in first_line
    assert b"x-api-key: sk-ant-client-two-0000002\r\n" in head
    for name, value in PASSED_ON.items():
        assert f"{name}: {value}\r\n".encode() in head
    assert b"x-goog-api-key" not in head
    assert flow.request.headers["x-api-key"] == "sk-…0002"
    assert flow.metadata["anyrouter"]["attempts"] == ["default key sk-…0001: 529"]
