"""The usage meter in the real addon chain: which flows get `FlowState.usage`, with which
figures, from which bytes; the meter's wrapper sees the upstream's raw pieces first and the
client still gets exactly what it got without it; the usage in the comment, the log line and
`/stats`."""

from __future__ import annotations

import json

import pytest
from addon_flows import request_flow, send_request
from mitmproxy import http
from mitmproxy.flow import Error
from mitmproxy.proxy.layers.http import HttpErrorHook, HttpResponseHeadersHook, HttpResponseHook
from mitmproxy.test import tutils

from anyrouter_addons import usage_meter as usage_meter_addon
from anyrouter_addons.access_log import access_line
from anyrouter_addons.flow_state import state_of
from anyrouter_addons.stats import Stats
from anyrouter_addons.usage_log import UsageLog
from anyrouter_core.translation import Direction
from anyrouter_core.usage_meter import StreamUsage
from unit.test_usage_meter import (
    ANTHROPIC_MESSAGE,
    CHAT_COMPLETION,
    RESPONSE,
    anthropic_stream,
    chat_stream,
    responses_stream,
    sse,
)

ANTHROPIC_KEY = {"x-api-key": "sk-ant-usage-client-key-0001", "content-type": "application/json"}
OPENAI_KEY = {"authorization": "Bearer sk-usage-client-key-0002", "content-type": "application/json"}
ASK = [{"role": "user", "content": "usage meter hello"}]

# The upstreams' figures in neutral form (see tests/unit/test_usage_meter.py).
ANTHROPIC_USAGE = {"input": 12, "cache_read": 11008, "cache_write": 100, "output": 5, "reasoning": None}
CHAT_USAGE = {"input": 992, "cache_read": 11008, "cache_write": 0, "output": 5, "reasoning": 2}
RESPONSES_USAGE = {"input": 992, "cache_read": 11008, "cache_write": 0, "output": 7, "reasoning": 3}


def anthropic_request(stream: bool, path: str = "/v1/messages", **more) -> http.HTTPFlow:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 50, "messages": ASK, "stream": stream, **more}
    return request_flow("POST", path, ANTHROPIC_KEY, json.dumps(body).encode())


def openai_request(stream: bool) -> http.HTTPFlow:
    body = {"model": "claude-sonnet-4-6", "messages": ASK, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    return request_flow("POST", "/v1/chat/completions", OPENAI_KEY, json.dumps(body).encode())


def responses_request(stream: bool) -> http.HTTPFlow:
    body = {"model": "claude-sonnet-4-6", "input": "usage meter hello", "stream": stream}
    return request_flow("POST", "/v1/responses", OPENAI_KEY, json.dumps(body).encode())


def event_stream_headers(chain, flow: http.HTTPFlow, status: int = 200) -> None:
    headers = http.Headers([(b"content-type", b"text/event-stream"), (b"content-length", b"99999")])
    flow.response = tutils.tresp(status_code=status, headers=headers, content=None)
    chain.run(HttpResponseHeadersHook, flow)


def stream_pieces(chain, flow: http.HTTPFlow, pieces: list[bytes]) -> bytes:
    """What the client gets of `pieces` through the flow's stream callable; then `response`."""
    stream = flow.response.stream
    assert callable(stream)
    out = [stream(piece) for piece in pieces] + [stream(b"")]
    flow.response.content = b""  # as mitmproxy leaves a streamed body
    chain.run(HttpResponseHook, flow)
    return b"".join(b"".join(piece) if isinstance(piece, list) else piece for piece in out)


def json_answer(chain, flow: http.HTTPFlow, body: dict, status: int = 200) -> None:
    flow.response = tutils.tresp(status_code=status, headers=http.Headers(content_type="application/json"),
                                 content=json.dumps(body).encode())
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)


def pieces_of(body: bytes, size: int = 7) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


@pytest.fixture
def seen_by_meter(monkeypatch) -> list[bytes]:
    """Every piece a stream meter of the addon was fed."""
    seen: list[bytes] = []

    class Recording(StreamUsage):
        def feed(self, piece: bytes) -> bool:
            seen.append(piece)
            return super().feed(piece)

    monkeypatch.setattr(usage_meter_addon, "StreamUsage", Recording)
    return seen


# ---- streams: the wrapping order ---------------------------------------------------------------


def test_a_translated_stream_is_metered_from_the_upstreams_bytes_and_reaches_the_client_unchanged(chain, seen_by_meter):
    flow = openai_request(stream=True)  # an OpenAI client, the Anthropic upstream (the default)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    upstream = anthropic_stream()
    pieces = pieces_of(upstream)
    received = stream_pieces(chain, flow, pieces)

    assert seen_by_meter == pieces  # the raw upstream pieces, first, as they came
    facts = state_of(flow).exchange.facts
    translator = Direction("openai", "anthropic").stream_translator(facts)
    assert received == b"".join(translator.feed(piece) for piece in pieces) + translator.end()
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE
    # The client's own usage chunk says the same in its protocol.
    usage_chunk = json.loads(received.split(b"\n\n")[-3].removeprefix(b"data: "))
    assert usage_chunk["usage"]["prompt_tokens"] == 12 + 11008 + 100
    assert usage_chunk["usage"]["prompt_tokens_details"]["cached_tokens"] == 11008


def test_a_passed_through_stream_is_metered_and_its_bytes_go_on_untouched(chain, seen_by_meter):
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    upstream = anthropic_stream()
    pieces = pieces_of(upstream, 5)
    outputs = [flow.response.stream(piece) for piece in pieces]
    assert outputs == pieces  # each piece leaves as it came, at once
    assert flow.response.stream(b"") == b""
    chain.run(HttpResponseHook, flow)
    assert seen_by_meter == pieces
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE
    assert "translation" not in flow.metadata["anyrouter"]


def test_a_renamed_stream_is_metered_under_the_renamer(chain, seen_by_meter):
    chain.configure(model_map="claude-sonnet-4-6=upstream-model")
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    upstream = anthropic_stream().replace(b'"model":"claude-sonnet-4-6"', b'"model":"upstream-model"')
    received = stream_pieces(chain, flow, pieces_of(upstream))
    assert b'"model":"claude-sonnet-4-6"' in received and b"upstream-model" not in received
    assert b"".join(seen_by_meter) == upstream
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE


@pytest.mark.parametrize(("upstream_protocol", "flow_of", "body", "usage"), [
    ("openai", lambda: anthropic_request(True), chat_stream(), CHAT_USAGE),
    ("responses", lambda: anthropic_request(True), responses_stream(), RESPONSES_USAGE),
    ("anthropic", lambda: responses_request(True), anthropic_stream(), ANTHROPIC_USAGE),
    ("openai", lambda: openai_request(True), chat_stream(), CHAT_USAGE),
    ("responses", lambda: responses_request(True), responses_stream(), RESPONSES_USAGE),
], ids=["anthropic→openai", "anthropic→responses", "responses→anthropic", "openai→openai", "responses→responses"])
def test_every_direction_of_stream_gets_the_upstreams_figures(chain, upstream_protocol, flow_of, body, usage):
    chain.configure(upstream_protocol=upstream_protocol)
    flow = flow_of()
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    stream_pieces(chain, flow, pieces_of(body, 3))
    assert flow.metadata["anyrouter"]["usage"] == usage


def test_the_usage_is_on_the_flow_as_soon_as_the_stream_says_it(chain):
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    start, _, rest = anthropic_stream().partition(b"\n\n")
    flow.response.stream(start + b"\n\n")
    assert state_of(flow).usage == {**ANTHROPIC_USAGE, "output": 1}
    flow.response.stream(rest)
    assert state_of(flow).usage == ANTHROPIC_USAGE


def test_a_stream_that_broke_off_keeps_the_usage_it_reported(chain):
    chain.configure(upstream_protocol="openai")
    flow = openai_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    body = chat_stream()
    flow.response.stream(body[:body.index(b"data: [DONE]")])
    flow.error = Error("connection closed")
    chain.run(HttpErrorHook, flow)
    assert flow.metadata["anyrouter"]["usage"] == CHAT_USAGE


def test_a_stream_that_ended_in_an_error_event_keeps_the_usage_before_it(chain):
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    start = anthropic_stream().partition(b"\n\n")[0] + b"\n\n"
    error = sse(("error", {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}))
    stream_pieces(chain, flow, [start, error])
    assert flow.metadata["anyrouter"]["usage"] == {**ANTHROPIC_USAGE, "output": 1}


def test_a_stream_answered_with_an_error_status_has_no_usage(chain):
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    flow.response = tutils.tresp(status_code=529, headers=http.Headers(content_type="application/json"),
                                 content=b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}')
    chain.run(HttpResponseHeadersHook, flow)
    chain.run(HttpResponseHook, flow)
    assert "usage" not in flow.metadata["anyrouter"]


# ---- finished answers --------------------------------------------------------------------------


@pytest.mark.parametrize(("upstream_protocol", "flow_of", "body", "usage"), [
    ("anthropic", lambda: anthropic_request(False), ANTHROPIC_MESSAGE, ANTHROPIC_USAGE),
    ("anthropic", lambda: openai_request(False), ANTHROPIC_MESSAGE, ANTHROPIC_USAGE),
    ("openai", lambda: anthropic_request(False), CHAT_COMPLETION, CHAT_USAGE),
    ("openai", lambda: openai_request(False), CHAT_COMPLETION, CHAT_USAGE),
    ("responses", lambda: anthropic_request(False), RESPONSE, RESPONSES_USAGE),
    ("anthropic", lambda: responses_request(False), ANTHROPIC_MESSAGE, ANTHROPIC_USAGE),
], ids=["anthropic→anthropic", "openai→anthropic", "anthropic→openai", "openai→openai",
        "anthropic→responses", "responses→anthropic"])
def test_a_finished_answer_gives_the_upstreams_figures_translated_or_not(chain, upstream_protocol, flow_of, body, usage):
    chain.configure(upstream_protocol=upstream_protocol)
    flow = flow_of()
    send_request(chain, flow)
    json_answer(chain, flow, body)
    assert flow.response.status_code == 200
    assert flow.metadata["anyrouter"]["usage"] == usage


def test_force_non_stream_meters_the_finished_answer_the_client_gets_as_a_stream(chain):
    chain.configure(force_non_stream=True, upstream_protocol="openai")
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    json_answer(chain, flow, CHAT_COMPLETION)
    assert flow.response.headers["content-type"] == "text/event-stream"
    assert flow.metadata["anyrouter"]["usage"] == CHAT_USAGE


def test_force_non_stream_in_one_protocol_meters_the_upstreams_answer_not_the_stream_made_of_it(chain):
    chain.configure(force_non_stream=True)
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    json_answer(chain, flow, ANTHROPIC_MESSAGE)
    assert b"event: message_start" in flow.response.content
    assert flow.metadata["anyrouter"]["usage"] == ANTHROPIC_USAGE


def test_a_whole_event_stream_answer_is_metered_translated_or_not(chain):
    # An answer that was not streamed live (a retry's): its body is the whole stream.
    for flow, protocol, body, usage in [
        (anthropic_request(True), "openai", chat_stream(), CHAT_USAGE),
        (anthropic_request(True), "anthropic", anthropic_stream(), ANTHROPIC_USAGE),
    ]:
        chain.configure(upstream_protocol=protocol)
        send_request(chain, flow)
        flow.response = tutils.tresp(headers=http.Headers(content_type="text/event-stream"), content=body)
        chain.run(HttpResponseHook, flow)
        assert flow.metadata["anyrouter"]["usage"] == usage, protocol


def test_an_error_answer_has_no_usage(chain):
    chain.configure(upstream_protocol="openai")
    flow = openai_request(stream=False)
    send_request(chain, flow)
    json_answer(chain, flow, {"error": {"message": "slow down", "type": "rate_limit_error"}, "usage": {"prompt_tokens": 1}},
                status=429)
    assert "usage" not in flow.metadata["anyrouter"]


def test_no_usage_for_local_answers_and_paths_of_no_protocol(chain):
    models = request_flow("GET", "/v1/models", ANTHROPIC_KEY)
    send_request(chain, models)
    chain.run(HttpResponseHook, models)
    assert "usage" not in models.metadata["anyrouter"]
    embeddings = request_flow("POST", "/v1/embeddings", OPENAI_KEY, b'{"input":"x"}')
    send_request(chain, embeddings)
    json_answer(chain, embeddings, {"data": [], "usage": {"prompt_tokens": 3, "total_tokens": 3}})
    assert "usage" not in embeddings.metadata["anyrouter"]


# ---- count tokens -----------------------------------------------------------------------------


def test_the_proxys_estimate_of_a_count_is_marked_estimated(chain):
    chain.configure(upstream_protocol="openai")
    flow = anthropic_request(False, path="/v1/messages/count_tokens")
    send_request(chain, flow)
    json_answer(chain, flow, {"error": {"message": "not found"}}, status=404)
    estimate = json.loads(flow.response.content)["input_tokens"]
    assert flow.metadata["anyrouter"]["usage"] == {
        "input": estimate, "cache_read": None, "cache_write": None, "output": None, "reasoning": None, "estimated": True}
    assert f"est. in {estimate}" in flow.comment
    assert f"tokens=~{estimate}/-/-/- " in access_line(flow)


def test_an_upstreams_count_is_its_input_not_estimated(chain):
    flow = anthropic_request(False, path="/v1/messages/count_tokens")
    send_request(chain, flow)
    json_answer(chain, flow, {"input_tokens": 4321})
    assert flow.metadata["anyrouter"]["usage"] == {
        "input": 4321, "cache_read": None, "cache_write": None, "output": None, "reasoning": None}
    assert stats_now(chain)["usage"]["input"] == 0  # a count spends no token


def stats_now(chain) -> dict:
    """/stats as it would answer now: from the usage log's totals."""
    store = chain.addon(UsageLog).store
    return chain.addon(Stats).snapshot(store.totals(None))


# ---- shown: comment, log line, stats ------------------------------------------------------------


def test_the_comment_and_the_log_line_show_the_usage(chain):
    chain.configure(upstream_protocol="openai")
    flow = anthropic_request(stream=False)
    send_request(chain, flow)
    json_answer(chain, flow, CHAT_COMPLETION)
    assert flow.comment == (
        "anthropic→openai · claude-sonnet-4-6 · key sk-…0001 · 0 retries · "
        "in 992 (cache 11008 read, 0 written) out 5 (reasoning 2)"
    )
    assert " status=200 tokens=992/11008/0/5 " in access_line(flow)


def test_stats_total_the_usage_overall_and_per_model(chain):
    chain.configure(upstream_protocol="openai", model_map="claude-sonnet-4-6=gpt-5")
    for _ in range(2):
        flow = anthropic_request(stream=False)
        send_request(chain, flow)
        json_answer(chain, flow, CHAT_COMPLETION)
    chain.configure(upstream_protocol="anthropic", model_map="")
    flow = anthropic_request(stream=True)
    send_request(chain, flow)
    event_stream_headers(chain, flow)
    stream_pieces(chain, flow, [anthropic_stream()])
    snapshot = stats_now(chain)
    assert snapshot["usage"] == {"input": 1996, "cache_read": 33024, "cache_write": 100, "output": 15, "reasoning": 4}
    assert snapshot["usage_by_model"] == {
        "claude-sonnet-4-6": {"input": 12, "cache_read": 11008, "cache_write": 100, "output": 5, "reasoning": 0},
        "gpt-5": {"input": 1984, "cache_read": 22016, "cache_write": 0, "output": 10, "reasoning": 4},
    }
