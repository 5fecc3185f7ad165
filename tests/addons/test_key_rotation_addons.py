"""Key options, key placement and the stats command in mitmproxy's test context."""

from __future__ import annotations

import json

import pytest
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers.http import HttpRequestHeadersHook, HttpRequestHook, HttpResponseHook
from mitmproxy.net.http.http1.assemble import assemble_request_head
from mitmproxy.test import tflow, tutils

from anyrouter_addons.key_rotation import KeyRotation
from anyrouter_addons.stats import Stats


def flow_with(headers: dict, path: str = "/v1/messages", method: str = "POST") -> http.HTTPFlow:
    request = tutils.treq(
        method=method.encode(), path=path.encode(), host="upstream.test", port=443, scheme=b"https",
        headers=http.Headers([(k.encode(), v.encode()) for k, v in headers.items()]),
        content=b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}',
    )
    return tflow.tflow(req=request)


def send(chain, flow) -> None:
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)


def test_upstream_keys_file_that_cannot_be_read(chain, tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(exceptions.OptionsError, match=rf"upstream_keys: cannot read {missing}: No such file"):
        chain.tctx.configure(chain.addon(KeyRotation), upstream_keys=f"@{missing}")


def test_access_tokens_need_upstream_keys(chain):
    with pytest.raises(exceptions.OptionsError, match="access_tokens needs upstream_keys"):
        chain.tctx.configure(chain.addon(KeyRotation), access_tokens="tok-1")


def test_key_retries_cannot_be_negative(chain):
    with pytest.raises(exceptions.OptionsError, match="key_retries must be 0 or more, not -1"):
        chain.tctx.configure(chain.addon(KeyRotation), key_retries=-1)


def test_malformed_key_in_the_option_is_named_by_fingerprint_only(chain):
    with pytest.raises(exceptions.OptionsError) as caught:
        chain.tctx.configure(chain.addon(KeyRotation), upstream_keys="sk-good-key-000001,sk-bad\u200bkey-0002")
    assert "upstream_keys:" in str(caught.value)
    assert "sk-bad" not in str(caught.value)


@pytest.mark.parametrize(
    ("protocol", "header", "value"),
    [("anthropic", "x-api-key", "sk-key-one-000001"), ("openai", "authorization", "Bearer sk-key-one-000001")],
)
def test_exactly_one_key_in_the_upstream_protocols_header(chain, protocol, header, value):
    chain.configure(upstream_protocol=protocol)
    flow = flow_with({"authorization": "Bearer sk-key-one-000001,sk-key-two-000002", "x-api-key": "sk-key-one-000001"})
    send(chain, flow)
    wire = assemble_request_head(flow.request).decode()
    assert wire.count(f"\r\n{header}: ") == 1
    assert f"\r\n{header}: {value}\r\n" in wire
    other = "authorization" if header == "x-api-key" else "x-api-key"
    assert other not in flow.request.headers
    assert flow.metadata["anyrouter"]["key"] == "sk-…0001"


def test_server_pool_replaces_the_client_key(chain):
    chain.configure(upstream_keys="sk-server-key-00000001")
    flow = flow_with({"x-api-key": "sk-client-key-0000009"})
    send(chain, flow)
    assert b"\r\nx-api-key: sk-server-key-00000001\r\n" in assemble_request_head(flow.request)


def test_missing_token_is_a_401_in_the_clients_protocol(chain):
    chain.configure(upstream_keys="sk-server-key-00000001", access_tokens="tok-0123456789")
    flow = flow_with({"authorization": "Bearer wrong"}, path="/v1/chat/completions")
    send(chain, flow)
    assert flow.response.status_code == 401
    assert json.loads(flow.response.content)["error"]["type"] == "authentication_error"
    assert "x-api-key" not in flow.request.headers


def test_stats_command_matches_the_endpoint_and_counts_routes(chain):
    flow = flow_with({"x-api-key": "sk-client-key-0000009"})
    send(chain, flow)
    flow.response = tutils.tresp(status_code=200)
    chain.run(HttpResponseHook, flow)
    printed = json.loads(chain.tctx.command(chain.addon(Stats).stats_command))
    assert printed["routes"] == {"anthropic-messages": {"requests": 1, "by_status": {"200": 1}}}
    assert printed["keys"]["sk-…0009"]["successes"] == 1

    endpoint = flow_with({}, path="/stats", method="GET")
    send(chain, endpoint)
    served = json.loads(endpoint.response.content)
    assert served["routes"] == printed["routes"]
    assert served["keys"] == printed["keys"]
