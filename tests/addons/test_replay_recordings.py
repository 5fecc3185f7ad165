"""Recorded real traffic, replayed through the addon chain in mitmproxy's test context.

tests/recordings/ holds, per scenario, what a client sent and got (client_side.mitm) and what
the proxy sent the upstream and got back (upstream_side.mitm), saved by plain mitmdumps on
both sides of the proxy (`scripts/record-flows`). For every recorded call:

- the client's request, run through requestheaders/request, must become exactly the request
  the upstream received (method, path, headers apart from Host, JSON body);
- the upstream's answer, run through responseheaders/response (a stream fed to the installed
  stream callable in pieces that split events anywhere, then b""), must become exactly what
  the client received: status, headers, and the JSON body or the events one by one, in order,
  leaving aside only `created` and the ids the proxy makes up.
"""

from __future__ import annotations

import json

import pytest
from mitmproxy import http
from mitmproxy.proxy.layers.http import (
    HttpRequestHeadersHook,
    HttpRequestHook,
    HttpResponseHeadersHook,
    HttpResponseHook,
)
from mitmproxy.test import tflow

from recordings.flows import (
    RecordedCall,
    comparable_body,
    comparable_request,
    is_event_stream,
    recorded_calls,
    split,
)
from recordings.scenarios import SCENARIOS

CALLS = [pytest.param(s, c.name, id=f"{s.name}/{c.name}") for s in SCENARIOS for c in s.calls]
# Ways to cut a recorded stream into the pieces the stream callable gets: whole, one byte at a
# time, and ragged sizes (boundaries land inside lines, inside `\n\n`, inside UTF-8 sequences).
PIECE_SIZES = {"whole": [1 << 30], "bytes": [1], "ragged": [7, 64, 3, 250, 1]}
_recorded: dict[str, dict[str, RecordedCall]] = {}

# Response headers that differ between a recording and this replay for reasons outside the
# addon: `date` is rewritten when recordings are made reproducible.
_VARYING_RESPONSE_HEADERS = {"date"}


def recorded(scenario, name: str) -> RecordedCall:
    if scenario.name not in _recorded:
        _recorded[scenario.name] = {r.call.name: r for r in recorded_calls(scenario)}
    return _recorded[scenario.name][name]


def client_request_flow(rec: RecordedCall) -> http.HTTPFlow:
    """The recorded client request as the proxy gets it in reverse mode: addressed to the
    upstream (mitmproxy sets host, port and Host header before any hook runs)."""
    request = rec.client_side.request.copy()
    upstream = rec.upstream_side.request
    request.scheme, request.host, request.port = upstream.scheme, upstream.host, upstream.port
    request.headers["host"] = upstream.headers["host"]
    return tflow.tflow(req=request)


def send(chain, rec: RecordedCall) -> http.HTTPFlow:
    chain.configure(**rec.scenario.options)
    flow = client_request_flow(rec)
    chain.run(HttpRequestHeadersHook, flow)
    chain.run(HttpRequestHook, flow)
    return flow


def comparable_headers(headers: http.Headers) -> list[tuple[str, str]]:
    return sorted(
        (name.lower(), value) for name, value in headers.items(multi=True)
        if name.lower() not in _VARYING_RESPONSE_HEADERS
    )


@pytest.mark.parametrize(("scenario", "name"), CALLS)
def test_request_becomes_the_recorded_upstream_request(chain, scenario, name):
    rec = recorded(scenario, name)
    flow = send(chain, rec)
    assert flow.response is None, "the request was answered locally instead of forwarded"
    assert comparable_request(flow.request) == comparable_request(rec.upstream_side.request)
    # Byte for byte, too: the replaying mitmdump of the e2e test matches on the raw body.
    assert flow.request.raw_content == rec.upstream_side.request.raw_content


def answer_with_recording(chain, flow: http.HTTPFlow, upstream: http.Response, sizes: list[int]) -> bytes | None:
    """Feeds the recorded upstream answer through the response hooks as mitmproxy would.
    Returns the bytes a streamed body sent to the client, or None when it was not streamed."""
    flow.response = upstream.copy()
    flow.response.data.content = None  # a body is read (or streamed) only after responseheaders
    chain.run(HttpResponseHeadersHook, flow)
    sent = None
    if callable(flow.response.stream):
        sent = b""
        for piece in split(upstream.content, sizes):
            out = flow.response.stream(piece)
            assert out != b"", "b'' mid-stream ends an HTTP/1 body early"
            sent += out if isinstance(out, bytes) else b"".join(out)
        out = flow.response.stream(b"")
        sent += out if isinstance(out, bytes) else b"".join(out)
        # The proxy that recorded ran without store_streamed_bodies: the body stays unset.
    else:
        assert flow.response.stream is False or flow.response.stream is None
        flow.response.content = upstream.content
    chain.run(HttpResponseHook, flow)
    return sent


@pytest.mark.parametrize(("scenario", "name"), CALLS)
def test_upstream_answer_becomes_the_recorded_client_answer(chain, scenario, name):
    rec = recorded(scenario, name)
    upstream, client = rec.upstream_side.response, rec.client_side.response
    assert upstream.status_code == client.status_code == 200
    streamed = is_event_stream(upstream)
    assert is_event_stream(client) == streamed == rec.call.stream
    for label, sizes in PIECE_SIZES.items() if streamed else [("whole", [])]:
        flow = send(chain, rec)
        sent = answer_with_recording(chain, flow, upstream, sizes)
        assert (sent is not None) == streamed, label
        assert flow.response.status_code == client.status_code
        assert comparable_headers(flow.response.headers) == comparable_headers(client.headers), label
        if streamed:
            got = http.Response.make(200, sent, {"content-type": flow.response.headers["content-type"]})
            assert comparable_body(got) == comparable_body(client), f"events differ (pieces: {label})"
        else:
            assert comparable_body(flow.response) == comparable_body(client)


def test_recordings_cover_both_directions_peers_streams_and_tools():
    """The recordings hold what this suite relies on, and no key but the dummy ones."""
    seen = set()
    for scenario in SCENARIOS:
        for rec in recorded_calls(scenario):
            seen.add((scenario.peer, scenario.client, rec.call.stream))
            for flow in (rec.client_side, rec.upstream_side):
                key = flow.request.headers.get("x-api-key") or flow.request.headers.get("authorization", "")
                assert key.removeprefix("Bearer ").startswith("sk-recording-dummy-"), key
    assert seen == {(p, c, s) for p in ("aimock", "llama") for c in ("openai", "anthropic") for s in (False, True)}
    tool_answers = [
        rec for s in SCENARIOS if s.peer == "aimock" for rec in recorded_calls(s)
        if b'"tool_calls"' in rec.client_side.response.content or b'"tool_use"' in rec.client_side.response.content
    ]
    assert {(r.scenario.client, r.call.stream) for r in tool_answers} == {
        (c, s) for c in ("openai", "anthropic") for s in (False, True)
    }
    # A tool result went upstream in each direction (role "tool" to OpenAI, a tool_result block to Anthropic).
    assert {r.scenario.client for s in SCENARIOS for r in recorded_calls(s) if sends_tool_results(r)} == {
        "openai", "anthropic"
    }


def sends_tool_results(rec: RecordedCall) -> bool:
    messages = json.loads(rec.upstream_side.request.content)["messages"]
    return any(
        m["role"] == "tool"
        or (isinstance(m["content"], list) and any(block.get("type") == "tool_result" for block in m["content"]))
        for m in messages
    )
