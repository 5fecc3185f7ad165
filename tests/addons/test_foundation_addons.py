"""The foundation's addons in mitmproxy's own test context (taddons/tflow)."""

from __future__ import annotations

import json

import pytest
from mitmproxy import exceptions, http
from mitmproxy.proxy.layers.http import (
    HttpResponseHeadersHook,
)
from mitmproxy.test import tutils

from addon_flows import request_flow, send_request

from anyrouter_addons.body_defaults import BodyDefaults
from anyrouter_addons.local_endpoints import LocalEndpoints
from anyrouter_addons.routing import Routing


def flow_for(method: str, path: str, headers: dict | None = None, body: bytes = b"") -> http.HTTPFlow:
    return request_flow(method, path, headers, body)


run_request = send_request


# options -------------------------------------------------------------------------------------

def test_option_defaults(chain):
    options = chain.tctx.options
    assert options.upstream_protocol == "anthropic"
    assert options.default_max_tokens == 8192
    assert options.models.split(",")[0] == "claude-haiku-4-5-20251001"


def test_upstream_protocol_must_be_known(chain):
    with pytest.raises(exceptions.OptionsError, match="upstream_protocol must be one of anthropic, openai, responses, gemini, not 'klingon'"):
        chain.tctx.configure(chain.addon(Routing), upstream_protocol="klingon")
    chain.tctx.configure(chain.addon(Routing), upstream_protocol="openai")
    assert chain.tctx.options.upstream_protocol == "openai"


def test_default_max_tokens_must_be_positive(chain):
    with pytest.raises(exceptions.OptionsError, match="default_max_tokens must be a positive whole number, not 0"):
        chain.tctx.configure(chain.addon(BodyDefaults), default_max_tokens=0)


def test_models_must_name_a_model(chain):
    with pytest.raises(exceptions.OptionsError, match="models must name at least one model id"):
        chain.tctx.configure(chain.addon(Routing), models=" , ")
    chain.tctx.configure(chain.addon(Routing), models="a-model,b-model")
    assert chain.addon(Routing).served_models() == ["a-model", "b-model"]


# routing and headers ---------------------------------------------------------------------------

def test_route_and_model_are_recorded_on_the_flow(chain):
    flow = flow_for("POST", "/v1/messages?beta=true", {"content-type": "application/json"},
                    b'{"model":"claude-opus-4-6","max_tokens":5,"stream":true,"messages":[]}')
    run_request(chain, flow)
    assert flow.metadata["anyrouter"] == {
        "route": "anthropic-messages",
        "client_protocol": "anthropic",
        "upstream_protocol": "anthropic",
        "model": "claude-opus-4-6",
        "stream": True,
    }


def test_hop_by_hop_request_headers_are_removed(chain):
    flow = flow_for("GET", "/v1/files", {
        "connection": "keep-alive, X-Hop",
        "x-hop": "1",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic abc",
        "te": "trailers",
        "upgrade": "h2c",
        "x-kept": "yes",
        "accept-encoding": "gzip",
    })
    run_request(chain, flow)
    assert list(flow.request.headers.keys()) == ["x-kept", "accept-encoding"]
    assert flow.request.headers["accept-encoding"] == "gzip"  # not an LLM route: untouched


def test_websocket_upgrade_keeps_its_connection_and_upgrade_headers(chain):
    flow = flow_for("GET", "/ws", {"connection": "Upgrade", "upgrade": "websocket", "keep-alive": "1"})
    run_request(chain, flow)
    assert flow.request.headers["upgrade"] == "websocket"
    assert flow.request.headers["connection"] == "Upgrade"
    assert "keep-alive" not in flow.request.headers


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/chat/completions", "/chat/completions"])
def test_llm_routes_ask_for_an_uncompressed_body(chain, path):
    flow = flow_for("POST", path, {"accept-encoding": "gzip, br, zstd"}, b"{}")
    run_request(chain, flow)
    assert flow.request.headers["accept-encoding"] == "identity"


def test_event_stream_accept_asks_for_an_uncompressed_body(chain):
    flow = flow_for("GET", "/events", {"accept": "text/event-stream", "accept-encoding": "gzip"})
    run_request(chain, flow)
    assert flow.request.headers["accept-encoding"] == "identity"


def test_hop_by_hop_response_headers_are_removed_and_sse_streams(chain):
    flow = flow_for("POST", "/v1/messages", {}, b"{}")
    run_request(chain, flow)
    flow.response = tutils.tresp(headers=http.Headers([
        (b"content-type", b"text/event-stream"),
        (b"keep-alive", b"timeout=5, max=100"),
        (b"connection", b"keep-alive"),
        (b"transfer-encoding", b"chunked"),
    ]), content=None)
    chain.run(HttpResponseHeadersHook, flow)
    assert list(flow.response.headers.keys()) == ["content-type", "transfer-encoding"]
    assert flow.response.stream  # streamed (through the timeout watchdog's activity wrapper)


def test_json_responses_are_not_streamed(chain):
    flow = flow_for("POST", "/v1/messages", {}, b"{}")
    run_request(chain, flow)
    flow.response = tutils.tresp(headers=http.Headers([(b"content-type", b"application/json")]))
    chain.run(HttpResponseHeadersHook, flow)
    assert not flow.response.stream


# body defaults ----------------------------------------------------------------------------------

def test_missing_max_tokens_gets_the_default(chain):
    chain.configure(default_max_tokens=1234)
    flow = flow_for("POST", "/v1/messages", {}, b'{"model":"m","messages":[{"role":"user","content":"hi"}]}')
    run_request(chain, flow)
    assert json.loads(flow.request.content)["max_tokens"] == 1234


def test_present_max_tokens_and_bytes_are_left_alone(chain):
    raw = b'{"model": "m",   "max_tokens": 7, "messages": []}'
    flow = flow_for("POST", "/v1/messages", {}, raw)
    run_request(chain, flow)
    assert flow.request.content == raw


# local endpoints ---------------------------------------------------------------------------------

def test_health_answers_locally_and_reports_an_unreachable_upstream(chain):
    flow = flow_for("GET", "/health")
    flow.request.host, flow.request.port, flow.request.scheme = "127.0.0.1", 9, "http"
    run_request(chain, flow)
    assert flow.response.status_code == 200
    body = json.loads(flow.response.content)
    assert body["status"] == "degraded"
    assert body["upstream"] == "http://127.0.0.1:9"
    assert body["upstream_protocol"] == "anthropic"


@pytest.mark.parametrize(
    ("headers", "shape_key"),
    [({}, "object"), ({"anthropic-version": "2023-06-01"}, "has_more"), ({"x-api-key": "k"}, "has_more")],
)
def test_models_shape_follows_the_client(chain, headers, shape_key):
    flow = flow_for("GET", "/v1/models", headers)
    run_request(chain, flow)
    assert flow.response.status_code == 200
    assert flow.response.headers["content-type"] == "application/json"
    assert shape_key in json.loads(flow.response.content)
